/**
 * Starts a real S3 protocol server for tests, in a child process (named after s3rver, which it
 * started until the emulator got its own server).
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
 * It is the emulator's own server (`src/emulate/s3server.ts`: SigV4 required, listings in S3's key
 * order, atomic PUTs), so tests and the emulator run one implementation. It requires s3rver's old
 * fixed credentials `S3RVER`/`S3RVER` (tests hand them to CLI processes through AWS_ACCESS_KEY_ID),
 * where the emulator's own server makes random ones. Conditional writes (`If-None-Match: *`) stay
 * ignored unless `conditionalWrites: true` asks for S3's behaviour: the stores must be correct
 * without them.
 *
 * The child listens on 127.0.0.1 port 0 (any free port, so several test files can run servers at
 * once), stores objects in its own temp directory, and exits when `stop()` is called or when the
 * parent goes away (IPC disconnect), so no server outlives its test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { type LocalS3Server, startLocalS3 } from "../../src/emulate/s3server.js";
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
  /** The server itself (its process id, restarts). */
  server: LocalS3Server;
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

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the test S3 server did not listen within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Starts s3rver on 127.0.0.1 (free port) in a child process, with one empty bucket. */
export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(tmpdir(), "runnable-s3rver-"));
  const bucket = options.bucket ?? "test-bucket";
  let server: LocalS3Server;
  try {
    server = await withTimeout(startLocalS3(directory, bucket, {
      conditionalWrites: options.conditionalWrites ?? false, credentials: { ...S3RVER_CREDENTIALS },
    }), options.timeoutMs ?? 20_000);
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = server.endpoint;
  // Explicit credentials: AWS keys in the developer's environment must not be sent to s3rver.
  const client = createS3Client({ endpoint, region: "us-east-1", credentials: { ...S3RVER_CREDENTIALS } });
  const createBucket = async (name: string): Promise<void> => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      client.destroy();
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    })());
  return { endpoint, bucket, client, directory, server, createBucket, stop };
}
