import { STEP_NAME } from "../sdk/types.js";

/**
 * Store keys are "/"-separated relative paths. Every backend checks them the same way so a bad
 * key fails identically in memory, on disk and on S3 (and can never climb out of a root folder).
 */
export function checkKey(key: string): string {
  if (key.length === 0) throw new Error("store key is empty");
  if (key.startsWith("/") || key.includes("\\") || key.includes("\0")) {
    throw new Error(`store key ${JSON.stringify(key)} must be relative and use "/" separators`);
  }
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new Error(`store key ${JSON.stringify(key)} has an empty, "." or ".." segment`);
    }
  }
  return key;
}

/** Orders keys by their UTF-8 bytes, the order S3 lists them in, so every backend lists alike. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Sorts keys in S3 order (UTF-8 bytes). */
export function sortKeys(keys: string[]): string[] {
  return keys.sort(compareKeys);
}

/** The distinct first segments (with their trailing "/") of keys below `prefix`, sorted. */
export function commonPrefixes(prefix: string, keys: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const slash = key.indexOf("/", prefix.length);
    if (slash >= 0) out.add(key.slice(0, slash + 1));
  }
  return sortKeys([...out]);
}

/**
 * Key prefix of one pipeline's runs in a deployed bucket: `pipelines/<name>/`, under which the
 * layout is the usual `runs/<runId>/…` and `catalog/<runId>/…`. On AWS each pipeline's step role may
 * touch only its own scope (per-pipeline IAM, see cdk/storage.ts); locally and in the emulator the
 * layout has no scope (the Contract's `runs/`, `catalog/` at the root).
 */
export function pipelineScope(pipeline: string): string {
  if (!STEP_NAME.test(pipeline)) throw new Error(`pipeline name ${JSON.stringify(pipeline)} cannot name a key scope: it must match ${STEP_NAME.source}`);
  return `pipelines/${pipeline}/`;
}
