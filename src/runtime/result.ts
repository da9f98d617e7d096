import type { RunError, RunLog, RunResult } from "../sdk/runlog.js";

/**
 * What ended a failed run, for `RunResult.error`: the first step failure in time (the task whose
 * failing attempt ended first — the cause; composites that failed because of it come later),
 * else the failed composite or Fail step, else the run log's own error (an execution Step Functions
 * ended outside any step, e.g. at a quota).
 */
export function runErrorOf(log: RunLog): RunError | undefined {
  if (log.status !== "FAIL") return undefined;
  let best: (RunError & { at: string; task: boolean }) | undefined;
  for (const [step, s] of Object.entries(log.steps)) {
    if (s.status !== "FAIL") continue;
    const last = s.attempts[s.attempts.length - 1];
    if (!last?.error) continue;
    const task = s.type === "task";
    const candidate = { step, name: last.error.name, message: last.error.message, at: last.endedAt, task };
    // A task's failure is the cause; among the same kind, the earliest.
    if (!best || (task && !best.task) || (task === best.task && candidate.at < best.at)) best = candidate;
  }
  if (!best) return log.error ? { step: null, name: log.error.name, message: log.error.message } : { step: null, name: "runnable.RunFailed", message: "the run failed" };
  return { step: best.step, name: best.name, message: best.message };
}

/** A run's result from its run log. `parameters` and `finalParameters` are both the final scope. */
export function runResultOf(runId: string, runLog: RunLog): RunResult {
  const error = runErrorOf(runLog);
  return {
    runId, status: runLog.status === "SUCCESS" ? "SUCCESS" : "FAIL",
    parameters: runLog.finalParameters, finalParameters: runLog.finalParameters, runLog,
    ...(error ? { error } : {}),
  };
}
