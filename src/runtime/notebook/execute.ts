import { spawn } from "node:child_process";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { NotebookNode } from "../../graph/types.js";
import type { CatalogEntry } from "../../sdk/runlog.js";
import type { JsonValue } from "../../sdk/types.js";
import { ERRORS } from "../../core/protocol.js";
import { StepFailure } from "../../sdk/errors.js";
import { putOne } from "../catalog-io.js";
import type { Scope, StepContext } from "../context.js";
import { isObjectRef, isPickled } from "../objects.js";
import { fileTail, type OutputTail } from "../output.js";
import { maskValue, type Secrets } from "../secrets.js";
import { DRIVER, PYTHON_ENV_VARS, findJupyter } from "./jupyter.js";
import { notebookFile, readNotebook, type NotebookShape } from "./notebook-file.js";

/** After the step's own time limit (which the driver enforces per cell), the driver gets this long to stop before it is killed. */
const STOP_GRACE_MS = 15_000;
/** Tracebacks kept in an error message: the end matters most. */
const MAX_TRACEBACK_CHARS = 8_000;

export interface NotebookStepInput {
  ctx: StepContext;
  runId: string;
  stepPath: string;
  node: NotebookNode;
  /** Every parameter in scope, secrets included (they are masked out of what is stored). */
  scope: Scope;
  secrets: Secrets;
  attempt: number;
  limit?: { ms: number; why: string } | undefined;
  /** The executed notebook's entry is added here — also when the step fails. */
  catalog: CatalogEntry[];
  /** Bytes of printed output kept (the tail), as for every step. */
  outputLimit: number;
}

export interface NotebookStepOutput {
  /** The parameters injected (what the step read). */
  inputs: Scope;
  /** json/metric returns read from the kernel. */
  values: Record<string, unknown>;
  /** object() returns, already pickled into the catalog: name → reference. */
  objects: Record<string, JsonValue>;
  error?: Error;
  /** What the cells printed (streams and error tracebacks, as in the executed notebook): the attempt's output. */
  output?: OutputTail;
}

/** What driver.py writes to its result file. */
interface DriverResult {
  status: "SUCCESS" | "CELL_ERROR" | "TIMEOUT" | "RETURNS_ERROR" | "KERNEL_DIED" | "DRIVER_ERROR";
  message?: string;
  cell?: number;
  executionCount?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string;
  values?: Record<string, JsonValue>;
  executedNotebook?: string;
}

/** Catalog name of a step's executed notebook: `<stepPath>/<notebook name>.executed.ipynb`. */
export function executedName(stepPath: string, notebook: string): string {
  return `${stepPath}/${path.basename(notebook, ".ipynb")}.executed.ipynb`;
}

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * The parameters the notebook takes: every name its `parameters` cell assigns that is in scope
 * (the others keep the cell's defaults). JSON values are injected as literals; objects pickled by an
 * earlier notebook step are fetched to `dir` and loaded; a TypeScript object() value is refused.
 */
async function parametersFor(input: NotebookStepInput, names: string[], dir: string) {
  const { ctx, runId, stepPath, scope } = input;
  const parameters: Record<string, JsonValue> = {};
  const objects: Record<string, string> = {};
  const inputs: Scope = {};
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(scope, name)) continue;
    const value = scope[name]!;
    inputs[name] = value;
    if (!isObjectRef(value)) {
      parameters[name] = value;
      continue;
    }
    if (!isPickled(value) || value.$index !== undefined) {
      throw new Error(`step "${stepPath}": parameter "${name}" (assigned in the notebook's parameters cell) is an object() value of a TypeScript step, `
        + `and a notebook takes JSON values only (or objects pickled by earlier notebook steps): return it as json("${name}"), or write a file and pass it through the catalog`);
    }
    const bytes = await ctx.stores.catalog.getObject(runId, value.$object);
    if (!bytes) throw new Error(`step "${stepPath}": object ${value.$object} (parameter "${name}") is missing from run ${runId}'s catalog`);
    const file = path.join(dir, "in", `${name}.pickle`);
    await writeFile(file, bytes);
    objects[name] = file;
  }
  return { parameters, objects, inputs };
}

/** Runs driver.py; kills its process group if it outlives the time limit by STOP_GRACE_MS. */
async function runDriver(python: string, requestFile: string, input: NotebookStepInput, logFile: string): Promise<{ code: number | null; killed: boolean }> {
  const log = await open(logFile, "w");
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env, ...PYTHON_ENV_VARS,
      RUNNABLE_RUN_ID: input.runId, RUNNABLE_STEP: input.stepPath, RUNNABLE_ATTEMPT: String(input.attempt),
    };
    // Its own process group (a time-limit kill reaches the kernel too); stdin is a pipe that closes
    // when this process goes away, however it ends, and the driver then stops the kernel (watchParent).
    const child = spawn(python, [DRIVER, "run", requestFile], { cwd: input.ctx.workDir, env, detached: true, stdio: ["pipe", log.fd, log.fd] });
    child.stdin!.on("error", () => { /* the driver exited first */ });
    let killed = false;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, s);
      } catch { /* gone */ }
    };
    const timers: NodeJS.Timeout[] = [];
    if (input.limit) {
      timers.push(setTimeout(() => {
        killed = true;
        signal("SIGTERM"); // nbclient's handler shuts the kernel down
        timers.push(setTimeout(() => signal("SIGKILL"), 5_000));
      }, input.limit.ms + STOP_GRACE_MS));
    }
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c) => resolve(c));
    });
    timers.forEach(clearTimeout);
    child.stdin!.destroy();
    return { code, killed };
  } finally {
    await log.close();
  }
}

/** Masks secrets inside the executed notebook's JSON (cell sources, outputs, metadata) before it is stored. */
async function maskNotebook(file: string, secrets: Secrets): Promise<void> {
  if (secrets.needles.length === 0) return;
  const doc = JSON.parse(await readFile(file, "utf8")) as JsonValue;
  const masked = maskValue(doc, secrets);
  if (masked !== doc) await writeFile(file, `${JSON.stringify(masked, null, 1)}\n`);
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

function failure(
  input: NotebookStepInput, shape: NotebookShape, r: DriverResult | undefined, run: { code: number | null; killed: boolean }, logText: string,
): Error | undefined {
  const { node, stepPath, limit } = input;
  const nb = node.notebook;
  if (run.killed) {
    return new StepFailure(ERRORS.timeout, `step "${stepPath}" timed out after ${((limit?.ms ?? 0) / 1000).toFixed(1)}s (${limit?.why}): notebook ${nb} did not stop and was killed`);
  }
  if (!r) {
    const last = logText.trim().split("\n").slice(-10).join("\n");
    return named("NotebookError", `notebook ${nb}: the notebook driver exited with code ${run.code} without a result${last ? `; last output:\n${last}` : ""}`);
  }
  switch (r.status) {
    case "SUCCESS":
      return undefined;
    case "CELL_ERROR": {
      const name = r.ename && /^[A-Za-z_][A-Za-z0-9_.]{0,99}$/.test(r.ename) ? r.ename : "NotebookError";
      const where = `cell ${r.cell}${r.executionCount ? ` (In [${r.executionCount}])` : ""}`;
      const trace = r.traceback ? `\n${tail(r.traceback, MAX_TRACEBACK_CHARS)}` : "";
      // A notebook without a parameters cell gets no parameters: say so where it shows, on a NameError.
      const hint = r.ename === "NameError" && shape.parametersCell === undefined
        ? ` (the notebook has no cell tagged "parameters": runnable injects only the names that cell assigns)` : "";
      return named(name, `notebook ${nb} failed in ${where}: ${r.ename}: ${r.evalue}${hint}${trace}`);
    }
    case "TIMEOUT":
      return new StepFailure(ERRORS.timeout, `step "${stepPath}" timed out after ${((limit?.ms ?? 0) / 1000).toFixed(1)}s (${limit?.why}): ${r.message}`);
    default:
      return named("NotebookError", `notebook ${nb}: ${r.message ?? r.status}`);
  }
}

/**
 * One attempt of a NotebookTask: finds Jupyter, injects the parameters, executes the notebook with
 * the driver (a real kernel, cwd = the step's working directory), stores the executed notebook in the
 * catalog (secrets masked) and reads the returns. The step's failure comes back as `error`.
 */
export async function runNotebookStep(input: NotebookStepInput): Promise<NotebookStepOutput> {
  const { ctx, runId, stepPath, node } = input;
  const jupyter = await findJupyter(stepPath, node.kernel);
  const file = notebookFile(node, ctx.built.nodes.get(node.path), ctx.workDir);
  const shape = await readNotebook(stepPath, file);
  const dir = await mkdtemp(path.join(tmpdir(), "runnable-notebook-"));
  try {
    await mkdir(path.join(dir, "in"));
    await mkdir(path.join(dir, "out"));
    const { parameters, objects, inputs } = await parametersFor(input, shape.parameters, dir);
    const executed = path.join(dir, path.basename(executedName(stepPath, node.notebook)));
    const request = {
      step: stepPath, notebook: file, output: executed, result: path.join(dir, "result.json"), kernel: jupyter.kernel,
      cwd: ctx.workDir, parameters, objects, returnsFile: path.join(dir, "returns.json"),
      returns: node.returns.map((r) => ({ name: r.name, kind: r.kind, ...(r.kind === "object" ? { file: path.join(dir, "out", `${r.name}.pickle`) } : {}) })),
      timeoutSeconds: input.limit ? input.limit.ms / 1000 : null,
      transcript: path.join(dir, "output.log"), watchParent: true,
    };
    const requestFile = path.join(dir, "request.json");
    await writeFile(requestFile, JSON.stringify(request));
    const logFile = path.join(dir, "driver.log");
    const run = await runDriver(jupyter.python, requestFile, input, logFile);
    const result = await readFile(request.result, "utf8").then((t) => JSON.parse(t) as DriverResult, () => undefined);
    if (result?.executedNotebook) {
      await maskNotebook(executed, input.secrets);
      input.catalog.push(await putOne(ctx, runId, executedName(stepPath, node.notebook), executed));
    }
    const output = await fileTail(request.transcript, input.outputLimit).catch(() => undefined);
    const printed = output ? { output } : {};
    const error = failure(input, shape, result, run, await readFile(logFile, "utf8").catch(() => ""));
    if (error) return { inputs, values: {}, objects: {}, error, ...printed };
    const values: Record<string, unknown> = { ...result!.values };
    const stored: Record<string, JsonValue> = {};
    for (const r of request.returns) {
      if (!r.file) continue;
      const ref = await ctx.stores.catalog.putObject(runId, stepPath, r.name, await readFile(r.file), "pickle");
      stored[r.name] = { $object: ref };
    }
    return { inputs, values, objects: stored, ...printed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
