// NotebookTask with a real Jupyter kernel (Debian's python3-nbclient + python3-ipykernel, installed
// by .ci/run): parameters injected after the tagged cell, returns read from the kernel, the executed
// notebook stored with its outputs, failing cells, timeouts, secrets masked. Each run starts a kernel
// (≈ 2 s), so the cases share runs where they can.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../src/execute/index.js";
import { buildGraph } from "../../src/graph/index.js";
import { createRun, handleStepEvent, type StepContext } from "../../src/runtime/index.js";
import type { StepEvent } from "../../src/runtime/protocol.js";
import { memoryStores } from "../../src/store/index.js";
import type { Pipeline } from "../../src/sdk/pipeline.js";
import type { RunResult } from "../../src/sdk/runlog.js";
import type { JsonValue } from "../../src/sdk/types.js";
import { statuses, tempDir } from "../helpers/cli.js";

const SECRET = "tok-4f9a-very-secret";
const fixture = (name: string) => join(import.meta.dirname, "fixtures", `${name}.ts`);

interface Cell { cell_type: string; source: string | string[]; metadata: { tags?: string[] }; outputs?: Output[]; execution_count?: number | null }
interface Output { output_type: string; text?: string | string[]; ename?: string; evalue?: string; traceback?: string[]; data?: Record<string, unknown> }

const text = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : s ?? "");

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("notebook-exec-");
  process.env.RUNNABLE_SECRET_api_token = SECRET;
});
afterAll(() => {
  delete process.env.RUNNABLE_SECRET_api_token;
  work.cleanup();
});

async function run(name: string, parameters: Record<string, JsonValue> = {}): Promise<RunResult & { root: string }> {
  const source = fixture(name);
  const pipeline = (await import(source) as { default: Pipeline }).default;
  const root = join(work.dir, `root-${name}-${Object.values(parameters).join("-")}`);
  const result = await runPipeline(pipeline, { root, parameters, source, workDir: work.dir });
  return { ...result, root };
}

function executed(r: { root: string; runId: string }, name: string): { file: string; cells: Cell[] } {
  const file = join(r.root, "catalog", r.runId, name);
  return { file, cells: (JSON.parse(readFileSync(file, "utf8")) as { cells: Cell[] }).cells };
}

describe("NotebookTask: parameters in, returns out, the executed notebook kept", () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run("flow", { alpha: 5, api_token: "given-as-parameter" });
  }, 120_000);

  it("succeeds and binds json, metric and pickled object returns", () => {
    expect(statuses(r.runLog), JSON.stringify(r.runLog.steps, null, 1)).toEqual({ prepare: "SUCCESS", params: "SUCCESS", consume: "SUCCESS" });
    const params = r.runLog.steps.params!.attempts[0]!;
    // numpy values come back as plain JSON numbers.
    expect(params.outputParameters.result).toEqual({ doubled: 10, label: "FROM PREPARE", cells: 12 });
    expect(params.outputParameters.score).toBe(1.25);
    expect(params.metrics).toEqual({ score: 1.25 });
    // object() returns are pickled into the catalog; the run log holds a reference.
    expect(params.outputParameters.model).toEqual({ $object: ".objects/params/model.pickle" });
    expect(existsSync(join(r.root, "catalog", r.runId, ".objects", "params", "model.pickle"))).toBe(true);
    // The next notebook got the unpickled object (a tuple and a set survive).
    expect(r.runLog.steps.consume!.attempts[0]!.outputParameters.summary).toEqual({ weights: [1, 2, 3], classes: ["a", "b"], type: "set" });
    expect(r.runLog.finalParameters.summary).toEqual({ weights: [1, 2, 3], classes: ["a", "b"], type: "set" });
  });

  it("records as inputs the parameters named in the parameters cell, secrets masked", () => {
    // `unused` is not in scope (keeps its default); the secret wins over the parameter of its name.
    expect(r.runLog.steps.params!.attempts[0]!.inputParameters).toEqual({ alpha: 5, label: "from prepare", rows: 3, cols: 4, api_token: "***" });
    expect(r.runLog.steps.consume!.attempts[0]!.inputParameters).toEqual({ model: { $object: ".objects/params/model.pickle" } });
  });

  it("stores the executed notebook, with the injected cell right after the parameters cell and every output", () => {
    const entry = r.runLog.steps.params!.catalog.find((c) => c.name === "params/params.executed.ipynb");
    expect(entry).toMatchObject({ stage: "put" });
    const { cells } = executed(r, "params/params.executed.ipynb");
    expect(cells.map((c) => c.metadata.tags ?? [])).toEqual([[], ["parameters"], ["injected-parameters"], [], []]);
    // Python literals of the JSON values, sorted by name; the secret is masked in the stored copy.
    expect(text(cells[2]!.source)).toBe([
      '# Parameters injected by runnable (step "params")',
      "alpha = 5", "api_token = '***'", "cols = 4", "label = 'from prepare'", "rows = 3",
    ].join("\n"));
    expect(cells.map((c) => c.execution_count ?? null)).toEqual([null, 1, 2, 3, 4]);
    expect(text(cells[3]!.outputs![0]!.text)).toBe("alpha=5 label=from prepare rows=3 unused=kept\ntoken is ***\n");
    expect(readFileSync(executed(r, "params/params.executed.ipynb").file, "utf8")).not.toContain(SECRET);
    expect(r.runLog.steps.consume!.catalog.map((c) => c.name)).toEqual(["consume/consume.executed.ipynb"]);
  });
});

describe("NotebookTask failures", () => {
  it("a failing cell fails the step with the cell number, exception and traceback; the notebook is still stored; secrets masked", async () => {
    const r = await run("fails");
    expect(r.status).toBe("FAIL");
    expect(statuses(r.runLog)).toEqual({ explode: "FAIL" });
    const error = r.runLog.steps.explode!.attempts[0]!.error!;
    expect(error.name).toBe("ValueError");
    expect(error.message).toMatch(/^notebook fails\.ipynb failed in cell 3 \(In \[4\]\): ValueError: refused \*\*\*\n/);
    // The traceback, without terminal colours: the failing line and the function it came from.
    expect(error.message).toContain("check(api_token)");
    expect(error.message).toContain("raise ValueError(f'refused {value}')");
    expect(error.message).not.toMatch(/\u001b\[/);
    expect(JSON.stringify(r.runLog)).not.toContain(SECRET);

    expect(r.runLog.steps.explode!.catalog.map((c) => c.name)).toEqual(["explode/fails.executed.ipynb"]);
    const { file, cells } = executed(r, "explode/fails.executed.ipynb");
    expect(readFileSync(file, "utf8")).not.toContain(SECRET);
    expect(text(cells[2]!.outputs![0]!.text)).toBe("about to fail with ***\n");
    expect(cells[3]!.outputs!.find((o) => o.output_type === "error")).toMatchObject({ ename: "ValueError", evalue: "refused ***" });
    // The cell after the failure never ran.
    expect(cells[4]!.execution_count ?? null).toBeNull();
    // What the cells printed, traceback included, is the attempt's output (as for every step).
    const output = r.runLog.steps.explode!.attempts[0]!.output!;
    expect(output.name).toBe("explode/attempt-1.log");
    const printed = readFileSync(join(r.root, "catalog", r.runId, output.name), "utf8");
    expect(printed).toMatch(/^about to fail with \*\*\*\n/);
    expect(printed).toContain("ValueError: refused ***");
    expect(printed).toContain("raise ValueError(f'refused {value}')");
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toMatch(/\u001b\[/);
  }, 120_000);

  it("a notebook running past its time limit fails with runnable.Timeout and is still stored", async () => {
    // The limit is the step's timeoutSeconds or the handler's remaining time, whichever ends first;
    // the remaining time gives a short one (a Batch step's timeoutSeconds is at least 60 s).
    const pipeline = (await import(fixture("slow")) as { default: Pipeline }).default;
    const built = buildGraph(pipeline);
    const stores = memoryStores();
    const { runId } = await createRun(stores, { built, parameters: {}, mode: "local" });
    const ctx: StepContext = { built, stores, workDir: work.dir, deadline: Date.now() + 7_000 };
    const send = (action: StepEvent["action"], path = "") =>
      handleStepEvent({ v: 1, action, runId, path, indexes: [], execution: "exec-1", retryCount: 0 }, ctx);
    await send("start");
    await expect(send("task", "sleepy")).rejects.toMatchObject({ name: "runnable.Timeout" });
    const [attempt] = await stores.runLog.attempts(runId, "sleepy");
    expect(attempt!.error!.name).toBe("runnable.Timeout");
    expect(attempt!.error!.message).toMatch(/^step "sleepy" timed out after \d+\.\ds \(the handler's remaining time ran out\)/);
    expect(attempt!.catalog.map((c) => c.name)).toEqual(["sleepy/slow.executed.ipynb"]);
    const copy = join(work.dir, "slow.executed.ipynb");
    await stores.catalog.get(runId, "sleepy/slow.executed.ipynb", copy);
    const stored = JSON.parse(readFileSync(copy, "utf8")) as { cells: Cell[] };
    expect(text(stored.cells[0]!.outputs![0]!.text)).toBe("started\n");
  }, 120_000);

  it("a TypeScript object() value named in the parameters cell is refused, naming the step and parameter", async () => {
    const r = await run("handoff", { case: "typed" });
    expect(statuses(r.runLog)).toEqual({ train: "SUCCESS", which: "FAIL", "which.typed.consume": "FAIL" });
    expect(r.runLog.steps["which.typed.consume"]!.attempts[0]!.error!.message).toBe(
      'step "which.typed.consume": parameter "model" (assigned in the notebook\'s parameters cell) is an object() value of a TypeScript step, '
      + 'and a notebook takes JSON values only (or objects pickled by earlier notebook steps): return it as json("model"), or write a file and pass it through the catalog');
  }, 60_000);

  it("a notebook without a parameters cell gets no parameters: its NameError says why", async () => {
    const r = await run("handoff", { case: "untagged", alpha: 2 });
    const error = r.runLog.steps["which.untagged.untagged"]!.attempts[0]!.error!;
    expect(error.name).toBe("NameError");
    expect(error.message).toContain("failed in cell 1 (In [1]): NameError: name 'alpha' is not defined "
      + '(the notebook has no cell tagged "parameters": runnable injects only the names that cell assigns)');
  }, 120_000);
});
