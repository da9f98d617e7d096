import { createReadStream, createWriteStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { commit } from "./atomic.js";
import { CHUNK_BYTES, DigestStream, toBytes } from "./digest.js";
import { checkKey, sortKeys } from "./keys.js";
import type { BlobStore, FileDigest } from "./types.js";

/** Options of `createS3Client`. */
export interface S3ClientOptions {
  /** S3-compatible endpoint (e.g. s3rver `http://127.0.0.1:4568`). Default: AWS's own; path-style addressing when set. */
  endpoint?: string;
  /** Region. Default `AWS_REGION`, else `us-east-1`. */
  region?: string;
  /**
   * Static credentials. Default: the SDK's provider chain (environment, profile, role); with an
   * `endpoint`: `RUNNABLE_S3_ACCESS_KEY_ID`/`RUNNABLE_S3_SECRET_ACCESS_KEY` when set, else (with no
   * `AWS_ACCESS_KEY_ID`/`AWS_PROFILE` in the environment) s3rver's `S3RVER`/`S3RVER`.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/**
 * Variables holding the credentials of an S3 endpoint that is not AWS (the emulator's own server
 * hands its session's keys to its handler processes this way), kept apart from `AWS_*` so steps
 * that call real AWS keep their own credentials.
 */
export const S3_CREDENTIAL_ENV = { accessKeyId: "RUNNABLE_S3_ACCESS_KEY_ID", secretAccessKey: "RUNNABLE_S3_SECRET_ACCESS_KEY" } as const;

/**
 * An S3 client for the stores. Checksums are only computed/validated when an operation requires
 * them: with the SDK's defaults a streamed PutObject is sent with aws-chunked framing that s3rver
 * stores inside the object (silent corruption); md5 is computed by the store itself instead.
 * With an endpoint and no credentials in the environment, s3rver's fixed credentials are used.
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const env = process.env;
  const endpointKeys = env[S3_CREDENTIAL_ENV.accessKeyId] && env[S3_CREDENTIAL_ENV.secretAccessKey]
    ? { accessKeyId: env[S3_CREDENTIAL_ENV.accessKeyId]!, secretAccessKey: env[S3_CREDENTIAL_ENV.secretAccessKey]! } : undefined;
  const local = options.endpoint !== undefined && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE;
  const credentials = options.credentials ?? (options.endpoint !== undefined ? endpointKeys : undefined) ?? (local ? { ...S3RVER_CREDENTIALS } : undefined);
  return new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? "us-east-1",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Run-log assembly keeps 64 reads in flight and Parallel/Map steps write at once: more than the default 50 sockets.
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 128 }, httpsAgent: { keepAlive: true, maxSockets: 128 } },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(credentials ? { credentials } : {}),
  });
}

/** Options of `S3BlobStore`. */
export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket (a trailing "/" is added). Default: none, keys at the bucket's root. */
  prefix?: string;
  /**
   * The server is known to honour `If-None-Match: *` atomically (412 when the key exists), as the
   * emulator's own S3 server does: create-only writes are then decided by the conditional PUT
   * alone, without the HEAD before it. Default false: HEAD first, so a server that ignores the
   * header (plain s3rver) still refuses keys that already existed.
   */
  conditionalWrites?: boolean;
}

interface AwsError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}
const status = (e: unknown): number | undefined => (e as AwsError).$metadata?.httpStatusCode;
const isNotFound = (e: unknown): boolean =>
  (e as AwsError).name === "NoSuchKey" || (e as AwsError).name === "NotFound" || status(e) === 404;
/** 412: the key exists (If-None-Match lost). */
const isConditionLost = (e: unknown): boolean => status(e) === 412;
/** 409: a concurrent conditional write to the key is in flight; S3 asks to retry (its outcome decides). */
const isConditionConflict = (e: unknown): boolean => status(e) === 409;

/** Multipart parts: 8 MiB × 4 in flight bounds upload memory (~32 MiB) whatever the file size. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/**
 * A BlobStore in an S3 bucket under an optional prefix. PutObject is atomic on S3 (readers see the
 * whole old or new object). Create-only (`ifAbsent`) checks with HEAD and then writes with
 * `If-None-Match: *`: real S3 rejects the write with 412 when the key appeared in between; servers
 * that ignore the header (s3rver) still refuse keys that already existed before the write. With
 * `conditionalWrites` (a server known to honour the header) the HEAD is left out: one request.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly location: string;
  private readonly conditionalWrites: boolean;

  get keyPrefix(): string {
    return this.prefix;
  }

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.conditionalWrites = options.conditionalWrites ?? false;
    const p = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
    this.prefix = p ? `${p}/` : "";
    this.location = `s3://${this.bucket}/${this.prefix}`;
  }

  private key(key: string): string {
    return this.prefix + checkKey(key);
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async put(key: string, body: Uint8Array | string, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const Key = this.key(key);
    const Body = toBytes(body);
    if (!options.ifAbsent) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body }));
      return true;
    }
    for (let conflicts = 0; ; conflicts++) {
      if (!this.conditionalWrites && await this.exists(Key)) return false;
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, IfNoneMatch: "*" }));
        return true;
      } catch (e) {
        if (isConditionLost(e)) return false;
        if (!isConditionConflict(e) || conflicts >= 5) throw e;
        await new Promise((r) => setTimeout(r, 50 * 2 ** conflicts));
      }
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async putFile(key: string, file: string): Promise<FileDigest> {
    const digest = new DigestStream();
    const source = createReadStream(file, { highWaterMark: CHUNK_BYTES });
    // pipe() does not forward errors: a failing read must fail the upload, not hang it.
    source.on("error", (e) => digest.destroy(e));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(key), Body: source.pipe(digest) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    await upload.done();
    return digest.digest();
  }

  async getFile(key: string, file: string): Promise<FileDigest | undefined> {
    let body: Readable;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      body = out.Body instanceof Readable ? out.Body : Readable.from([]);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const digest = new DigestStream();
    await commit(
      path.resolve(file),
      (temp) => pipeline(body, digest, createWriteStream(temp, { flags: "wx", highWaterMark: CHUNK_BYTES })),
      false,
    );
    return digest.digest();
  }

  async openRead(key: string): Promise<{ size: number; body: Readable } | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      const body = out.Body instanceof Readable ? out.Body : Readable.from([]);
      return { size: out.ContentLength ?? 0, body };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Pages through ListObjectsV2 (1,000 keys a page). */
  private async *pages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ...(delimiter ? { Delimiter: delimiter } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of this.pages(prefix)) {
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.prefix.length));
    }
    return sortKeys(keys);
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.pages(prefix, "/")) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(this.prefix.length));
    }
    return sortKeys([...new Set(out)]);
  }
}
