// Issue 10, repro 3: the emulator's S3 server answers only requests signed with its session's
// random credentials, keeps every key inside its directory, refuses request shapes it does not
// implement before reading their bodies, survives 1,000 fuzzed malformed requests, and is restarted
// by its supervisor when its process dies — the endpoint keeps working.
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalS3Server, startLocalS3 } from "../../src/emulate/s3server.js";
import { SignatureError, verifySignature } from "../../src/emulate/s3/sigv4.js";
import { createS3Client } from "../../src/store/index.js";
import { tempDir } from "../execute/helpers.js";
import { rawS3 } from "../helpers/raw-s3.js";

/** Every file under `dir`, with its size and mtime, for before/after comparisons. */
function snapshot(dir: string, skip?: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out[relative(dir, p)] = `${st.size}:${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

describe("SigV4 verification (against the AWS SDK's own signer)", () => {
  const creds = { accessKeyId: "AKIDTEST0123456789AB", secretAccessKey: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw==" };
  /** Signs with the SDK's signer, then hands the verifier what the server would receive. */
  async function signed(method: string, target: string, extra: Record<string, string> = {}, at = new Date()) {
    const { SignatureV4 } = await import("@smithy/signature-v4");
    const { Sha256 } = await import("@aws-crypto/sha256-js");
    const q = target.indexOf("?");
    const query: Record<string, string> = {};
    for (const part of (q < 0 ? "" : target.slice(q + 1)).split("&").filter(Boolean)) {
      const [k, v = ""] = part.split("=");
      query[decodeURIComponent(k!)] = decodeURIComponent(v);
    }
    const s = await new SignatureV4({ service: "s3", region: "eu-west-1", credentials: creds, sha256: Sha256, uriEscapePath: false, applyChecksum: false })
      .sign({ method, protocol: "http:", hostname: "127.0.0.1", port: 9000, path: q < 0 ? target : target.slice(0, q), query,
        headers: { host: "127.0.0.1:9000", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...extra } }, { signingDate: at });
    return { method, target, rawHeaders: Object.entries(s.headers).flat() };
  }

  it("accepts what the SDK signs: keys with spaces, unicode, +, %2F; queries with special characters", async () => {
    for (const target of ["/b/a%20b/%C3%A9t%C3%A9+x.csv", "/b/runs%2Fx", "/b?list-type=2&prefix=runs%2F%C3%A9&delimiter=%2F", "/b/k?uploadId=abc&partNumber=3"]) {
      expect(verifySignature(await signed("PUT", target, { "x-amz-meta-note": "  two  spaces " }), creds)).toBe("UNSIGNED-PAYLOAD");
    }
  });

  it("refuses a changed path, query or header, another secret or key id, an old date, no signature", async () => {
    const ok = await signed("GET", "/b/key?list-type=2");
    const refuse = (req: typeof ok, c = creds, now?: number) => {
      try {
        verifySignature(req, c, now);
        return "accepted";
      } catch (e) {
        return (e as SignatureError).code;
      }
    };
    expect(refuse({ ...ok, target: "/b/other?list-type=2" })).toBe("SignatureDoesNotMatch");
    expect(refuse({ ...ok, target: "/b/key?list-type=1" })).toBe("SignatureDoesNotMatch");
    expect(refuse({ ...ok, method: "PUT" })).toBe("SignatureDoesNotMatch");
    expect(refuse({ ...ok, rawHeaders: [...ok.rawHeaders.map((h) => (h === "127.0.0.1:9000" ? "evil:9000" : h))] })).toBe("SignatureDoesNotMatch");
    expect(refuse(ok, { ...creds, secretAccessKey: "other" })).toBe("SignatureDoesNotMatch");
    expect(refuse(ok, { ...creds, accessKeyId: "AKIDOTHER" })).toBe("InvalidAccessKeyId");
    expect(refuse(ok, creds, Date.now() + 16 * 60_000)).toBe("RequestTimeTooSkewed");
    expect(refuse({ ...ok, rawHeaders: ok.rawHeaders.filter((_, i, a) => a[i - (i % 2)] !== "authorization") })).toBe("AccessDenied");
  });
});

describe("the emulator's S3 server", () => {
  let parent: string;
  let root: string;
  let server: LocalS3Server;
  const events: string[] = [];
  const bucket = "runnable";
  const sign = () => server.credentials;

  beforeAll(async () => {
    parent = tempDir("s3-guard-");
    root = join(parent, "s3");
    mkdirSync(join(parent, "victim"), { recursive: true });
    writeFileSync(join(parent, "victim", "keep.txt"), "untouched");
    server = await startLocalS3(root, bucket, { onEvent: (m) => events.push(m) });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("listens on 127.0.0.1 with credentials made at random for this start", async () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.credentials.accessKeyId).toMatch(/^RNBL[0-9A-F]{16}$/);
    const other = await startLocalS3(join(parent, "other"), bucket);
    try {
      expect(other.credentials).not.toEqual(server.credentials);
    } finally {
      await other.stop();
    }
    const s3 = createS3Client({ endpoint: server.endpoint, credentials: server.credentials });
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "ok/a.txt", Body: "hello" }));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "ok/a.txt" }));
      expect(await got.Body!.transformToString()).toBe("hello");
    } finally {
      s3.destroy();
    }
  });

  it("refuses unsigned and wrongly signed requests with 403, writing nothing", async () => {
    const before = snapshot(parent);
    for (const [method, target] of [["GET", "/runnable/ok/a.txt"], ["PUT", "/runnable/x.txt"], ["GET", "/runnable?list-type=2"], ["HEAD", "/runnable"], ["PUT", "/newbucket"]] as const) {
      expect((await rawS3(server.endpoint, { method, target, ...(method === "PUT" ? { body: "x" } : {}) })).status, `${method} ${target}`).toBe(403);
    }
    const wrong = await rawS3(server.endpoint, { method: "PUT", target: "/runnable/x.txt", body: "x", sign: { ...sign(), secretAccessKey: "guess" } });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect((await rawS3(server.endpoint, { method: "PUT", target: "/runnable/x.txt", body: "x", sign: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } })).status).toBe(403);
    const stale = await rawS3(server.endpoint, { method: "GET", target: "/runnable/ok/a.txt", sign: sign(), at: new Date(Date.now() - 20 * 60_000) });
    expect(stale.body).toContain("<Code>RequestTimeTooSkewed</Code>");
    // A body that does not match the signed hash is refused and not stored.
    const tampered = await rawS3(server.endpoint, { method: "PUT", target: "/runnable/t.txt", body: "changed", signedBody: "signed", sign: sign() });
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    expect(snapshot(parent)).toEqual(before);
  });

  it("keeps every key inside its directory: traversal by PUT, GET and DELETE (raw, %2e, %2F, double-encoded, absolute, NUL) → 4xx", async () => {
    const before = snapshot(parent, root);
    const attempts = [
      "/runnable/../../victim/pwn", "/runnable/../../../../tmp/pwn", "/runnable/..%2F..%2Fvictim%2Fpwn", "/..%2F..%2F..%2Ftmp%2Fvictim",
      "/runnable/%2e%2e/%2e%2e/victim/pwn", "/runnable/%2E%2E%2F%2E%2E%2Fvictim%2Fkeep.txt", "/runnable/%252e%252e%252f%252e%252e%252fvictim%252fpwn",
      "/runnable/a/%2e%2e%252f%2e%2e/pwn", "/runnable//etc/passwd", "/runnable/%2Fetc%2Fpasswd", "/runnable/x%00y", "/runnable/..%5C..%5Cvictim",
      "/runnable/a/./b", "/runnable/a//b", "/%2e%2e/victim/pwn", "/runnable/x._S3rver_object",
    ];
    for (const target of attempts) {
      for (const method of ["PUT", "GET", "DELETE"]) {
        const r = await rawS3(server.endpoint, { method, target, ...(method === "PUT" ? { body: "pwned" } : {}), sign: sign() });
        expect(r.status >= 400 && r.status < 500 || r.status === 501, `${method} ${target} → ${r.status} ${r.body}`).toBe(true);
      }
    }
    expect(snapshot(parent, root)).toEqual(before);
    expect(readFileSync(join(parent, "victim", "keep.txt"), "utf8")).toBe("untouched");
    expect(existsSync("/tmp/pwn")).toBe(false);
  });

  it("refuses request shapes it does not implement before reading their bodies (browser form POST, ACLs, presigned URLs, aws-chunked)", async () => {
    // The dicer crash of s3rver: one malformed multipart/form-data POST.
    const form = "--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\na\r\n--x\r\nContent-Disposition: form-da";
    for (const signed of [false, true]) {
      const r = await rawS3(server.endpoint, { method: "POST", target: "/runnable", headers: { "content-type": "multipart/form-data; boundary=x" }, body: form, ...(signed ? { sign: sign() } : {}) });
      expect(r.status).toBe(signed ? 501 : 403);
    }
    expect((await rawS3(server.endpoint, { method: "GET", target: "/runnable/ok/a.txt?acl", sign: sign() })).status).toBe(501);
    expect((await rawS3(server.endpoint, { method: "PUT", target: "/runnable?policy", body: "{}", sign: sign() })).status).toBe(501);
    expect((await rawS3(server.endpoint, { method: "DELETE", target: "/runnable/ok/a.txt", sign: sign() })).status).toBe(501);
    expect((await rawS3(server.endpoint, { method: "GET", target: "/", sign: sign() })).status).toBe(501);
    expect((await rawS3(server.endpoint, { method: "GET", target: "/runnable/ok/a.txt?X-Amz-Signature=00&X-Amz-Credential=x" })).status).toBe(403);
    const chunked = await rawS3(server.endpoint, { method: "PUT", target: "/runnable/c.txt", headers: { "content-encoding": "aws-chunked" }, body: "5;chunk-signature=00\r\nhello", sign: sign() });
    expect(chunked.status).toBe(501);
    expect((await rawS3(server.endpoint, { method: "GET", target: "/runnable/ok/a.txt", headers: { range: "bytes=0-1" }, sign: sign() })).status).toBe(501);
    expect(server.restarts).toBe(0);
  });

  it("1,000 fuzzed malformed requests (signed and not): no 500, no crash, the server still answers", async () => {
    const pid = server.pid;
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "", "%2e%2e", "%2F", "%252e", "%00", "%5C", "%", "%E0%A4%A", "a", "runnable", "ok", "._S3rver_object", "~", "%C0%AF"),
      fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}$/),
    );
    const target = fc.tuple(fc.array(segment, { maxLength: 6 }), fc.option(fc.array(fc.constantFrom("acl", "uploads", "uploadId=zz", "partNumber=0", "list-type=2", "list-type=2&max-keys=-1", "continuation-token=%%", "x-id=PutObject", "tagging", "delete", "%zz=1"), { maxLength: 3 }), { nil: null }))
      .map(([segs, q]) => `/${segs.join("/")}${q ? `?${q.join("&")}` : ""}`);
    const headers = fc.dictionary(
      fc.constantFrom("content-type", "content-length", "content-md5", "if-none-match", "x-amz-date", "x-amz-content-sha256", "authorization", "transfer-encoding", "expect", "x-amz-meta-a", "content-encoding", "range", "x-amz-checksum-crc32"),
      fc.constantFrom("multipart/form-data; boundary=x", "0", "5", "-1", "99999999999", "*", "abc", "AWS4-HMAC-SHA256 Credential=x/y", "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "aws-chunked", "bytes=0-", "100-continue", "chunked"),
      { maxKeys: 4 },
    );
    const body = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 }), fc.constant("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"), fc.constant("<".repeat(5000)));
    const request = fc.record({ method: fc.constantFrom("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"), target, headers, body, signed: fc.boolean() });
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(request, async (r) => {
      const h = { ...r.headers };
      // Headers that would make Node's client itself refuse or hang are left to the body length.
      delete h["content-length"];
      delete h["transfer-encoding"];
      delete h.expect;
      const answer = await rawS3(server.endpoint, { method: r.method, target: r.target, headers: h, ...(r.body !== undefined ? { body: r.body } : {}), ...(r.signed ? { sign: sign() } : {}) });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      return answer.status !== 500 && answer.status < 502;
    }), { numRuns: 1000, seed: 10 });
    // The fuzz reached past authentication, not only 403s.
    expect([...statuses.keys()].some((s) => s !== 403)).toBe(true);
    expect(server.pid).toBe(pid);
    expect(server.restarts).toBe(0);
    const s3 = createS3Client({ endpoint: server.endpoint, credentials: server.credentials });
    try {
      expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "ok/a.txt" }))).Body!.transformToString()).toBe("hello");
    } finally {
      s3.destroy();
    }
  }, 120_000);

  it("is restarted when its process is killed: the same endpoint and credentials answer again, data kept", async () => {
    const pid = server.pid!;
    process.kill(pid, "SIGKILL");
    const s3 = createS3Client({ endpoint: server.endpoint, credentials: server.credentials });
    try {
      // Sent at once: the connection waits for the new process instead of being refused.
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "ok/a.txt" }));
      expect(await got.Body!.transformToString()).toBe("hello");
      expect(server.restarts).toBe(1);
      expect(server.pid).not.toBe(pid);
      expect(events.join("\n")).toMatch(new RegExp(`the local S3 server \\(pid ${pid}\\) exited \\(SIGKILL\\); restarting it`));
    } finally {
      s3.destroy();
    }
  }, 60_000);
});
