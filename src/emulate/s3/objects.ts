import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Dirent, type ReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Layout, OBJECT_SUFFIX, S3Fault } from "./layout.js";

/**
 * The emulator's S3 objects on disk (see layout.ts), with the guarantees the stores rely on:
 * PUTs are atomic (a temp file renamed into place under the key's lock, which GET and HEAD also take
 * until their file is open), `If-None-Match: *` is decided under that lock (of concurrent
 * create-only writers exactly one wins), and listings come in S3's order (UTF-8 bytes), starting
 * at the prefix's folder instead of walking the whole bucket. One process owns the directory.
 */

export interface ObjectInfo {
  size: number;
  /** ETag without quotes: the md5 hex, or `<hex>-<parts>` for a multipart upload. */
  etag: string;
  lastModified: Date;
  contentType: string;
  /** `x-amz-meta-*` headers as sent. */
  meta: Record<string, string>;
}

export interface PutOptions {
  /** Refuse (412) when the key exists — decided atomically. */
  ifNoneMatch?: boolean;
  contentType?: string;
  meta?: Record<string, string>;
  /** Hex SHA-256 the body must have (a signed payload); 400 XAmzContentSHA256Mismatch otherwise. */
  sha256?: string;
  /** Base64 MD5 the body must have (Content-MD5); 400 BadDigest otherwise. */
  contentMd5?: string;
}

export interface ListOptions {
  prefix: string;
  delimiter: string;
  /** List keys strictly after this one (start-after, or a continuation token's key). */
  after: string;
  maxKeys: number;
}

export interface Listing {
  objects: { key: string; info: Pick<ObjectInfo, "size" | "etag" | "lastModified"> }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

/** Bodies up to this size are collected and written with one call (every run-log record). */
const WHOLE_BYTES = 1024 * 1024;
/** Objects up to this size keep no `.md5` file: their md5 is computed from their bytes when asked. */
const SMALL_OBJECT_BYTES = 64 * 1024;

const compareBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const missing = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR";

export class ObjectStore {
  readonly layout: Layout;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly knownBuckets = new Set<string>();

  constructor(root: string, private readonly conditionalWrites = true, session?: string) {
    this.layout = new Layout(root, session);
    mkdirSync(root, { recursive: true });
  }

  /** Runs `fn` after every earlier holder of `id`'s lock. */
  private async locked<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    const before = this.locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.locks.set(id, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  bucketExists(bucket: string): boolean {
    if (this.knownBuckets.has(bucket)) return true;
    try {
      const found = statSync(this.layout.bucket(bucket)).isDirectory();
      if (found) this.knownBuckets.add(bucket);
      return found;
    } catch (e) {
      if (missing(e)) return false;
      throw e;
    }
  }

  createBucket(bucket: string): void {
    mkdirSync(this.layout.bucket(bucket), { recursive: true });
    this.knownBuckets.add(bucket);
  }

  private requireBucket(bucket: string): void {
    if (!this.bucketExists(bucket)) throw new S3Fault(404, "NoSuchBucket", `bucket ${JSON.stringify(bucket)} does not exist`);
  }

  /** The object's metadata, or undefined when there is none. */
  head(bucket: string, key: string): ObjectInfo | undefined {
    this.requireBucket(bucket);
    const files = this.layout.object(bucket, key);
    let stat;
    try {
      stat = statSync(files.data);
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
    if (!stat.isFile()) return undefined;
    let stored: { contentType?: string; meta?: Record<string, string> } = {};
    try {
      const raw = JSON.parse(readFileSync(files.meta, "utf8")) as Record<string, string>;
      // s3rver's format: headers by name; ours is the same.
      stored = { ...(raw["content-type"] ? { contentType: raw["content-type"] } : {}), meta: Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith("x-amz-meta-"))) };
    } catch (e) {
      if (!missing(e) && !(e instanceof SyntaxError)) throw e;
    }
    return { size: stat.size, etag: this.etagOf(files, stat.size), lastModified: stat.mtime, contentType: stored.contentType ?? "application/octet-stream", meta: stored.meta ?? {} };
  }

  /** The stored md5 (written with objects over SMALL_OBJECT_BYTES; computed from a small object's bytes, once for a big one that lacks it). */
  private etagOf(files: { data: string; md5: string }, size: number): string {
    if (size > SMALL_OBJECT_BYTES) {
      try {
        return readFileSync(files.md5, "utf8").trim();
      } catch (e) {
        if (!missing(e)) throw e;
      }
    }
    const hash = createHash("md5");
    if (size > 0) hash.update(readFileSync(files.data));
    const md5 = hash.digest("hex");
    if (size > SMALL_OBJECT_BYTES) writeFileSync(files.md5, md5);
    return md5;
  }

  /** Opens the object for reading (under its lock, so a PUT in progress is never seen half-way). */
  async open(bucket: string, key: string): Promise<{ info: ObjectInfo; stream: ReadStream } | undefined> {
    this.requireBucket(bucket);
    return this.locked(`${bucket}/${key}`, async () => {
      const info = this.head(bucket, key);
      if (!info) return undefined;
      const stream = createReadStream(this.layout.object(bucket, key).data);
      await new Promise<void>((resolve, reject) => {
        stream.once("open", () => resolve());
        stream.once("error", reject);
      });
      return { info, stream };
    });
  }

  /** Writes `length` bytes of `body` to a temp file, hashing them; the temp file's path, md5 and sha256. */
  private async receive(body: Readable, length: number, sha256: boolean): Promise<{ temp: string; md5: Buffer; sha256?: string }> {
    await mkdir(this.layout.temp, { recursive: true });
    const temp = path.join(this.layout.temp, randomBytes(12).toString("hex"));
    const md5 = createHash("md5");
    const sha = sha256 ? createHash("sha256") : undefined;
    let size = 0;
    try {
      if (length <= WHOLE_BYTES) {
        const chunks: Buffer[] = [];
        for await (const chunk of body) {
          size += (chunk as Buffer).length;
          if (size > length) break;
          chunks.push(chunk as Buffer);
        }
        const bytes = Buffer.concat(chunks);
        md5.update(bytes);
        sha?.update(bytes);
        writeFileSync(temp, bytes);
      } else {
        const out = createWriteStream(temp);
        await pipeline(body, async function* (source) {
          for await (const chunk of source) {
            size += (chunk as Buffer).length;
            md5.update(chunk as Buffer);
            sha?.update(chunk as Buffer);
            yield chunk;
          }
        }, out);
      }
      if (size !== length) throw new S3Fault(400, "IncompleteBody", `the body was ${size} bytes, Content-Length said ${length}`);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
    return { temp, md5: md5.digest(), ...(sha ? { sha256: sha.digest("hex") } : {}) };
  }

  private checkDigests(got: { md5: Buffer; sha256?: string }, options: PutOptions): void {
    if (options.sha256 !== undefined && got.sha256 !== options.sha256) {
      throw new S3Fault(400, "XAmzContentSHA256Mismatch", "the body's SHA-256 is not the one the request was signed with");
    }
    if (options.contentMd5 !== undefined && got.md5.toString("base64") !== options.contentMd5) {
      throw new S3Fault(400, "BadDigest", "the body's MD5 is not the Content-MD5 sent");
    }
  }

  /** Moves a received temp file into place as the object (atomic, under the key's lock). */
  private async commit(bucket: string, key: string, temp: string, etag: string, options: PutOptions): Promise<void> {
    const files = this.layout.object(bucket, key);
    await this.locked(`${bucket}/${key}`, () => {
      if (this.conditionalWrites && options.ifNoneMatch && this.head(bucket, key)) {
        rmSync(temp, { force: true });
        throw new S3Fault(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
      try {
        renameSync(temp, files.data);
      } catch (e) {
        if (!missing(e)) throw e;
        mkdirSync(path.dirname(files.data), { recursive: true });
        renameSync(temp, files.data);
      }
      // Creating a file costs far more than reading a small one (0.5–2 ms of file-system metadata on a
      // busy disk): a small object's md5 is computed when asked (etagOf), and an object without
      // metadata has no metadata file. Run-log records are small, so a PUT is one file and a rename.
      const stored = { ...(options.contentType ? { "content-type": options.contentType } : {}), ...options.meta };
      if (statSync(files.data).size > SMALL_OBJECT_BYTES) writeFileSync(files.md5, etag);
      else rmSync(files.md5, { force: true });
      if (Object.keys(stored).length) writeFileSync(files.meta, JSON.stringify(stored));
      else rmSync(files.meta, { force: true });
    });
  }

  async put(bucket: string, key: string, body: Readable, length: number, options: PutOptions = {}): Promise<string> {
    this.requireBucket(bucket);
    this.layout.object(bucket, key); // checks the key before a byte is read
    const got = await this.receive(body, length, options.sha256 !== undefined);
    try {
      this.checkDigests(got, options);
    } catch (e) {
      rmSync(got.temp, { force: true });
      throw e;
    }
    const etag = got.md5.toString("hex");
    await this.commit(bucket, key, got.temp, etag, options);
    return etag;
  }

  // ---- multipart uploads: parts under <root>/.uploads/<id>/, assembled into a temp file on completion.

  private uploadDir(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new S3Fault(404, "NoSuchUpload", "the upload id is not valid");
    return path.join(this.layout.uploads, id);
  }

  private upload(id: string): { bucket: string; key: string; contentType?: string; meta?: Record<string, string> } {
    try {
      return JSON.parse(readFileSync(path.join(this.uploadDir(id), "upload.json"), "utf8")) as { bucket: string; key: string };
    } catch (e) {
      if (missing(e)) throw new S3Fault(404, "NoSuchUpload", "the upload does not exist (completed or aborted)");
      throw e;
    }
  }

  async createUpload(bucket: string, key: string, options: Pick<PutOptions, "contentType" | "meta">): Promise<string> {
    this.requireBucket(bucket);
    this.layout.object(bucket, key);
    const id = randomBytes(16).toString("hex");
    await mkdir(this.uploadDir(id), { recursive: true });
    writeFileSync(path.join(this.uploadDir(id), "upload.json"), JSON.stringify({ bucket, key, ...options }));
    return id;
  }

  async putPart(bucket: string, key: string, id: string, part: number, body: Readable, length: number, options: Pick<PutOptions, "sha256" | "contentMd5">): Promise<string> {
    const upload = this.upload(id);
    if (upload.bucket !== bucket || upload.key !== key) throw new S3Fault(404, "NoSuchUpload", "the upload is for another key");
    const got = await this.receive(body, length, options.sha256 !== undefined);
    try {
      this.checkDigests(got, options);
      renameSync(got.temp, path.join(this.uploadDir(id), `part-${part}`));
    } catch (e) {
      rmSync(got.temp, { force: true });
      throw e;
    }
    const etag = got.md5.toString("hex");
    writeFileSync(path.join(this.uploadDir(id), `part-${part}.md5`), etag);
    return etag;
  }

  /** Assembles the listed parts (ascending part numbers, matching ETags) into the object. */
  async completeUpload(bucket: string, key: string, id: string, parts: { number: number; etag: string }[], ifNoneMatch: boolean): Promise<string> {
    const upload = this.upload(id);
    if (upload.bucket !== bucket || upload.key !== key) throw new S3Fault(404, "NoSuchUpload", "the upload is for another key");
    if (parts.length === 0) throw new S3Fault(400, "MalformedXML", "the upload lists no parts");
    const dir = this.uploadDir(id);
    const md5s: Buffer[] = [];
    for (const [i, p] of parts.entries()) {
      if (i > 0 && p.number <= parts[i - 1]!.number) throw new S3Fault(400, "InvalidPartOrder", "parts must be listed in ascending order");
      let stored: string;
      try {
        stored = readFileSync(path.join(dir, `part-${p.number}.md5`), "utf8");
      } catch (e) {
        if (missing(e)) throw new S3Fault(400, "InvalidPart", `part ${p.number} was not uploaded`);
        throw e;
      }
      // ETags arrive quoted, the quotes possibly as XML entities (entities are not expanded when parsing).
      if (stored !== p.etag.replace(/&quot;|"/g, "")) throw new S3Fault(400, "InvalidPart", `part ${p.number}'s ETag does not match`);
      md5s.push(Buffer.from(stored, "hex"));
    }
    await mkdir(this.layout.temp, { recursive: true });
    const temp = path.join(this.layout.temp, randomBytes(12).toString("hex"));
    try {
      const out = createWriteStream(temp);
      await pipeline(async function* () {
        for (const p of parts) yield* createReadStream(path.join(dir, `part-${p.number}`));
      }, out);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
    const etag = `${createHash("md5").update(Buffer.concat(md5s)).digest("hex")}-${parts.length}`;
    await this.commit(bucket, key, temp, etag, { ifNoneMatch, ...(upload.contentType ? { contentType: upload.contentType } : {}), ...(upload.meta ? { meta: upload.meta } : {}) });
    await rm(dir, { recursive: true, force: true });
    return etag;
  }

  async abortUpload(bucket: string, key: string, id: string): Promise<void> {
    const upload = this.upload(id);
    if (upload.bucket !== bucket || upload.key !== key) throw new S3Fault(404, "NoSuchUpload", "the upload is for another key");
    await rm(this.uploadDir(id), { recursive: true, force: true });
  }

  // ---- listing

  /** Keys of objects under `dir` (whose keys start with `rel`), depth first; `first` filters the top level's folders. */
  private *keysIn(dir: string, rel: string, first?: (name: string) => boolean): Generator<string> {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (missing(e)) return;
      throw e;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!first || first(e.name)) yield* this.keysIn(path.join(dir, e.name), `${rel}${e.name}/`);
      } else if (e.name.endsWith(OBJECT_SUFFIX)) yield rel + e.name.slice(0, -OBJECT_SUFFIX.length);
    }
  }

  private hasObject(dir: string): boolean {
    for (const _ of this.keysIn(dir, "")) return true;
    return false;
  }

  /**
   * ListObjectsV2 over the bucket: keys under `prefix` after `after`, in UTF-8 byte order, at most
   * `maxKeys` (plus common prefixes when `delimiter` is set). A plain folder prefix is read from its
   * folder only.
   */
  list(bucket: string, o: ListOptions): Listing {
    this.requireBucket(bucket);
    const root = this.layout.bucket(bucket);
    const folder = o.prefix.slice(0, o.prefix.lastIndexOf("/") + 1);
    const rest = o.prefix.slice(folder.length);
    const dir = folder ? this.layout.prefixFolder(bucket, folder) : root;
    const start = dir ?? root;
    const rel = dir ? folder : "";
    const keys: string[] = [];
    let prefixes: string[] = [];
    if (dir && o.delimiter === "/" && !o.after) {
      // One level: files are keys, folders holding an object are common prefixes.
      let entries: Dirent[] = [];
      try {
        entries = readdirSync(start, { withFileTypes: true });
      } catch (e) {
        if (!missing(e)) throw e;
      }
      for (const e of entries) {
        if (e.isDirectory()) {
          if (e.name.startsWith(rest) && this.hasObject(path.join(start, e.name))) prefixes.push(`${rel}${e.name}/`);
        } else if (e.name.endsWith(OBJECT_SUFFIX)) {
          const key = rel + e.name.slice(0, -OBJECT_SUFFIX.length);
          if (key.startsWith(o.prefix)) keys.push(key);
        }
      }
    } else {
      const found: string[] = [];
      for (const key of this.keysIn(start, rel, dir ? (name) => name.startsWith(rest) : undefined)) {
        if (key.startsWith(o.prefix) && compareBytes(key, o.after) > 0) found.push(key);
      }
      for (const key of found.sort(compareBytes)) {
        const at = o.delimiter ? key.indexOf(o.delimiter, o.prefix.length) : -1;
        if (at < 0) keys.push(key);
        else {
          const p = key.slice(0, at + o.delimiter.length);
          if (prefixes[prefixes.length - 1] !== p) prefixes.push(p);
        }
      }
    }
    keys.sort(compareBytes);
    prefixes = [...new Set(prefixes)].sort(compareBytes);
    const isTruncated = keys.length > o.maxKeys;
    const page = keys.slice(0, o.maxKeys);
    // Continuation tokens are made from the last key: a truncated page keeps only the prefixes before it.
    const last = page[page.length - 1];
    const commonPrefixes = last !== undefined && isTruncated ? prefixes.filter((p) => compareBytes(p, last) < 0) : prefixes;
    const objects = page.flatMap((key) => {
      const files = this.layout.object(bucket, key);
      try {
        const stat = statSync(files.data);
        return [{ key, info: { size: stat.size, etag: this.etagOf(files, stat.size), lastModified: stat.mtime } }];
      } catch (e) {
        if (missing(e)) return [];
        throw e;
      }
    });
    return { objects, commonPrefixes, isTruncated };
  }
}
