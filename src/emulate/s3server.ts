import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";

/**
 * A local S3-protocol server (s3rver) in a child process, so the emulator exercises the S3 store
 * code path — not the filesystem one. In a child because s3rver's ListObjectsV2 paging needs
 * `--openssl-legacy-provider` (see TOOLCHAIN.md), which must not leak into our own process.
 */
export interface LocalS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

// CommonJS run with `node -e`: s3rver is resolved from this package, wherever the user's cwd is.
// Besides starting s3rver, it makes s3rver behave as S3 where the stores depend on it, and keeps its
// per-request work to what a request needs (the emulator's per-step cost is mostly S3 requests):
// listings start at the prefix's folder and come in S3's order, PUTs are atomic and honour
// "If-None-Match: *", and bucket configuration and request logs are not re-read/formatted per request.
const SERVER_CODE = `
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const { pipeline } = require("stream/promises");
const { Readable, Transform } = require("stream");
const S3rver = require(process.env.RUNNABLE_S3RVER_MODULE);
const lib = path.dirname(process.env.RUNNABLE_S3RVER_MODULE);
const Store = require(path.join(lib, "stores", "filesystem.js"));
const S3Object = require(path.join(lib, "models", "object.js"));
const S3Error = require(path.join(lib, "models", "error.js"));

// Listing. s3rver walks the bucket from its root and stats every entry on the way (every run's
// folder, every step's folder: a listing of one step's attempts cost O(all objects) in sync stats),
// and yields keys in directory order, not S3's: past 1,000 keys its pages repeat or skip keys.
// Here: start at the prefix's folder, read entry types with readdir, sort like S3 (UTF-8 bytes).
const SUFFIX = "._S3rver_object";
const bytes = (keys) => keys.map((k) => [Buffer.from(k), k]).sort((a, b) => Buffer.compare(a[0], b[0])).map((e) => e[1]);
function* objectsIn(dir, rel, first) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") return;
    throw e;
  }
  for (const e of entries) {
    const name = Store.decodeKeyPath(e.name);
    if (e.isDirectory()) {
      if (!first || first(name)) yield* objectsIn(path.join(dir, e.name), rel + name + "/");
    } else if (name.endsWith(SUFFIX)) yield rel + name.slice(0, -SUFFIX.length);
  }
}
function hasObject(dir) {
  for (const _ of objectsIn(dir, "")) return true;
  return false;
}
Store.prototype.listObjects = async function (bucket, options) {
  const { delimiter = "", startAfter = "", prefix = "", maxKeys = Infinity } = options;
  const root = this.getBucketPath(bucket);
  const folder = prefix.slice(0, prefix.lastIndexOf("/") + 1);
  const rest = prefix.slice(folder.length);
  // Only a plain folder path is a directory to start from; anything else is searched from the root.
  const plain = folder.split("/").slice(0, -1).every((s) => s !== "" && s !== "." && s !== "..");
  const dir = plain && folder ? path.join(root, Store.encodeKeyPath(folder)) : root;
  const rel = plain ? folder : "";
  const keys = [];
  let prefixes = [];
  if (plain && delimiter === "/" && !startAfter) {
    // One level: files are keys, folders holding an object are common prefixes.
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (e.code !== "ENOENT" && e.code !== "ENOTDIR") throw e;
    }
    for (const e of entries) {
      const name = Store.decodeKeyPath(e.name);
      if (e.isDirectory()) {
        if (name.startsWith(rest) && hasObject(path.join(dir, e.name))) prefixes.push(rel + name + "/");
      } else if (name.endsWith(SUFFIX)) {
        const key = rel + name.slice(0, -SUFFIX.length);
        if (key.startsWith(prefix)) keys.push(key);
      }
    }
  } else {
    const after = Buffer.from(startAfter);
    const found = [];
    for (const key of objectsIn(dir, rel, plain ? (name) => name.startsWith(rest) : undefined)) {
      if (key.startsWith(prefix) && Buffer.compare(Buffer.from(key), after) > 0) found.push(key);
    }
    for (const key of bytes(found)) {
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (at < 0) keys.push(key);
      else {
        const p = key.slice(0, at + delimiter.length);
        if (prefixes[prefixes.length - 1] !== p) prefixes.push(p);
      }
    }
  }
  const direct = bytes(keys);
  prefixes = bytes(prefixes);
  const isTruncated = direct.length > maxKeys;
  const page = direct.slice(0, maxKeys);
  // Continuation tokens are made from the last object's key: a truncated page keeps only the
  // prefixes before it (the rest come with later pages).
  const last = page.length ? Buffer.from(page[page.length - 1]) : undefined;
  const commonPrefixes = last ? prefixes.filter((p) => !isTruncated || Buffer.compare(Buffer.from(p), last) < 0) : prefixes;
  // A listing shows each object's ETag, size and time: its md5 and a stat, not its stored headers.
  const metadata = await Promise.all(page.map((key) => listed(this, bucket, key).catch((e) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  })));
  const objects = page.flatMap((key, i) => (metadata[i] ? [new S3Object(bucket, key, null, metadata[i])] : []));
  return { objects, commonPrefixes, isTruncated };
};

// PUTs are atomic as on S3 (s3rver writes in place and answers before the bytes are on disk): a
// temp file, then a rename with the md5/metadata under the key's lock, which GET and HEAD also take
// until their file is open. "If-None-Match: *" is honoured as S3 does: under the same lock, so of
// concurrent create-only writers exactly one wins and the others get 412. Small bodies (every
// run-log record) are written with one call; the folder is made only when missing.
const WHOLE_BYTES = 1024 * 1024;
const locks = new Map();
async function locked(id, fn) {
  const before = locks.get(id) || Promise.resolve();
  let release;
  const mine = new Promise((r) => (release = r));
  const tail = before.then(() => mine);
  locks.set(id, tail);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(id) === tail) locks.delete(id);
  }
}
// Small files are written and read synchronously: this process only serves S3 requests, and a
// sync call on a small file costs far less than the thread-pool round trips of an async one.
function inFolder(file, write) {
  try {
    return write();
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return write();
  }
}
async function writeTemp(temp, content) {
  const length = Buffer.isBuffer(content) ? content.length : Number(content.headers && content.headers["content-length"]);
  if (Buffer.isBuffer(content) || length <= WHOLE_BYTES) {
    let body = content;
    if (!Buffer.isBuffer(content)) {
      const chunks = [];
      for await (const chunk of content) chunks.push(chunk);
      body = Buffer.concat(chunks);
    }
    inFolder(temp, () => fs.writeFileSync(temp, body));
    return { size: body.length, md5: crypto.createHash("md5").update(body).digest("hex") };
  }
  await fs.promises.mkdir(path.dirname(temp), { recursive: true });
  const hash = crypto.createHash("md5");
  let size = 0;
  const tap = new Transform({ transform(chunk, enc, done) { hash.update(chunk); size += chunk.length; done(null, chunk); } });
  try {
    await pipeline(content, tap, fs.createWriteStream(temp));
  } catch (e) {
    await fs.promises.rm(temp, { force: true });
    throw e;
  }
  return { size, md5: hash.digest("hex") };
}
const getObject = Store.prototype.getObject;
Store.prototype.getObject = function (bucket, key, options) {
  return locked(bucket + "/" + key, () => getObject.call(this, bucket, key, options));
};
Store.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, "object");
  const temp = objectPath + ".tmp-" + crypto.randomBytes(8).toString("hex");
  const { size, md5 } = await writeTemp(temp, object.content);
  // The request (a PutObject's body stream) carries the conditional header.
  const ifNoneMatch = process.env.RUNNABLE_S3RVER_CONDITIONAL !== "0" &&
    (object.content && object.content.headers && object.content.headers["if-none-match"]) === "*";
  await locked(object.bucket + "/" + object.key, async () => {
    if (ifNoneMatch && fs.existsSync(objectPath)) {
      fs.rmSync(temp, { force: true });
      throw new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: "If-None-Match" });
    }
    fs.renameSync(temp, objectPath);
    this.putMetadata(object.bucket, object.key, object.metadata, md5);
  });
  return { size, md5 };
};
// The same files as s3rver's.
Store.prototype.putMetadata = async function (bucket, key, metadata, md5) {
  const json = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith("x-amz-meta-")) json[name] = value;
  }
  if (md5) fs.writeFileSync(this.getResourcePath(bucket, key, "object.md5"), md5);
  fs.writeFileSync(this.getResourcePath(bucket, key, "metadata.json"), JSON.stringify(json, null, 2));
};
async function listed(store, bucket, key) {
  const objectPath = store.getResourcePath(bucket, key, "object");
  let md5;
  try {
    md5 = fs.readFileSync(objectPath + ".md5", "utf8");
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
    return store.getMetadata(bucket, key);
  }
  const stat = fs.statSync(objectPath);
  return { etag: JSON.stringify(md5), "last-modified": stat.mtime.toUTCString(), "content-length": stat.size };
}
const getMetadata = Store.prototype.getMetadata;
Store.prototype.getMetadata = async function (bucket, key) {
  const objectPath = this.getResourcePath(bucket, key, "object");
  const stat = fs.statSync(objectPath); // throws ENOENT for a missing object, as s3rver's does
  let md5;
  let stored;
  try {
    md5 = fs.readFileSync(objectPath + ".md5", "utf8");
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
    return getMetadata.call(this, bucket, key); // s3rver computes and stores it
  }
  try {
    stored = JSON.parse(fs.readFileSync(this.getResourcePath(bucket, key, "metadata.json"), "utf8"));
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  return { ...stored, etag: JSON.stringify(md5), "last-modified": stat.mtime.toUTCString(), "content-length": stat.size };
};

// Every request checks that its bucket exists (a stat) and reads the bucket's CORS and website
// configuration from disk: remember both until this server changes them.
const buckets = new Map();
const configs = new Map();
function remembered(cache, id, read) {
  let hit = cache.get(id);
  if (!hit) {
    hit = read();
    cache.set(id, hit);
    hit.then((found) => { if (!found) cache.delete(id); }, () => cache.delete(id));
  }
  return hit;
}
const getBucket = Store.prototype.getBucket;
Store.prototype.getBucket = function (bucket) {
  return remembered(buckets, bucket, () => getBucket.call(this, bucket));
};
const getSubresource = Store.prototype.getSubresource;
Store.prototype.getSubresource = function (bucket, key, type) {
  if (key !== undefined) return getSubresource.call(this, bucket, key, type);
  return remembered(configs, bucket + "/" + type, () => getSubresource.call(this, bucket, key, type));
};
for (const name of ["putSubresource", "deleteSubresource", "putBucket", "deleteBucket"]) {
  const original = Store.prototype[name];
  Store.prototype[name] = async function (bucket, ...args) {
    const forget = () => {
      buckets.delete(bucket);
      for (const id of configs.keys()) if (id.startsWith(bucket + "/")) configs.delete(id);
    };
    forget();
    try {
      return await original.call(this, bucket, ...args);
    } finally {
      forget();
    }
  };
}

const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.env.RUNNABLE_S3RVER_DIR,
  configureBuckets: [{ name: process.env.RUNNABLE_S3RVER_BUCKET }] });
// Silent still formats a log line per request (koa-logger, winston): skip that work.
server.logger.silent = true;
server.middleware = server.middleware.filter((fn) => fn.name !== "logger");
server.run().then((addr) => process.stdout.write("LISTENING " + addr.port + "\\n"), (err) => { console.error(err); process.exit(1); });
// The parent going away closes the IPC channel: never outlive it.
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
`;

/** Options of startLocalS3. */
export interface LocalS3Options {
  /**
   * Honour `If-None-Match: *` on PutObject as S3 does (default true). Tests turn it off to check
   * that the stores stay correct against a server that ignores it, as plain s3rver does.
   */
  conditionalWrites?: boolean;
}

/** Starts s3rver on 127.0.0.1 (a free port) serving `directory`, with `bucket` created. */
export async function startLocalS3(directory: string, bucket: string, options: LocalS3Options = {}): Promise<LocalS3Server> {
  await mkdir(directory, { recursive: true });
  const module = createRequire(import.meta.url).resolve("s3rver");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", SERVER_CODE], {
    env: { ...process.env, RUNNABLE_S3RVER_MODULE: module, RUNNABLE_S3RVER_DIR: directory, RUNNABLE_S3RVER_BUCKET: bucket,
      RUNNABLE_S3RVER_CONDITIONAL: options.conditionalWrites === false ? "0" : "1" },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const port = await waitForPort(child);
  // The server must not keep the user's process alive, nor outlive it.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
  (child.stderr as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => stopChild(child),
  };
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on("data", (chunk: Buffer) => { err += chunk.toString(); });
    child.once("exit", (code) => reject(new Error(`the local S3 server (s3rver) exited with code ${code}: ${err.trim()}`)));
    child.once("error", reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // Unreferenced while serving; referenced again so the wait for its exit keeps the process alive.
  child.ref();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3000).unref();
  });
}
