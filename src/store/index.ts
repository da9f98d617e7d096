/**
 * Run-log and catalog stores. Both are built once on a flat BlobStore (memory, a directory, an
 * S3 bucket), so every backend has the same key layout and the same guarantees.
 */
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { BlobCatalogStore } from "./catalog.js";
import { FsBlobStore } from "./fs.js";
import { MemoryBlobStore } from "./memory.js";
import { BlobRunLogStore } from "./runlog.js";
import { createS3Client, S3BlobStore } from "./s3.js";
import type { BlobStore, Stores } from "./types.js";

export { BlobCatalogStore } from "./catalog.js";
export { FsBlobStore } from "./fs.js";
export { MemoryBlobStore } from "./memory.js";
export { BlobRunLogStore, runKeys, stepLog, type RunLogStoreOptions } from "./runlog.js";
export { createS3Client, S3BlobStore, S3RVER_CREDENTIALS, S3_CREDENTIAL_ENV, type S3BlobStoreOptions, type S3ClientOptions } from "./s3.js";
export { checkCatalogName, isGlob, resolveInside } from "./safe-path.js";
export { pipelineScope } from "./keys.js";
export { hashFile } from "./digest.js";
export type * from "./types.js";

/** Run-log and catalog stores on one BlobStore. */
export function storesOn(blob: BlobStore): Stores {
  return { runLog: new BlobRunLogStore(blob), catalog: new BlobCatalogStore(blob), blob };
}

/** Stores in a local directory (`--root`, default `.runnable`): `<root>/runs/…`, `<root>/catalog/…`. */
export function fsStores(root: string = ".runnable"): Stores {
  return storesOn(new FsBlobStore(path.resolve(root)));
}

/** Stores in process memory (tests, throw-away runs). */
export function memoryStores(): Stores {
  return storesOn(new MemoryBlobStore());
}

/** Options of `s3Stores`. */
export interface S3StoresOptions {
  bucket: string;
  /** Key prefix inside the bucket. Default: none. */
  prefix?: string;
  /** S3-compatible endpoint (s3rver, …); ignored when `client` is given. Default: AWS. */
  endpoint?: string;
  /** Region; ignored when `client` is given. Default `AWS_REGION`, else us-east-1. */
  region?: string;
  /** Static credentials; ignored when `client` is given. Default: see `createS3Client`. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A ready client. Default: `createS3Client({ endpoint, region, credentials })`. */
  client?: S3Client;
  /** The server honours `If-None-Match: *` atomically (see S3BlobStoreOptions). Default false. */
  conditionalWrites?: boolean;
}

/** Stores in an S3 bucket: `s3://<bucket>/<prefix>runs/…` and `…/catalog/…`. */
export function s3Stores(options: S3StoresOptions): Stores {
  const client =
    options.client ??
    createS3Client({
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    });
  return storesOn(
    new S3BlobStore({
      client, bucket: options.bucket,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.conditionalWrites !== undefined ? { conditionalWrites: options.conditionalWrites } : {}),
    }),
  );
}
