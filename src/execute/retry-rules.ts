import { hostname } from "node:os";
import { ERRORS } from "../core/protocol.js";
import { UsageError } from "../sdk/errors.js";
import { judgeLease, readLease } from "../store/lease.js";
import { runKeys } from "../store/runlog.js";
import type { RunHeader, Stores } from "../store/types.js";

/**
 * The rules of `runnable retry`, in one place for every mode (local, emulator): which runs may be
 * retried, taking over a RUNNING run whose owner is gone, and the next execution's name.
 */

/** Options of a retry that bear on the rules. */
export interface RetryRuleOptions {
  /** Take over a RUNNING run even though its owner looks alive (another host's lease not yet expired). */
  force?: boolean;
}

/** Execution ids of a run with a start and/or end record, and those started but not ended. */
async function executionsOf(stores: Stores, runId: string): Promise<{ all: Set<string>; open: string[] }> {
  const keys = await stores.blob.list(runKeys.executions(runId));
  const edges = keys.map((k) => /([^/]+)\.(start|end)\.json$/.exec(k)).filter((m) => m !== null)
    .map((m) => ({ id: decodeURIComponent(m[1]!), edge: m[2]! }));
  const ended = new Set(edges.filter((e) => e.edge === "end").map((e) => e.id));
  return { all: new Set(edges.map((e) => e.id)), open: edges.filter((e) => e.edge === "start" && !ended.has(e.id)).map((e) => e.id) };
}

/**
 * Checks that `runId` may be retried; a RUNNING run whose owner is gone (or any RUNNING run with
 * `force`) is taken over first: its open executions end FAIL `runnable.Abandoned`, so the run log
 * says what happened and the retry continues from what was recorded. Refused (UsageError): a
 * SUCCESS run, a RUNNING run whose owner is alive.
 */
export async function checkRetry(stores: Stores, header: RunHeader, options: RetryRuleOptions = {}): Promise<void> {
  const { runId } = header;
  const info = await stores.runLog.runStatus(runId);
  if (info?.status === "SUCCESS") throw new UsageError(`run ${runId} already succeeded: nothing to retry`);
  if (info?.status !== "RUNNING") return;
  const liveness = judgeLease(await readLease(stores.blob, runId), header.startedAt);
  if (!liveness.stale && !options.force) {
    throw new UsageError(
      `run ${runId} is still RUNNING: ${liveness.reason}. It cannot be retried while its owner runs it; ` +
      "stop that process (Ctrl-C records the run FAIL), or if the owner is on another host and known to be gone, retry with --force",
    );
  }
  const why = liveness.stale ? liveness.reason : `taken over with --force (${liveness.reason})`;
  const { open } = await executionsOf(stores, runId);
  const now = new Date().toISOString();
  for (const id of open) {
    await stores.runLog.endExecution(runId, {
      id, endedAt: now, status: "FAIL", finalParameters: header.parameters,
      error: { name: ERRORS.abandoned, message: `execution "${id}" was abandoned: ${why}; taken over by a retry (pid ${process.pid} on host ${hostname()})` },
    });
  }
}

/** The id of a retry's execution: `retry-<n>`, n one past the executions so far (never one in use). */
export async function nextExecution(stores: Stores, runId: string): Promise<string> {
  const { all } = await executionsOf(stores, runId);
  let n = Math.max(1, all.size);
  while (all.has(`retry-${n}`)) n++;
  return `retry-${n}`;
}
