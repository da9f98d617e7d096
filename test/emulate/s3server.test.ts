// The emulator's own S3 server (src/emulate/s3server.ts): the store conformance suite over it, with
// create-only writes decided by If-None-Match alone (no HEAD), as the emulator's stores and handler
// processes use it; and the listings it answers in S3's order.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEmulatorStores, type EmulatorStorage } from "../../src/emulate/storage.js";
import { createS3Client, s3Stores } from "../../src/store/index.js";
import { storeConformance } from "../conformance/store.suite.js";

storeConformance("s3 (the emulator's s3rver, If-None-Match only)", async () => {
  const root = mkdtempSync(join(tmpdir(), "runnable-emu-s3-"));
  const storage = await openEmulatorStores(root);
  const client = createS3Client({ endpoint: storage.endpoint, credentials: storage.server!.credentials });
  let n = 0;
  return {
    fresh: () => s3Stores({ bucket: storage.bucket, client, prefix: `t${n++}`, conditionalWrites: true }),
    // The server decides concurrent If-None-Match writes under a per-key lock, as S3 does.
    atomicCreateOnly: true,
    close: async () => {
      client.destroy();
      await storage.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});

describe("the emulator's S3 server", () => {
  let root: string;
  let storage: EmulatorStorage;
  const client = () => createS3Client({ endpoint: storage.endpoint, credentials: storage.server!.credentials });
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "runnable-emu-s3-"));
    storage = await openEmulatorStores(root);
  });
  afterAll(async () => {
    await storage?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("tells handler processes that it honours If-None-Match; a given endpoint is not assumed to", async () => {
    expect(storage.handlerEnv.RUNNABLE_S3_CONDITIONAL_WRITES).toBe("1");
    // A given endpoint takes its credentials from the environment (here: this server's).
    const { accessKeyId, secretAccessKey } = storage.server!.credentials;
    Object.assign(process.env, { RUNNABLE_S3_ACCESS_KEY_ID: accessKeyId, RUNNABLE_S3_SECRET_ACCESS_KEY: secretAccessKey });
    try {
      const other = await openEmulatorStores(root, { s3Endpoint: storage.endpoint });
      try {
        expect(other.handlerEnv.RUNNABLE_S3_CONDITIONAL_WRITES).toBeUndefined();
      } finally {
        await other.close();
      }
    } finally {
      delete process.env.RUNNABLE_S3_ACCESS_KEY_ID;
      delete process.env.RUNNABLE_S3_SECRET_ACCESS_KEY;
    }
  });

  it("refuses a second If-None-Match PUT of a key with 412 and keeps the first body", async () => {
    const s3 = client();
    try {
      await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: "inm/a.json", Body: "first", IfNoneMatch: "*" }));
      const second = await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: "inm/a.json", Body: "second", IfNoneMatch: "*" }))
        .then(() => 200, (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode);
      expect(second).toBe(412);
      expect(Buffer.from((await storage.stores.blob.get("inm/a.json"))!).toString()).toBe("first");
    } finally {
      s3.destroy();
    }
  });

  it("lists in S3's byte order across pages and folders, with common prefixes", async () => {
    // Folder names that are prefixes of one another ("p", "p.1", "p-2"), keys beside folders of the same name.
    const keys = ["ls/p/x", "ls/p.1/x", "ls/p-2/x", "ls/p", "ls/p/y/z", "ls/q", "ls/é", "ls/z/x"];
    for (let i = 0; i < 1010; i++) keys.push(`ls/many/${String(i).padStart(4, "0")}`);
    const { blob } = storage.stores;
    for (const k of keys) await blob.put(k, k);
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(await blob.list("ls/")).toEqual(sorted);
    expect(await blob.list("ls/p")).toEqual(sorted.filter((k) => k.startsWith("ls/p")));
    expect(await blob.list("ls/p/")).toEqual(["ls/p/x", "ls/p/y/z"]);
    expect(await blob.list("ls/nothing/")).toEqual([]);
    expect(await blob.listPrefixes!("ls/")).toEqual(["ls/many/", "ls/p-2/", "ls/p.1/", "ls/p/", "ls/z/"]);
    // Raw pages: no key repeated or skipped, each page in order.
    const s3 = client();
    try {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: "ls/", ...(token ? { ContinuationToken: token } : {}) }));
        seen.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      expect(seen).toEqual(sorted);
      const delimited = await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: "ls/", Delimiter: "/" }));
      expect((delimited.Contents ?? []).map((o) => o.Key)).toEqual(["ls/p", "ls/q", "ls/é"]);
      expect((delimited.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(["ls/many/", "ls/p-2/", "ls/p.1/", "ls/p/", "ls/z/"]);
    } finally {
      s3.destroy();
    }
  }, 60_000);
});
