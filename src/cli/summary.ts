import { ERRORS } from "../core/protocol.js";
import type { RunResult } from "../sdk/runlog.js";
import type { ExecutionSpan } from "../store/types.js";
import { executionDurations, millisBetween } from "../view/format.js";

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The one-screen summary printed after a run or retry. `catalogDir`: where the run's files are, when on
 * disk. `storeFlags`: options the hinted `logs`/`retry` commands need to find the run (e.g. `--s3-endpoint …`);
 * `cli`: how they name the CLI (`npx runnable`, see invocation.ts). `executions`: the run's executions
 * (first run, retries): after a retry the headline gives this execution's own time, and a line each
 * execution's and the wall time since the run first started.
 */
export function summary(
  result: RunResult, root: string, catalogDir?: string, storeFlags: readonly string[] = [], cli = "runnable", executions: readonly ExecutionSpan[] = [],
): string {
  const log = result.runLog;
  const steps = Object.entries(log.steps);
  const ok = steps.filter(([, s]) => s.status === "SUCCESS").length;
  const failed = steps.filter(([, s]) => s.status === "FAIL");
  const wall = log.endedAt ? formatMs(Date.parse(log.endedAt) - Date.parse(log.startedAt)) : "?";
  const last = executions.length > 1 ? executions.at(-1)! : undefined;
  const own = last ? millisBetween(last.startedAt, last.endedAt) : undefined;
  const took = last ? `${own === undefined ? "?" : formatMs(own)} this execution` : wall;
  const lines = [
    "",
    `${result.status === "SUCCESS" ? "SUCCESS" : "FAIL"}  run ${result.runId}  (pipeline ${log.pipeline}, ${took})`,
    ...(last ? [`executions: ${executionDurations(executions)}; wall time ${wall} since the run started`] : []),
    `steps: ${ok} succeeded, ${failed.length} failed`,
  ];
  if (log.error) lines.push(`  run failed: ${log.error.name}: ${log.error.message}`);
  for (const [path, step] of failed.slice(0, 5)) {
    const err = step.attempts.at(-1)?.error;
    lines.push(`  failed: ${path}${err ? ` — ${err.name}: ${err.message.split("\n")[0]}` : ""}`);
  }
  if (failed.length > 5) lines.push(`  … and ${failed.length - 5} more`);
  const rootFlag = (root === ".runnable" ? "" : ` --root ${root}`) + storeFlags.map((f) => ` ${f}`).join("");
  lines.push(`run log: ${cli} logs ${result.runId}${rootFlag}`);
  if (catalogDir) lines.push(`files:   ${catalogDir}`);
  if (result.status !== "SUCCESS") {
    lines.push(result.runLog.error?.name === ERRORS.interrupted
      ? `continue where it stopped: ${cli} retry ${result.runId}${rootFlag}`
      : `fix the cause, then re-run what failed: ${cli} retry ${result.runId}${rootFlag}`);
  }
  return lines.join("\n") + "\n";
}
