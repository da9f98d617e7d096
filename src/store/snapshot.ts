import type { BlobStore } from "./types.js";

/** Name of a run's snapshot object, beside its run-log objects (`runs/<runId>/snapshot.json`). */
export const SNAPSHOT = "snapshot.json";
/** Write a new snapshot once the old one lacks this many listed objects: it saves the next reader that many GETs. */
const SNAPSHOT_AFTER = 32;

interface Snapshot {
  v: 1;
  objects: Record<string, unknown>;
}

function parse(bytes: Uint8Array | undefined): Snapshot | undefined {
  if (!bytes) return undefined;
  try {
    const s = JSON.parse(Buffer.from(bytes).toString("utf8")) as Snapshot;
    return s && s.v === 1 && typeof s.objects === "object" ? s : undefined;
  } catch {
    return undefined; // a cache: when unreadable, read the objects themselves
  }
}

/**
 * Every run-log object under `prefix` (a run's folder), parsed, by key, and the listing (which also
 * shows what is not a `.json` object, e.g. journals). Run-log objects are
 * create-only and never change, so a snapshot (one object holding copies of many) is valid for
 * every key it holds that the listing still shows: only keys new since the snapshot are read
 * through `readMany` (which may answer from memory). Assembling a 1,000-step run then costs a listing and one GET instead of 1,000 GETs.
 * Keys in `exclude` (e.g. the run's graph, read on its own) are neither read nor kept.
 * The snapshot is rewritten (best effort: a failed write only loses the speed-up) when enough
 * objects were new.
 */
export async function loadRunObjects(
  blob: BlobStore,
  prefix: string,
  readMany: (keys: string[]) => Promise<unknown[]>,
  exclude: readonly string[] = [],
): Promise<{ objects: Map<string, unknown>; listed: string[] }> {
  const snapshotKey = prefix + SNAPSHOT;
  const listed = await blob.list(prefix);
  const skip = new Set([snapshotKey, ...exclude]);
  const keys = listed.filter((k) => !skip.has(k) && k.endsWith(".json"));
  const cached = listed.includes(snapshotKey) ? parse(await blob.get(snapshotKey)) : undefined;
  const objects = new Map<string, unknown>();
  const missing: string[] = [];
  for (const key of keys) {
    if (cached && Object.hasOwn(cached.objects, key)) objects.set(key, cached.objects[key]);
    else missing.push(key);
  }
  const values = await readMany(missing);
  missing.forEach((key, i) => objects.set(key, values[i]));
  // Stale by many keys (however they were read): a new snapshot saves the next reader those reads.
  if (missing.length >= SNAPSHOT_AFTER) {
    const snapshot: Snapshot = { v: 1, objects: Object.fromEntries(objects) };
    await blob.put(snapshotKey, JSON.stringify(snapshot)).catch(() => undefined);
  }
  return { objects, listed };
}
