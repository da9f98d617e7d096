import { locate } from "../graph/paths.js";
import type { RootGraph } from "../graph/types.js";
import type { JsonValue } from "../sdk/types.js";
import type { RunLog, StepError, StepLog, StepStatus, StepType } from "../sdk/runlog.js";
import { attemptDuration, iterationPattern, median } from "./format.js";

/**
 * The steps of a run log as rows to show, in run order (first attempt's start). Steps inside a Map
 * become one row per step of the Map's body ("fanout.*.score": 1000 ✓ 3 ✗), each failed iteration
 * still listed on its own, so a 1,000-item Map reads as a few lines, never 1,000.
 */

export interface StepRow {
  /** Step path, or the body step's path with "*" for each Map index when the row sums iterations. */
  path: string;
  type: StepType;
  status: StepStatus;
  /** Attempts of the step (a collapsed row: the most any iteration made). */
  attempts: number;
  /** Duration of the last attempt (collapsed: the median iteration). */
  durationMs?: number;
  /** Collapsed rows: iteration counts and the slowest iteration. */
  iterations?: { succeeded: number; failed: number; running: number; maxMs?: number };
  /** The last attempt's returns and metrics (collapsed rows: none). */
  returns: Record<string, JsonValue>;
  metrics: Record<string, JsonValue>;
  /** The last attempt's error, when it failed. */
  error?: StepError;
  /** Extra detail: a Conditional's branch, a Map's iteration count. */
  note?: string;
  /** A failed Map iteration listed under its collapsed row. */
  failedIteration?: boolean;
}

export interface StepRowsOptions {
  /** Show every Map iteration as its own row. Default false. */
  expand?: boolean;
  /** The run's graph, to tell Map indexes from numeric branch keys. Default: numeric segments are indexes. */
  graph?: RootGraph;
}

/** The definition path of a step path: "*" for each Map index. */
export function patternOf(stepPath: string, graph?: RootGraph): string {
  return (graph && locate(graph, stepPath)?.definitionPath) || iterationPattern(stepPath);
}

function single(path: string, step: StepLog): StepRow {
  const last = step.attempts.at(-1);
  const duration = last ? attemptDuration(last) : undefined;
  const note = last?.branch !== undefined ? `branch ${last.branch}` : last?.iterations !== undefined ? `${last.iterations} iterations` : undefined;
  return {
    path, type: step.type, status: step.status, attempts: step.attempts.length,
    ...(duration !== undefined ? { durationMs: duration } : {}),
    returns: last?.outputParameters ?? {}, metrics: last?.metrics ?? {},
    ...(last?.error ? { error: last.error } : {}),
    ...(note ? { note } : {}),
  };
}

export function stepRows(log: RunLog, options: StepRowsOptions = {}): StepRow[] {
  const rows: StepRow[] = [];
  const collapsed = new Map<string, { row: StepRow; durations: number[] }>();
  for (const [path, step] of Object.entries(log.steps)) {
    const pattern = options.expand ? path : patternOf(path, options.graph);
    if (pattern === path) {
      rows.push(single(path, step));
      continue;
    }
    let entry = collapsed.get(pattern);
    if (!entry) {
      entry = {
        row: { path: pattern, type: step.type, status: "SUCCESS", attempts: 0, iterations: { succeeded: 0, failed: 0, running: 0 }, returns: {}, metrics: {} },
        durations: [],
      };
      collapsed.set(pattern, entry);
      rows.push(entry.row);
    }
    const { row, durations } = entry;
    const it = row.iterations!;
    row.attempts = Math.max(row.attempts, step.attempts.length);
    if (step.status === "SUCCESS") it.succeeded++;
    else if (step.status === "FAIL") it.failed++;
    else it.running++;
    const last = step.attempts.at(-1);
    const ms = last ? attemptDuration(last) : undefined;
    if (ms !== undefined) {
      durations.push(ms);
      it.maxMs = Math.max(it.maxMs ?? 0, ms);
    }
    row.status = it.running ? "RUNNING" : it.failed ? "FAIL" : "SUCCESS";
    // A failed iteration stays visible on its own row, after the summary row.
    if (step.status === "FAIL") rows.push({ ...single(path, step), failedIteration: true });
  }
  for (const { row, durations } of collapsed.values()) {
    const m = median(durations);
    if (m !== undefined) row.durationMs = m;
  }
  return rows;
}
