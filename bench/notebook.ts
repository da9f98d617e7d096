// NotebookTask figures: what one step of a trivial notebook (a parameters cell and one cell) costs
// locally, end to end, and where that time goes inside the driver (kernel start dominates).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runPipeline } from "../src/execute/index.js";
import { DRIVER, PYTHON_ENV_VARS, findJupyter } from "../src/runtime/notebook/jupyter.js";
import { NotebookTask, Pipeline } from "../src/sdk/index.js";

const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const TRIVIAL = {
  nbformat: 4, nbformat_minor: 5,
  metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
  cells: [
    { cell_type: "code", id: "p", metadata: { tags: ["parameters"] }, execution_count: null, outputs: [], source: "x = 0" },
    { cell_type: "code", id: "c", metadata: {}, execution_count: null, outputs: [], source: "y = x + 1" },
  ],
};

export async function bench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "runnable-bench-nb-"));
  try {
    const notebook = join(dir, "trivial.ipynb");
    writeFileSync(notebook, JSON.stringify(TRIVIAL));
    const t0 = performance.now();
    const jupyter = await findJupyter("bench", "python3");
    const checkMs = performance.now() - t0;

    // End to end: the step's attempt (the notebook path is relative to this file, where the step is made) as recorded (driver, kernel, catalog put of the executed notebook).
    const pipeline = new Pipeline({ name: "bench-notebook", steps: [new NotebookTask({ name: "nb", notebook: relative(import.meta.dirname, notebook), returns: ["y"] })] });
    const stepMs: number[] = [];
    for (let r = 0; r <= RUNS; r++) {
      const result = await runPipeline(pipeline, { root: join(dir, "root"), parameters: { x: r }, workDir: dir, fallbackName: "bench" });
      const a = result.runLog.steps.nb?.attempts[0];
      if (result.status !== "SUCCESS" || !a) throw new Error(`bench notebook run ${result.runId} failed: ${a?.error?.message}`);
      if (r > 0) stepMs.push(Date.parse(a.endedAt) - Date.parse(a.startedAt)); // run 0 warms the OS caches
    }

    // Inside the driver: its own timings per phase.
    const phases: Record<string, number[]> = {};
    for (let r = 0; r < RUNS; r++) {
      const request = {
        step: "nb", notebook, output: join(dir, "out.ipynb"), result: join(dir, "result.json"), kernel: "python3", cwd: dir,
        parameters: { x: r }, objects: {}, returns: [{ name: "y", kind: "json" }], returnsFile: join(dir, "returns.json"), timeoutSeconds: null,
      };
      writeFileSync(join(dir, "request.json"), JSON.stringify(request));
      const w0 = performance.now();
      spawnSync(jupyter.python, [DRIVER, "run", join(dir, "request.json")], { env: { ...process.env, ...PYTHON_ENV_VARS }, stdio: "ignore" });
      (phases.process ??= []).push(performance.now() - w0);
      const got = JSON.parse(readFileSync(request.result, "utf8")) as { status: string; timingsMs: Record<string, number> };
      if (got.status !== "SUCCESS") throw new Error(`driver run failed: ${JSON.stringify(got)}`);
      for (const [k, v] of Object.entries(got.timingsMs)) (phases[k] ??= []).push(v);
    }
    const ms = (xs: number[] | undefined) => Math.round(median(xs ?? [NaN]));
    return {
      notebook_step_ms: ms(stepMs),
      notebook_jupyter_check_ms: Math.round(checkMs),
      notebook_driver_process_ms: ms(phases.process),
      notebook_driver_imports_ms: ms(phases.driverImports),
      notebook_kernel_start_ms: ms(phases.kernelStart),
      notebook_cells_ms: ms(phases.cells),
      notebook_returns_ms: ms(phases.returns),
      notebook_kernel_shutdown_ms: ms(phases.shutdown),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
