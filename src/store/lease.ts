import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { procStat } from "../core/proc-stat.js";
import { mapLimit } from "./limit.js";
import type { BlobStore } from "./types.js";

/**
 * A run's lease: who is running it right now (owner id, host, pid) and when it last said so
 * (heartbeat). The process that executes a run (the CLI or a script calling execute(), also for
 * emulator runs) writes it beside the run log — in the same store, so it works on the filesystem and
 * on S3 alike — and renews it while the run is RUNNING. A RUNNING run whose owner is gone (kill -9,
 * a crash, power loss) is *stale*: `logs` and `runs list` say so and `retry` may take it over.
 *
 * How an owner is judged gone: on the same host, by its pid (and the pid's start time on Linux,
 * so a reused pid does not pass for the owner) — at once, whatever the heartbeat says; a busy owner
 * (a synchronous function blocking the event loop) is alive as long as its process is. On another
 * host only the heartbeat can tell: no renewal for STALE_AFTER_MS.
 */

export interface RunLease {
  v: 1;
  /** The execution the owner runs ("local", "retry-2", the emulator's execution name). */
  execution: string;
  /** Random per holder: tells two processes with the same pid (containers, reuse) apart. */
  owner: string;
  host: string;
  pid: number;
  /** The pid's start time (Linux /proc, clock ticks since boot); absent elsewhere. */
  pidStart?: string;
  startedAt: string;
  heartbeatAt: string;
  /** Where the run's steps work (local runs): runs sharing it see each other's files. */
  cwd?: string;
  /** The steps work in private directories (`isolate`): sharing `cwd` is harmless. */
  isolated?: boolean;
  /** Set when the holder let go (its run ended): the owner may live on (a script running more runs). */
  releasedAt?: string;
}

/** How often a holder renews its lease. */
export const HEARTBEAT_MS = 15_000;
/** A lease not renewed for this long, by an owner on another host, is stale. */
export const STALE_AFTER_MS = 120_000;

/** Key of a run's lease: outside `runs/<id>/` (whose objects are create-only and cached), rewritten in place. */
export function leaseKey(runId: string): string {
  return `leases/${encodeURIComponent(runId)}.json`;
}

function processStart(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

function pidAlive(pid: number): boolean {
  // A zombie (dead, not yet reaped — e.g. under a container init that never reaps) is gone.
  const stat = procStat(pid);
  if (stat) return stat[0] !== "Z";
  // No such process, or no /proc: ask the kernel.
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: a process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A held lease: renewed every `HEARTBEAT_MS` until `release()`. */
export interface LeaseHolder {
  readonly lease: RunLease;
  release(): Promise<void>;
}

/** Takes (writes) the lease of `runId` for this process and keeps it renewed. */
export async function holdLease(
  blob: BlobStore, runId: string, execution: string, where: { cwd?: string; isolated?: boolean } = {}, every = heartbeatMs(),
): Promise<LeaseHolder> {
  const now = new Date().toISOString();
  const pidStart = processStart(process.pid);
  const lease: RunLease = {
    v: 1, execution, owner: randomUUID(), host: hostname(), pid: process.pid, ...(pidStart ? { pidStart } : {}), startedAt: now, heartbeatAt: now,
    ...(where.cwd !== undefined ? { cwd: where.cwd } : {}), ...(where.isolated ? { isolated: true } : {}),
  };
  const key = leaseKey(runId);
  await blob.put(key, JSON.stringify(lease));
  let writing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    lease.heartbeatAt = new Date().toISOString();
    // Best effort: a missed renewal only brings staleness closer for readers on other hosts.
    writing = writing.then(() => blob.put(key, JSON.stringify(lease))).catch(() => undefined);
  }, every);
  // The heartbeat never keeps a process alive on its own.
  timer.unref();
  return {
    lease,
    async release() {
      clearInterval(timer);
      await writing;
      lease.releasedAt = new Date().toISOString();
      await blob.put(key, JSON.stringify(lease)).catch(() => undefined);
    },
  };
}

/** `RUNNABLE_HEARTBEAT_MS` (tests shorten it), else HEARTBEAT_MS. */
function heartbeatMs(): number {
  const n = Number(process.env.RUNNABLE_HEARTBEAT_MS);
  return Number.isInteger(n) && n >= 10 ? n : HEARTBEAT_MS;
}

export async function readLease(blob: BlobStore, runId: string): Promise<RunLease | undefined> {
  const bytes = await blob.get(leaseKey(runId));
  if (!bytes) return undefined;
  try {
    const lease = JSON.parse(Buffer.from(bytes).toString("utf8")) as RunLease;
    return lease && lease.v === 1 && typeof lease.pid === "number" ? lease : undefined;
  } catch {
    return undefined;
  }
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** Whether a RUNNING run's owner is alive, and the words for it. */
export interface Liveness {
  stale: boolean;
  /** e.g. "owner pid 1234 on host h is gone", "owner pid 1234 on host h is alive (heartbeat 3 s ago)". */
  reason: string;
}

/**
 * Judges a RUNNING run's lease (see the module comment). `startedAt` is the run's (or its newest
 * execution's) start: a run with no lease yet is given STALE_AFTER_MS to write one.
 */
export function judgeLease(lease: RunLease | undefined, startedAt: string, now = Date.now()): Liveness {
  if (!lease) {
    const age = now - Date.parse(startedAt);
    return age > STALE_AFTER_MS
      ? { stale: true, reason: `no owner recorded, started ${ago(age)} ago` }
      : { stale: false, reason: "starting (no owner recorded yet)" };
  }
  const who = `owner pid ${lease.pid} on host ${lease.host}`;
  if (lease.releasedAt !== undefined) return { stale: true, reason: `${who} let go of it at ${lease.releasedAt} without ending it` };
  const silent = now - Date.parse(lease.heartbeatAt);
  if (lease.host === hostname()) {
    const alive = pidAlive(lease.pid) && (lease.pidStart === undefined || processStart(lease.pid) === lease.pidStart);
    return alive ? { stale: false, reason: `${who} is alive (heartbeat ${ago(silent)} ago)` } : { stale: true, reason: `${who} is gone` };
  }
  return silent > STALE_AFTER_MS
    ? { stale: true, reason: `no heartbeat for ${ago(silent)} from ${who}` }
    : { stale: false, reason: `${who} is alive (heartbeat ${ago(silent)} ago)` };
}

/** Leases `sharingCwd` reads at most: the newest runs' (generated run ids sort by time). */
const SHARING_CHECKED = 200;

/**
 * Other runs whose live owners work in `cwd` without isolation (their steps and ours see each
 * other's files): their ids and owners. Reads the leases of the SHARING_CHECKED newest runs.
 */
export async function sharingCwd(blob: BlobStore, runId: string, cwd: string): Promise<Array<{ runId: string; lease: RunLease }>> {
  const ids = (await blob.list("leases/")).filter((k) => k.endsWith(".json") && k !== leaseKey(runId))
    .map((k) => decodeURIComponent(k.slice("leases/".length, -".json".length))).sort().slice(-SHARING_CHECKED);
  const leases = await mapLimit(ids, 32, (id) => readLease(blob, id).catch(() => undefined));
  return ids.flatMap((id, i) => {
    const lease = leases[i];
    if (!lease || lease.cwd !== cwd || lease.isolated || lease.releasedAt !== undefined) return [];
    return judgeLease(lease, lease.startedAt).stale ? [] : [{ runId: id, lease }];
  });
}
