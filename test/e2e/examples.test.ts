// Every example, run as a user runs it: `runnable run examples/<x>/pipeline.ts` (sources, or dist/ with RUNNABLE_TEST_AGAINST=dist) in a
// fresh working directory, asserting exit code, every step's status, final parameters and catalog md5s.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import { md5, parseResult, REPO, runCli, statuses, tempDir, verifyCatalog } from "../helpers/cli.js";

const tested = new Set<string>();
const example = (name: string) => {
  tested.add(name);
  return join(REPO, "examples", name, "pipeline.ts");
};

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("runnable-e2e-");
});
afterAll(() => {
  work.cleanup();
  // A new example folder must get its own end-to-end test here.
  expect([...tested].sort()).toEqual(readdirSync(join(REPO, "examples")).sort());
});

function gets(log: RunLog): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of Object.values(log.steps)) {
    for (const e of step.catalog) if (e.stage === "get") (out[e.name] ??= []).push(e.md5);
  }
  return out;
}

describe("examples/ml-pipeline (the README's main command)", () => {
  it("runs end to end, prints the report on stdout, and records statuses, parameters and catalog md5s", async () => {
    const run = await runCli(["run", example("ml-pipeline"), "--run-id", "ml-1"], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(0);
    // stdout carries what the steps print — the report — and nothing of the CLI's own.
    expect(run.stdout).toContain("ML Pipeline Report");
    expect(run.stdout).toMatch(/Best model: (RandomForest|XGBoost) \(accuracy 0\.\d{3}\)/);
    expect(run.stderr).toContain("SUCCESS");
    expect(run.stderr).toContain("ml-1");

    const logs = await runCli(["logs", "--json", "ml-1"], { cwd: work.dir });
    expect(logs.code).toBe(0);
    const log = JSON.parse(logs.stdout) as RunLog;
    expect(log.status).toBe("SUCCESS");
    expect(log.pipeline).toBe("ml-pipeline");
    expect(statuses(log)).toEqual({
      generate_data: "SUCCESS",
      data_preparation: "SUCCESS",
      train_models: "SUCCESS",
      "train_models.random_forest.train_rf": "SUCCESS",
      "train_models.xgboost.train_xgb": "SUCCESS",
      select_best_model: "SUCCESS",
      generate_report: "SUCCESS",
    });
    // max_depth came from parameters.yaml beside the pipeline file (no --parameters given).
    expect(log.parameters).toEqual({ max_depth: 6 });
    const fp = log.finalParameters;
    expect(fp).toMatchObject({ max_depth: 6, raw_rows: 400, n_samples: 280, n_test: 94, n_features: 6, report_path: "ml_report.txt" });
    const rf = fp.rf_results as { accuracy: number };
    const xgb = fp.xgb_results as { accuracy: number };
    expect(fp.rf_results).toMatchObject({ model_type: "RandomForest", model_file: "rf_model.json" });
    expect(fp.xgb_results).toMatchObject({ model_type: "XGBoost", model_file: "xgb_model.json" });
    // Accuracy is measured on the held-out split: a real model beats chance but is not perfect.
    for (const a of [rf.accuracy, xgb.accuracy]) {
      expect(a).toBeGreaterThan(0.6);
      expect(a).toBeLessThan(1);
    }
    expect(fp.best_model).toEqual(xgb.accuracy > rf.accuracy ? fp.xgb_results : fp.rf_results);
    // The branches each saw max_depth from the fork's scope.
    for (const branch of ["random_forest.train_rf", "xgboost.train_xgb"]) {
      expect(log.steps[`train_models.${branch}`]!.attempts[0]!.inputParameters).toMatchObject({ max_depth: 6 });
    }

    const puts = verifyCatalog(work.dir, log);
    expect(Object.keys(puts).sort()).toEqual([
      "best_model.json", "customers.csv", "features.csv", "ml_report.txt", "rf_model.json", "target.csv",
      "test_features.csv", "test_target.csv", "transactions.csv", "xgb_model.json",
    ]);
    // Every get received exactly the bytes that were put.
    for (const [name, md5s] of Object.entries(gets(log))) for (const m of md5s) expect(m, name).toBe(puts[name]);
    const bestFile = (fp.best_model as { model_file: string }).model_file;
    expect(puts["best_model.json"]).toBe(puts[bestFile]);
    const report = readFileSync(join(work.dir, ".runnable", "catalog", "ml-1", "ml_report.txt"), "utf8");
    expect(report).toContain(`- RandomForest: ${rf.accuracy.toFixed(3)}`);
    expect(report).toContain("- max_depth:        6");
  });
});

describe("small examples", () => {
  it("map-reduce: one iteration per text, counts summed by the reducer", async () => {
    const run = await runCli(["run", example("map-reduce"), "--json"], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(0);
    const { status, runLog } = parseResult(run);
    expect(status).toBe("SUCCESS");
    expect(statuses(runLog)).toEqual({
      count_words: "SUCCESS",
      "count_words.0.count": "SUCCESS",
      "count_words.1.count": "SUCCESS",
      "count_words.2.count": "SUCCESS",
      "count_words.3.count": "SUCCESS",
      summarise: "SUCCESS",
    });
    expect(runLog.steps["count_words.1.count"]!.attempts[0]!.inputParameters).toMatchObject({ text: "jumps over" });
    expect(runLog.finalParameters).toMatchObject({ word_count: 13, summary: "4 texts, 13 words" });
  });

  it("conditional: no key matches grade C, so the default branch runs", async () => {
    const run = await runCli(["run", example("conditional"), "--json"], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(0);
    const { runLog } = parseResult(run);
    expect(statuses(runLog)).toEqual({ grade: "SUCCESS", route: "SUCCESS", "route.default.archive": "SUCCESS", notify: "SUCCESS" });
    expect(runLog.steps.route!.attempts.at(-1)!.branch).toBe("default");
    expect(runLog.finalParameters).toEqual({ score: 0.55, grade: "C", action: "archived (grade C)", message: "done: archived (grade C)" });
  });

  it("conditional: RUNNABLE_PRM_score overrides parameters.yaml and selects branch A", async () => {
    const run = await runCli(["run", example("conditional"), "--json"], { cwd: work.dir, env: { RUNNABLE_PRM_score: "0.95" } });
    expect(run.code, run.stderr).toBe(0);
    const { runLog } = parseResult(run);
    expect(statuses(runLog)).toEqual({ grade: "SUCCESS", route: "SUCCESS", "route.A.publish": "SUCCESS", notify: "SUCCESS" });
    expect(runLog.finalParameters).toMatchObject({ score: 0.95, grade: "A", message: "done: published" });
  });

  it("on-failure: retries a flaky step, recovers a failing one, skips the rest, ends SUCCESS", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const run = await runCli(["run", example("on-failure"), "--json"], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      const { status, runLog } = parseResult(run);
      expect(status).toBe("SUCCESS");
      expect(statuses(runLog)).toEqual({ fetch: "SUCCESS", parse: "FAIL", "parse.onFailure.use_defaults": "SUCCESS" });
      expect(runLog.steps.fetch!.attempts.map((a) => a.status)).toEqual(["FAIL", "FAIL", "SUCCESS"]);
      expect(runLog.steps.fetch!.attempts[0]!.error?.message).toContain("source unavailable (attempt 1)");
      expect(runLog.steps.fetch!.attempts[1]!.error?.message).toContain("source unavailable (attempt 2)");
      expect(runLog.steps.parse!.attempts[0]!.error?.message).toContain('column "value" is not a number');
      expect(runLog.finalParameters).toMatchObject({ raw: "id,value;1,oops", total: 0, source: "defaults" });
      expect(runLog.finalParameters).not.toHaveProperty("published");
    } finally {
      cleanup();
    }
  });

  it("shell-task: parameters as env vars (never interpolated), returns via $RUNNABLE_OUTPUT, files via the catalog", async () => {
    const run = await runCli(["run", example("shell-task"), "--json"], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(0);
    const { runLog } = parseResult(run);
    expect(statuses(runLog)).toEqual({ write_greetings: "SUCCESS", checksum: "SUCCESS", check: "SUCCESS" });
    const puts = verifyCatalog(work.dir, runLog);
    const greetings = join(work.dir, ".runnable", "catalog", runLog.runId, "greetings.txt");
    expect(readFileSync(greetings, "utf8")).toBe("Hello, O'Brien; rm -rf / #1\nHello, O'Brien; rm -rf / #2\nHello, O'Brien; rm -rf / #3\n");
    expect(runLog.finalParameters).toMatchObject({ lines: 3, count: 3, digest: md5(greetings), all_written: true });
    expect(puts["greetings.txt"]).toBe(md5(greetings));
    expect(runLog.steps.checksum!.catalog).toContainEqual(expect.objectContaining({ name: "greetings.txt", stage: "get", md5: md5(greetings) }));
    expect(existsSync(join(work.dir, ".runnable", "catalog", runLog.runId, "write_greetings.execution.log"))).toBe(true);
  });

  it("notebook: a Jupyter notebook step with parameters, a metric, a plot through the catalog and the executed notebook kept", async () => {
    // The emulator runs the notebook as a Batch job (the job process the deployed image runs).
    const [run, emulated] = await Promise.all([
      runCli(["run", example("notebook"), "--run-id", "nb-1"], { cwd: work.dir }),
      runCli(["run", example("notebook"), "--run-id", "nb-emu", "--root", "emulator-nb", "--mode", "emulator", "--json"], { cwd: work.dir }),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Greenhouse temperature: 60 days, mean 19.51 °C, 15 days above 20.5 °C, trend +0.048 °C/day");
    const logs = await runCli(["logs", "--json", "nb-1"], { cwd: work.dir });
    const log = JSON.parse(logs.stdout) as RunLog;
    expect(statuses(log)).toEqual({ make_readings: "SUCCESS", analyse: "SUCCESS", report: "SUCCESS" });
    const analyse = log.steps.analyse!.attempts[0]!;
    // threshold and title came from parameters.yaml, replacing the parameters cell's defaults.
    expect(analyse.inputParameters).toEqual({ threshold: 20.5, title: "Greenhouse temperature" });
    expect(analyse.metrics).toEqual({ trend_per_day: 0.048 });
    expect(log.finalParameters).toMatchObject({ summary: { days: 60, mean: 19.51, warm_days: 15, threshold: 20.5 }, trend_per_day: 0.048 });
    const puts = verifyCatalog(work.dir, log);
    expect(Object.keys(puts).sort()).toEqual(["analyse/analysis.executed.ipynb", "readings.csv", "temperature.png"]);
    const catalog = join(work.dir, ".runnable", "catalog", "nb-1");
    expect(readFileSync(join(catalog, "temperature.png")).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const nb = JSON.parse(readFileSync(join(catalog, "analyse", "analysis.executed.ipynb"), "utf8")) as { cells: { source: string[]; outputs?: { data?: Record<string, unknown> }[] }[] };
    expect(nb.cells[2]!.source.join("")).toContain("threshold = 20.5\ntitle = 'Greenhouse temperature'");
    // The plot is in the executed notebook too, as the last cell's image output.
    expect(nb.cells.at(-1)!.outputs![0]!.data!["image/png"]).toEqual(expect.any(String));
    // Through the emulator: the same results, byte for byte the same executed notebook and plot.
    expect(emulated.code, emulated.stderr).toBe(0);
    const emu = parseResult(emulated).runLog;
    expect(statuses(emu)).toEqual(statuses(log));
    expect(emu.finalParameters).toEqual(log.finalParameters);
    const md5s = (l: RunLog) => l.steps.analyse!.catalog.filter((c) => c.stage === "put").map((c) => [c.name, c.md5]);
    expect(md5s(emu)).toEqual(md5s(log));
  }, 180_000); // two kernel starts with matplotlib (≈ 5 s idle) take minutes on a loaded 2-core machine

  it("the same example through `--mode emulator` gives the same statuses and final parameters", async () => {
    const [local, emulated] = await Promise.all([
      runCli(["run", example("conditional"), "--json", "--root", "local-store"], { cwd: work.dir }),
      runCli(["run", example("conditional"), "--json", "--root", "emulator-store", "--mode", "emulator"], { cwd: work.dir }),
    ]);
    expect(emulated.code, emulated.stderr).toBe(0);
    const a = parseResult(local).runLog;
    const b = parseResult(emulated).runLog;
    expect(statuses(b)).toEqual(statuses(a));
    expect(b.finalParameters).toEqual(a.finalParameters);
    const logs = await runCli(["logs", "--json", b.runId, "--root", "emulator-store"], { cwd: work.dir });
    expect(logs.code).toBe(0);
    expect((JSON.parse(logs.stdout) as RunLog).status).toBe("SUCCESS");
  });
});
