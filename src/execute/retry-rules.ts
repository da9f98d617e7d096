import { hostname } from "node:os";
import { ERRORS } from "../core/protocol.js";
import { UsageError } from "../sdk/errors.js";
import { judgeLease, readLease } from "../store/lease.js";
import { runKeys } from "../store/runlog.js";
import type { RunHeader, Stores } from "../store/types.js";
import type { PipelineGraph } from "../graph/types.js";
import { ON_FAILURE } from "../sdk/types.js";

/**
 * The rules of `runnable retry`, in one place for every mode (local, emulator): which runs may be
 * retried, taking over a RUNNING run whose owner is gone, and the next execution's name.
 */

/** Options of a retry that bear on the rules. */
export interface RetryRuleOptions {
  /** Take over a RUNNING run even though its owner looks alive (another host's lease not yet expired). */
  force?: boolean;
  /** `--from`: a run that succeeded may be re-run from a step. */
  from?: string;
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
  if (info?.status === "SUCCESS" && options.from === undefined) {
    throw new UsageError(`run ${runId} already succeeded: nothing to retry (to run steps again, name where to start: --from <step>)`);
  }
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

/** One segment of a `--from` path: a step in a pipeline (its siblings in order), or a branch/iteration selector. */
type Slot = { kind: "step"; order: string[] } | { kind: "branch" };

/**
 * Where `retry --from <path>` starts, resolved against the graph: the path's segments (a Map
 * iteration may be left out or given as `*`: every iteration) and what each segment selects.
 * Throws UsageError when the path names no step.
 */
export function resolveFrom(graph: PipelineGraph, from: string): { segments: string[]; slots: Slot[] } {
  const wrong = (why: string) => new UsageError(`--from ${JSON.stringify(from)}: ${why} (give a step path as \`runnable logs\` shows it, e.g. train, fanout.3.score, fanout.score for every iteration)`);
  const segs = from.split(".");
  const segments: string[] = [];
  const slots: Slot[] = [];
  let pipeline: PipelineGraph | undefined = graph;
  let i = 0;
  while (i < segs.length) {
    if (!pipeline) throw wrong(`no pipeline at "${segments.join(".")}"`);
    const steps: PipelineGraph["steps"] = pipeline.steps;
    const node = steps.find((s) => s.name === segs[i]);
    if (!node) throw wrong(`no step "${segs[i]}"${segments.length ? ` in "${segments.join(".")}"` : ""}`);
    segments.push(node.name);
    slots.push({ kind: "step", order: steps.map((s) => s.name) });
    i++;
    if (i === segs.length) break;
    const seg = segs[i]!;
    if (seg === ON_FAILURE) {
      pipeline = node.onFailure;
      segments.push(seg);
      i++;
    } else if (node.kind === "map") {
      // An index (or "*") selects iterations; a step name straight after the Map means every iteration.
      const index = /^(0|[1-9][0-9]*|\*)$/.test(seg);
      segments.push(index ? seg : "*");
      if (index) i++;
      pipeline = node.branch;
    } else if (node.kind === "parallel" || node.kind === "conditional") {
      pipeline = seg === "default" && node.kind === "conditional" ? node.default : node.branches[seg];
      if (!pipeline) throw wrong(`"${node.name}" has no branch "${seg}"`);
      segments.push(seg);
      i++;
    } else {
      throw wrong(`"${node.name}" is a ${node.kind} step: it has no steps inside`);
    }
    slots.push({ kind: "branch" });
  }
  return { segments, slots };
}

/**
 * Whether the recorded step `stepPath` re-runs in `retry --from`: the step itself and everything
 * inside it; every step after it in its pipeline (and inside those); each composite enclosing it
 * (its outcome is recomputed) and every step after that composite, up to the run's top level.
 * Steps in other branches of a Parallel/Conditional, and other iterations of a Map, do not re-run.
 */
export function rerunsFrom(from: { segments: string[]; slots: Slot[] }, stepPath: string): boolean {
  const s = stepPath.split(".");
  for (let c = 0; ; c++) {
    if (c === from.segments.length || c === s.length) return true; // inside the start step, or enclosing it
    const f = from.segments[c]!;
    if (f === s[c] || f === "*") continue;
    const slot = from.slots[c]!;
    return slot.kind === "step" && slot.order.indexOf(s[c]!) > slot.order.indexOf(f);
  }
}

/**
 * Makes the steps `retry --from` re-runs run again: each of them whose last attempt succeeded gets
 * one more attempt record, FAIL `runnable.Rerun` ("not run: re-run from …"), so it is no longer
 * done in any mode (a step counts as done while its last attempt succeeded) and its next attempt is
 * numbered on. Returns the step paths reset.
 */
export async function resetFrom(stores: Stores, graph: PipelineGraph, runId: string, execution: string, fromPath: string): Promise<string[]> {
  const from = resolveFrom(graph, fromPath);
  const all = await stores.runLog.allAttempts(runId);
  const reset: string[] = [];
  const now = new Date().toISOString();
  for (const [stepPath, records] of all) {
    const last = records[records.length - 1];
    if (last?.status !== "SUCCESS" || !rerunsFrom(from, stepPath)) continue;
    await stores.runLog.recordAttempt(runId, stepPath, {
      key: `${execution}-rerun`, type: last.type, attempt: last.attempt + 1, status: "FAIL", startedAt: now, endedAt: now,
      inputParameters: {}, outputParameters: {}, metrics: {}, catalog: [],
      error: { name: ERRORS.rerun, message: `not run: step set to re-run by \`retry --from ${fromPath}\` (execution ${execution})` },
    });
    reset.push(stepPath);
  }
  return reset;
}
