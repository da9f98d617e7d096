/**
 * Starts a real S3 protocol server (s3rver) for tests, in a child process.
 *
 * ```ts
 * import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";
 * let s3: S3rverHandle;
 * beforeAll(async () => { s3 = await startS3rver(); });
 * afterAll(() => s3?.stop());
 * // s3.endpoint ("http://127.0.0.1:PORT"), s3.bucket (created, empty), s3.client (an S3Client set up for it)
 * // e.g. s3Stores({ bucket: s3.bucket, client: s3.client }) or s3Stores({ bucket: s3.bucket, endpoint: s3.endpoint })
 * ```
 *
 * Why a child process: ListObjectsV2 paging fails with HTTP 500 unless s3rver runs with
 * `--openssl-legacy-provider` (its continuation tokens use a legacy cipher), a flag the test worker
 * cannot set on itself. The child also fixes two places where s3rver is less faithful than S3
 * (see CHILD below): listings page in S3's key order, and PUTs are atomic. Conditional writes
 * (`If-None-Match: *`) stay ignored unless `conditionalWrites: true` asks for S3's behaviour.
 *
 * The child listens on 127.0.0.1 port 0 (any free port, so several test files can run servers at
 * once), stores objects in its own temp directory, reports the port over IPC, and exits when
 * `stop()` is called or when the parent goes away (IPC disconnect), so no server outlives its test.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { createS3Client, S3RVER_CREDENTIALS } from "../../src/store/s3.js";

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A bucket created for this server (empty at start). */
  bucket: string;
  /** An S3Client for `endpoint` (path-style, s3rver credentials, checksums only when required). */
  client: S3Client;
  /** The server's storage directory (deleted by `stop()`). */
  directory: string;
  /** Creates another empty bucket on the same server. */
  createBucket(name: string): Promise<void>;
  /** Stops the server and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartS3rverOptions {
  /** Name of the bucket to create. Default "test-bucket". */
  bucket?: string;
  /** Milliseconds to wait for the server to listen. Default 20,000. */
  timeoutMs?: number;
  /**
   * Honour `If-None-Match: *` on PutObject (412 when the key exists, atomically) as real S3 does.
   * Default false: s3rver ignores conditional headers, which is what the stores must cope with.
   */
  conditionalWrites?: boolean;
}

// The child's program: plain CommonJS so it needs no loader. It gets s3rver's resolved path from us.
// It replaces s3rver's listing, which walks its directories depth-first (not in S3's byte order):
// past 1,000 keys its pages then repeat or skip keys whenever a folder name is a prefix of another
// ("par" / "par.a.x", "par-b"), and Delimiter listings lose prefixes of nested keys. The
// replacement lists everything under the prefix with s3rver's own code, then sorts, pages and
// groups like S3: 1,000 keys a page, no repeats, no gaps.
const CHILD = `
const path = require("path");
const lib = path.dirname(process.env.S3RVER_MODULE);
const S3rver = require(process.env.S3RVER_MODULE);
const Store = require(path.join(lib, "stores", "filesystem.js"));
const S3Object = require(path.join(lib, "models", "object.js"));
const { walk } = require(path.join(lib, "utils.js"));
const SUFFIX = "._S3rver_object";
const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
Store.prototype.listObjects = async function (bucket, options) {
  const { delimiter = "", startAfter = "", prefix = "", maxKeys = Infinity } = options;
  const root = this.getBucketPath(bucket);
  const keys = [];
  for (const file of walk(root)) {
    if (!file.endsWith(SUFFIX)) continue;
    const key = Store.decodeKeyPath(file.slice(root.length + 1, -SUFFIX.length));
    if (key.startsWith(prefix) && byBytes(key, startAfter) > 0) keys.push(key);
  }
  keys.sort(byBytes);
  const prefixes = [];
  const direct = [];
  for (const key of keys) {
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (at < 0) direct.push(key);
    else {
      const p = key.slice(0, at + delimiter.length);
      if (prefixes[prefixes.length - 1] !== p) prefixes.push(p);
    }
  }
  const isTruncated = direct.length > maxKeys;
  const page = direct.slice(0, maxKeys);
  // Continuation tokens are made from the last object's key: a truncated page keeps only the
  // prefixes before it (the rest come with later pages).
  const last = page.length ? page[page.length - 1] : "";
  const commonPrefixes = isTruncated ? prefixes.filter((p) => byBytes(p, last) < 0) : prefixes;
  const metadata = await Promise.all(
    page.map((key) => this.getMetadata(bucket, key).catch((e) => { if (e.code === "ENOENT") return undefined; throw e; })),
  );
  const objects = page.flatMap((key, i) => (metadata[i] ? [new S3Object(bucket, key, null, metadata[i])] : []));
  return { objects, commonPrefixes, isTruncated };
};
// s3rver writes objects in place (and answers a PUT before the bytes are on disk), so a GET racing
// a PUT of the same key can read a torn object. S3 PUTs are atomic: write a temp file first, then
// swap it in with the object's md5/metadata under a per-key lock that GET also takes until its
// file is open (an open file keeps its bytes even when replaced).
const fs = require("fs");
const crypto = require("crypto");
const { pipeline } = require("stream/promises");
const { Readable, Transform } = require("stream");
const locks = new Map();
async function locked(id, fn) {
  const before = locks.get(id) || Promise.resolve();
  let release;
  const mine = new Promise((r) => (release = r));
  const tail = before.then(() => mine);
  locks.set(id, tail);
  await before;
  try { return await fn(); } finally { release(); if (locks.get(id) === tail) locks.delete(id); }
}
const getObject = Store.prototype.getObject;
Store.prototype.getObject = function (bucket, key, options) {
  return locked(bucket + "/" + key, () => getObject.call(this, bucket, key, options));
};
// Opt-in (S3RVER_CONDITIONAL=1): honour "If-None-Match: *" on PutObject as S3 does — the check and
// the swap happen under the key's lock, so of concurrent conditional writers exactly one wins (412
// for the others). Off by default: plain s3rver ignores the header, and the stores must not need it.
const { AsyncLocalStorage } = require("async_hooks");
const S3Error = require(path.join(lib, "models", "error.js"));
const objectCtrl = require(path.join(lib, "controllers", "object.js"));
const conditional = new AsyncLocalStorage();
if (process.env.S3RVER_CONDITIONAL === "1") {
  const put = objectCtrl.putObject;
  objectCtrl.putObject = function (ctx) {
    return conditional.run({ ifNoneMatch: ctx.headers["if-none-match"] === "*" }, () => put.call(this, ctx));
  };
}
Store.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, "object");
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  const temp = objectPath + ".tmp-" + crypto.randomBytes(8).toString("hex");
  const hash = crypto.createHash("md5");
  let size = 0;
  const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  const tap = new Transform({ transform(chunk, enc, done) { hash.update(chunk); size += chunk.length; done(null, chunk); } });
  try {
    await pipeline(source, tap, fs.createWriteStream(temp));
  } catch (e) {
    await fs.promises.rm(temp, { force: true });
    throw e;
  }
  const md5 = hash.digest("hex");
  const ifNoneMatch = (conditional.getStore() || {}).ifNoneMatch;
  await locked(object.bucket + "/" + object.key, async () => {
    if (ifNoneMatch && fs.existsSync(objectPath)) {
      await fs.promises.rm(temp, { force: true });
      throw new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: "If-None-Match" });
    }
    await fs.promises.rename(temp, objectPath);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  });
  return { size, md5 };
};
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.env.S3RVER_DIR });
process.on("disconnect", () => process.exit(0));
server.run().then(
  (addr) => process.send({ port: addr.port }),
  (err) => { process.send({ error: String(err && err.stack || err) }); process.exit(1); },
);
`;

function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    let settled = false;
    // Kept for the start-up error message; capped, and drained for the child's whole life so it never blocks on a full pipe.
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16_384)));
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`s3rver did not start: ${why}${stderr ? `\n${stderr}` : ""}`));
    };
    const timer = setTimeout(() => fail(`no port after ${timeoutMs} ms`), timeoutMs);
    child.once("message", (m: { port?: number; error?: string }) => {
      if (m.port && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(m.port);
      } else fail(m.error ?? "unknown error");
    });
    child.once("exit", (code) => fail(`exited with code ${code}`));
    child.once("error", (e) => fail(e.message));
  });
}

/** Starts s3rver on 127.0.0.1 (free port) in a child process, with one empty bucket. */
export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(tmpdir(), "runnable-s3rver-"));
  const script = path.join(directory, "..", `${path.basename(directory)}.cjs`);
  await writeFile(script, CHILD);
  const child = fork(script, [], {
    execArgv: ["--openssl-legacy-provider"],
    env: {
      ...process.env,
      S3RVER_MODULE: createRequire(import.meta.url).resolve("s3rver"),
      S3RVER_DIR: directory,
      S3RVER_CONDITIONAL: options.conditionalWrites ? "1" : "0",
    },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let port: number;
  try {
    port = await waitForPort(child, options.timeoutMs ?? 20_000);
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    await rm(script, { force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  // Explicit credentials: AWS keys in the developer's environment must not be sent to s3rver.
  const client = createS3Client({ endpoint, region: "us-east-1", credentials: { ...S3RVER_CREDENTIALS } });
  const createBucket = async (name: string): Promise<void> => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  const bucket = options.bucket ?? "test-bucket";
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
      await rm(script, { force: true });
    })());
  try {
    await createBucket(bucket);
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoint, bucket, client, directory, createBucket, stop };
}
