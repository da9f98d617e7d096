import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { join, resolve } from "node:path";
import { createS3Client, s3Stores } from "../store/index.js";
import type { Stores } from "../store/types.js";
import { startLocalS3 } from "./s3server.js";

/** Options of `openEmulatorStores`. */
export interface EmulatorStorageOptions {
  /** S3 endpoint to use (e.g. a running s3rver). Default: an s3rver started on 127.0.0.1 serving `<root>/s3`. */
  s3Endpoint?: string;
  /** Bucket name. Default "runnable". Created when missing. */
  bucket?: string;
  /** Region passed to the S3 client. Default "us-east-1". */
  region?: string;
}

/** S3 stores for an emulator run, and what the handler processes need to build the same stores. */
export interface EmulatorStorage {
  stores: Stores;
  endpoint: string;
  bucket: string;
  /** Environment for handler processes (`RUNNABLE_BUCKET`, `RUNNABLE_S3_ENDPOINT`, region, credentials). */
  handlerEnv: Record<string, string>;
  /** Stops the S3 server when this call started it. */
  close(): Promise<void>;
}

// Local S3 servers accept any credentials; the SDK still wants some.
const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

/**
 * Opens the stores of the emulator: the same S3 code path as on AWS, against `s3Endpoint` or a
 * directory (`<root>/s3`, one folder per bucket) served over the S3 protocol by a local s3rver.
 */
export async function openEmulatorStores(root: string, options: EmulatorStorageOptions = {}): Promise<EmulatorStorage> {
  const bucket = options.bucket ?? "runnable";
  const region = options.region ?? "us-east-1";
  const server = options.s3Endpoint ? undefined : await startLocalS3(join(resolve(root), "s3"), bucket);
  const endpoint = options.s3Endpoint ?? server!.endpoint;
  // Our own server honours If-None-Match as S3 does (see s3server.ts); a given endpoint may not.
  const conditionalWrites = server !== undefined;
  const env: Record<string, string> = {
    RUNNABLE_BUCKET: bucket,
    RUNNABLE_S3_ENDPOINT: endpoint,
    ...(conditionalWrites ? { RUNNABLE_S3_CONDITIONAL_WRITES: "1" } : {}),
    AWS_REGION: region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...(process.env.AWS_ACCESS_KEY_ID ? {} : LOCAL_CREDENTIALS),
  };
  // (Our own client gets s3rver credentials from createS3Client when none are set.)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = createS3Client({ endpoint, region });
  try {
    await ensureBucket(client, bucket, endpoint);
  } catch (err) {
    client.destroy();
    await server?.stop();
    throw err;
  }
  return {
    stores: s3Stores({ bucket, endpoint, region, client, conditionalWrites }),
    endpoint,
    bucket,
    handlerEnv: env,
    close: async () => {
      client.destroy();
      await server?.stop();
    },
  };
}

async function ensureBucket(client: ReturnType<typeof createS3Client>, bucket: string, endpoint: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw new Error(`cannot reach bucket "${bucket}" at ${endpoint}: ${(err as Error).message}`, { cause: err });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
