import type { AttemptLog, RunLog, StepLog } from "../../src/sdk/runlog.js";
import type { JsonValue } from "../../src/sdk/types.js";

/** Fixed run logs for the pure view tests (times in seconds after 2026-01-01T00:00:00Z). */
export const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000).toISOString();

export function attempt(from: number, to: number, extra: Partial<AttemptLog> = {}): AttemptLog {
  return { attempt: 1, status: "SUCCESS", startedAt: at(from), endedAt: at(to), inputParameters: {}, outputParameters: {}, metrics: {}, error: null, ...extra };
}

export function step(type: StepLog["type"], attempts: AttemptLog[], catalog: StepLog["catalog"] = []): StepLog {
  return { type, status: attempts.at(-1)!.status, attempts, catalog };
}

/** An ML-like run: a Parallel, a 4-item Map with one failed iteration (retried twice), a catalog, metrics. */
export function mlRun(overrides: { runId?: string; parameters?: Record<string, JsonValue>; accuracy?: number; modelMd5?: string; status?: RunLog["status"] } = {}): RunLog {
  const accuracy = overrides.accuracy ?? 0.851;
  const steps: Record<string, StepLog> = {
    load: step("task", [attempt(0, 0.12, { outputParameters: { rows: Array.from({ length: 300 }, (_, i) => i) } })], [
      { name: "data.csv", stage: "put", md5: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", size: 2048 },
    ]),
    "train.rf.fit": step("task", [attempt(0.2, 1.4, { outputParameters: { rf: { depth: 6 } } })]),
    "train.xgb.fit": step("task", [attempt(0.2, 1.9, { outputParameters: { xgb: { depth: 6 } } })]),
    train: step("parallel", [attempt(0.2, 1.9, { outputParameters: { rf: { depth: 6 }, xgb: { depth: 6 } } })]),
    "score.0.eval": step("task", [attempt(2, 2.1)]),
    "score.1.eval": step("task", [attempt(2, 2.3)]),
    "score.2.eval": step("task", [
      attempt(2, 2.05, { status: "FAIL", error: { name: "TypeError", message: "x.map is not a function" } }),
      attempt(2.1, 2.2, { attempt: 2, status: "FAIL", error: { name: "TypeError", message: "x.map is not a function" } }),
    ]),
    "score.3.eval": step("task", [attempt(2, 2.2)]),
    score: step("map", [attempt(2, 2.4, { status: "FAIL", iterations: 4, error: { name: "runnable.StepFailed", message: "x.map is not a function" } })]),
    report: step("task", [attempt(2.5, 2.6, { outputParameters: { accuracy, path: "report.txt" }, metrics: { accuracy } })], [
      { name: "model.json", stage: "put", md5: overrides.modelMd5 ?? "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", size: 5000 },
    ]),
  };
  return {
    runId: overrides.runId ?? "run-1", pipeline: "ml", status: overrides.status ?? "FAIL", tag: "nightly", startedAt: at(0), endedAt: at(3), dagHash: "h",
    parameters: overrides.parameters ?? { max_depth: 6, seed: 42 }, finalParameters: {}, codeIdentity: { type: "git", commit: "0123456789abcdef", dirty: false },
    steps,
  };
}
