// The readable `runnable logs` view: golden text for a fixed run log (run order, Map iterations
// summed with the failed one listed, failures, catalog, hints).
import { describe, expect, it } from "vitest";
import { logsText } from "../../src/cli/views/logs.js";
import { mlRun } from "./fixtures.js";

describe("logs table", () => {
  it("lists steps in run order with status, attempts, duration and returns; a Map's iterations as one row plus each failed one", () => {
    expect(logsText(mlRun(), { columns: 110, storeFlags: ["--root", "store"] })).toBe([
      "run        run-1",
      "pipeline   ml   status FAIL   duration 3.00 s",
      "started    2026-01-01 00:00:00 UTC   ended 2026-01-01 00:00:03 UTC   tag nightly   code git 0123456789",
      "parameters max_depth=6, seed=42",
      "",
      "#  STEP            STATUS   TRIES  DURATION  RETURNS / METRICS",
      "1  load            SUCCESS      1    120 ms  rows=[300 items]",
      "2  train.rf.fit    SUCCESS      1    1.20 s  rf={1 key}",
      "3  train.xgb.fit   SUCCESS      1    1.70 s  xgb={1 key}",
      "4  train           SUCCESS      1    1.70 s  rf={1 key}, xgb={1 key}",
      "5  score.*.eval    3 ✓ 1 ✗      2    150 ms  4 iterations, median 150 ms, slowest 300 ms",
      "     score.2.eval  FAIL         2    100 ms  TypeError: x.map is not a function",
      "6  score           FAIL         1    400 ms  runnable.StepFailed: x.map is not a function",
      "7  report          SUCCESS      1    100 ms  metrics: accuracy=0.851  path=\"report.txt\"",
      "",
      "failures",
      "  score.2.eval  (attempt 2)",
      "    TypeError: x.map is not a function",
      "  score  (attempt 1)",
      "    runnable.StepFailed: x.map is not a function",
      "",
      "catalog    2 files, 6.9 KB: data.csv, model.json",
      "",
      "full run log: runnable logs run-1 --root store --json",
      "re-run what failed: runnable retry run-1 --root store",
      "",
    ].join("\n"));
  });

  it("--expand lists every iteration; a running run says so", () => {
    const log = { ...mlRun(), status: "RUNNING" as const, endedAt: null };
    const text = logsText(log, { expand: true, columns: 110 });
    for (const i of [0, 1, 2, 3]) expect(text).toContain(`score.${i}.eval`);
    expect(text).not.toContain("score.*.eval");
    expect(text).toMatch(/status RUNNING   duration .* so far/);
    expect(text).not.toContain("re-run what failed");
  });

  it("leaves room for extra sections (e.g. a cost estimate) before the hints", () => {
    const text = logsText(mlRun(), { extraSections: [{ title: "cost (estimate)", lines: ["$0.0012 (3 Lambda invocations)"] }] });
    expect(text).toContain("\ncost (estimate)\n  $0.0012 (3 Lambda invocations)\n\nfull run log:");
  });
});
