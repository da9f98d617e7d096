import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { join, resolve } from "node:path";
import { S3_CREDENTIAL_ENV, createS3Client, s3Stores } from "../store/index.js";
import type { Stores } from "../store/types.js";
import { type LocalS3Server, startLocalS3 } from "./s3server.js";

/** Options of `openEmulatorStores`. */
export interface EmulatorStorageOptions {
  /** Told when the local S3 server's process dies and is restarted. Default: a line on stderr. */
  onServerEvent?: (message: string) => void;
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
  /** The local S3 server, when this call started one. */
  server?: LocalS3Server;
  /** Stops the S3 server when this call started it. */
  close(): Promise<void>;
}

// A given endpoint (s3rver, MinIO, …) gets the environment's AWS credentials, else s3rver's defaults.
const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

/**
 * Opens the stores of the emulator: the same S3 code path as on AWS, against `s3Endpoint` or a
 * directory (`<root>/s3`, one folder per bucket) served over the S3 protocol by our local server,
 * whose random credentials go to our own client and, as `RUNNABLE_S3_ACCESS_KEY_ID`/`…SECRET…`, to
 * the handler processes — never into `AWS_*`, which a step may use for real AWS calls.
 */
export async function openEmulatorStores(root: string, options: EmulatorStorageOptions = {}): Promise<EmulatorStorage> {
  const bucket = options.bucket ?? "runnable";
  const region = options.region ?? "us-east-1";
  const onEvent = options.onServerEvent ?? ((m: string) => process.stderr.write(`runnable: ${m}\n`));
  const server = options.s3Endpoint ? undefined : await startLocalS3(join(resolve(root), "s3"), bucket, { onEvent });
  const endpoint = options.s3Endpoint ?? server!.endpoint;
  const credentials = server?.credentials;
  // Our own server honours If-None-Match as S3 does (see s3server.ts); a given endpoint may not.
  const conditionalWrites = server !== undefined;
  const env: Record<string, string> = {
    RUNNABLE_BUCKET: bucket,
    RUNNABLE_S3_ENDPOINT: endpoint,
    ...(conditionalWrites ? { RUNNABLE_S3_CONDITIONAL_WRITES: "1" } : {}),
    AWS_REGION: region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...(credentials
      ? { [S3_CREDENTIAL_ENV.accessKeyId]: credentials.accessKeyId, [S3_CREDENTIAL_ENV.secretAccessKey]: credentials.secretAccessKey }
      : process.env.AWS_ACCESS_KEY_ID ? {} : LOCAL_CREDENTIALS),
  };
  // (Our own client gets s3rver credentials from createS3Client when none are set.)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = createS3Client({ endpoint, region, ...(credentials ? { credentials } : {}) });
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
    ...(server ? { server } : {}),
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
    if (status === 403) {
      throw new Error(`bucket "${bucket}" at ${endpoint} refused our credentials (403): give that endpoint's keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or RUNNABLE_S3_ACCESS_KEY_ID/RUNNABLE_S3_SECRET_ACCESS_KEY)`, { cause: err });
    }
    if (status !== 404) throw new Error(`cannot reach bucket "${bucket}" at ${endpoint}: ${(err as Error).message}`, { cause: err });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
