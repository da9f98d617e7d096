import path from "node:path";

/**
 * Where the emulator's S3 server keeps objects, and which bucket names and keys it accepts.
 *
 * Layout (the one s3rver used, so data written by earlier versions stays readable):
 * `<root>/<bucket>/<key's folders…>/<last segment>._S3rver_object` holds the bytes, beside it
 * `…._S3rver_object.md5` (the ETag) and `…._S3rver_metadata.json` (content type, `x-amz-meta-*`).
 * The suffix lets a key and a "folder" of other keys share a name (`a` and `a/b`), as on S3.
 *
 * Keys are confined to the bucket's folder by construction: every segment is checked (no empty,
 * `.`, `..`, backslash, NUL or control character, no segment that decodes once more to a traversal),
 * and the resulting path is checked to lie inside the root again before use.
 */

export const OBJECT_SUFFIX = "._S3rver_object";
export const MD5_SUFFIX = `${OBJECT_SUFFIX}.md5`;
export const META_SUFFIX = "._S3rver_metadata.json";
const RESERVED = "._S3rver_";

/** Longest key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Longest file name the file system takes, minus the longest suffix. */
const MAX_SEGMENT_BYTES = 255 - META_SUFFIX.length;

/** S3's bucket naming rules (lower case, 3–63 characters, no "..": never a path trick). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** An S3 error answer: HTTP status, S3 error code, message. */
export class S3Fault extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function checkBucket(name: string): string {
  if (!BUCKET.test(name) || name.includes("..")) throw new S3Fault(400, "InvalidBucketName", `bucket name ${JSON.stringify(name)} is not valid`);
  return name;
}

/** Percent-decodes `text` once, or undefined when it holds a malformed escape. */
function decodeOnce(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Checks an object key (already percent-decoded from the request path); throws S3Fault 400. */
export function checkObjectKey(key: string): string {
  const bad = (why: string) => new S3Fault(400, "InvalidKey", `key ${JSON.stringify(key.slice(0, 200))} ${why}`);
  if (key === "") throw bad("is empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Fault(400, "KeyTooLongError", `keys are at most ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) throw bad("holds a control character or a backslash");
  if (key.startsWith("/")) throw bad("is absolute");
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") throw bad("has an empty, \".\" or \"..\" segment");
    // A segment that is still an encoded traversal ("%2e%2e", "..%2f") is refused too: no reader
    // that decodes once more may climb out either.
    const again = decodeOnce(segment);
    // eslint-disable-next-line no-control-regex -- a decoded NUL is refused like a decoded "/"
    if (again !== undefined && again !== segment && (again === "." || again === ".." || /[/\\\u0000]/.test(again))) throw bad("has an encoded \"/\", \"\\\" or \"..\" segment");
    if (segment.includes(RESERVED)) throw bad(`has a segment containing "${RESERVED}" (reserved by the server's files)`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw new S3Fault(400, "KeyTooLongError", `key segments are at most ${MAX_SEGMENT_BYTES} bytes here`);
  }
  return key;
}

/** Paths of the server's files under its root directory. */
export class Layout {
  /** Where temp folders of uploads in progress live (renamed into place when complete): bucket names cannot start with ".". */
  readonly temps: string;
  /** This server's temp folder (one per server start: servers sharing a root never touch each other's). */
  readonly temp: string;
  /** Parts of multipart uploads. */
  readonly uploads: string;

  constructor(readonly root: string, session = "shared") {
    this.temps = path.join(root, ".tmp");
    this.temp = path.join(this.temps, session);
    this.uploads = path.join(root, ".uploads");
  }

  bucket(bucket: string): string {
    return this.inside(path.join(this.root, checkBucket(bucket)));
  }

  /** The object's file; `.md5`/metadata files are this plus a suffix (see MD5_SUFFIX, META_SUFFIX). */
  object(bucket: string, key: string): { data: string; md5: string; meta: string } {
    const segments = checkObjectKey(key).split("/");
    const last = segments.pop()!;
    const dir = path.join(this.bucket(bucket), ...segments);
    return {
      data: this.inside(path.join(dir, last + OBJECT_SUFFIX)),
      md5: this.inside(path.join(dir, last + MD5_SUFFIX)),
      meta: this.inside(path.join(dir, last + META_SUFFIX)),
    };
  }

  /** The folder of a key prefix's "directory" part (`a/b/` of `a/b/c`), when it is a plain path. */
  prefixFolder(bucket: string, folder: string): string | undefined {
    const segments = folder.split("/").slice(0, -1);
    if (segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\") || s.includes("\u0000"))) return undefined;
    return this.inside(path.join(this.bucket(bucket), ...segments));
  }

  /** Refuses any path that is not strictly inside the root (a last check behind the key rules). */
  private inside(p: string): string {
    const rel = path.relative(this.root, p);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) throw new S3Fault(400, "InvalidKey", "the key leads outside the server's directory");
    return p;
  }
}
