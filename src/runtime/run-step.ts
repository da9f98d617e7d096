import type { TaskNode } from "../graph/types.js";
import type { CatalogEntry, StepError } from "../sdk/runlog.js";
import type { JsonValue, StepFunction } from "../sdk/types.js";
import type { AttemptRecord } from "../store/types.js";
import { bindFunctionResult, bindShellOutput, encodeReturns, explainFailure } from "./bind.js";
import { catalogGet, catalogPut } from "./catalog-io.js";
import { attemptsOf, nextAttempt, nowOf, recordAttempt, secretsOf, succeeded, type Scope, type StepContext } from "./context.js";
import { parameterView, prefetchObjects } from "./objects.js";
import { checkReturnsSize } from "./limits.js";
import { ERRORS } from "../core/protocol.js";
import { resolveScope } from "./scope.js";
import { captureOutput, fileTail, outputBytes, OutputTail, storeOutput } from "./output.js";
import { checkSecrets, maskBytes, stepSecrets } from "./secrets.js";
import { runNotebookStep } from "./notebook/execute.js";
import { runShell } from "./shell.js";
import { interruptible } from "./interrupt.js";

/** Time kept back from a deadline so the failed attempt can still be recorded. */
export const DEADLINE_SAFETY_MS = 1000;

export interface RunStepRequest {
  runId: string;
  node: TaskNode;
  /** Step path (map indexes filled in). */
  stepPath: string;
  /** Execution name ("local", "retry-1", or the Step Functions execution name). */
  execution: string;
  /** Retry number within this execution (0 first). */
  retryCount: number;
}

export interface RunStepResult {
  /** The recorded attempt (or the earlier one when skipped). */
  record: AttemptRecord;
  /** true when the step had already succeeded, or this exact attempt was already recorded (redelivery). */
  skipped: boolean;
}

function functionOf(ctx: StepContext, definitionPath: string, stepPath: string): StepFunction {
  const sdk = ctx.built.nodes.get(definitionPath);
  if (sdk?.kind !== "function") throw new Error(`step "${stepPath}": no function found for "${definitionPath}" in the loaded pipeline`);
  return sdk.function;
}

export function toStepError(e: unknown): StepError {
  if (e instanceof Error) return { name: e.name || "Error", message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { name: "Error", message: typeof e === "string" ? e : JSON.stringify(e) ?? String(e) };
}

function timeoutError(step: string, ms: number, why: string): Error {
  const err = new Error(`step "${step}" timed out after ${(ms / 1000).toFixed(1)}s (${why})`);
  err.name = ERRORS.timeout;
  return err;
}

/** The attempt's time budget in ms: timeoutSeconds and/or the deadline minus a safety margin. */
function timeLimit(node: TaskNode, deadline: number | undefined): { ms: number; why: string } | undefined {
  const byTimeout = node.timeoutSeconds !== undefined ? node.timeoutSeconds * 1000 : Infinity;
  const byDeadline = deadline !== undefined ? Math.max(0, deadline - Date.now() - DEADLINE_SAFETY_MS) : Infinity;
  if (byTimeout === Infinity && byDeadline === Infinity) return undefined;
  return byTimeout <= byDeadline ? { ms: byTimeout, why: `timeoutSeconds ${node.timeoutSeconds}` } : { ms: byDeadline, why: "the handler's remaining time ran out" };
}

/** Races a promise against the time limit; the losing work cannot be stopped in-process, only ignored. */
function withLimit<T>(step: string, work: Promise<T>, limit: { ms: number; why: string } | undefined): Promise<T> {
  if (!limit) return work;
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(step, limit.ms, limit.why)), limit.ms);
  });
  return Promise.race([work, expired]).then((value) => {
    // A synchronous function that blocks the event loop past its limit finishes before the timer
    // can fire: it still timed out (the handlers would have killed it).
    if (performance.now() - started > limit.ms) throw timeoutError(step, limit.ms, limit.why);
    return value;
  }).finally(() => clearTimeout(timer));
}

/**
 * Runs one attempt of a FunctionTask or ShellTask and records it: catalog get, call the function
 * with one object of every parameter in scope (or run the command with parameters as environment
 * variables), bind and store the returns, catalog put. Never throws for a failure of the user's
 * step — the attempt is recorded with status FAIL and its error; the caller decides (retry, throw).
 * A step that already succeeded is not run again (`skipped`).
 */
export async function runStep(req: RunStepRequest, base: StepContext): Promise<RunStepResult> {
  const { runId, node, stepPath } = req;
  let ctx = base;
  const existing = await attemptsOf(ctx, runId, stepPath);
  const done = succeeded(existing);
  if (done) return { record: done, skipped: true };
  const { key, attempt, previous } = nextAttempt(existing, req.execution, req.retryCount);
  if (previous) return { record: previous, skipped: true };

  const startedAt = nowOf(ctx).toISOString();
  const scope = ctx.scope ?? await resolveScope(runId, stepPath, ctx);
  const limit = timeLimit(node, ctx.deadline);
  // Secrets join the scope here only (they win over a parameter of the same name); recordAttempt
  // masks them out of everything recorded, and the shell log is masked before it is stored.
  // Declared secrets the environment lacks are read now (AWS, deployed); failing that fails the attempt.
  let secrets = secretsOf(ctx);
  let secretsFailure: unknown;
  try {
    secrets = await stepSecrets(secrets, node.secrets, stepPath, ctx.fetchSecrets);
    if (secrets !== ctx.secrets) ctx = { ...ctx, secrets };
  } catch (e) {
    secretsFailure = e;
  }
  const full: Scope = Object.keys(secrets.values).length ? { ...scope, ...secrets.values } : scope;
  const catalog: CatalogEntry[] = [];
  const mock = ctx.mocks?.get(node.path);
  let inputs: Scope = node.kind === "shell" && !mock ? full : {};
  let outputs: Record<string, JsonValue> = {};
  let metrics: Record<string, JsonValue> = {};
  let error: StepError | null = null;
  let missing: string[] = [];
  let printed = new OutputTail();
  if (secrets.needles.length > 0) printed.shown = (bytes) => maskBytes(bytes, secrets);
  try {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what fetching secrets threw
    if (secretsFailure !== undefined) throw secretsFailure;
    checkSecrets(secrets);
    if (node.catalog) catalog.push(...await catalogGet(ctx, runId, node.catalog));
    let values: Record<string, unknown>;
    // object() returns a notebook's kernel already pickled into the catalog: name → reference.
    let stored: Record<string, JsonValue> = {};
    if (node.kind === "function" || mock) {
      const fn = mock ?? functionOf(ctx, node.path, stepPath);
      const cache = await prefetchObjects(ctx, runId, Object.values(scope));
      const view = parameterView(full, cache);
      try {
        const result: unknown = await withLimit(stepPath, interruptible(ctx.signal, Promise.resolve().then(() => captureOutput(printed, () => fn(view.params)))), limit);
        values = bindFunctionResult(stepPath, node.returns, result);
      } catch (e) {
        // A timeout is about time, not about what the function read.
        throw e instanceof Error && e.name === ERRORS.timeout ? e : explainFailure(e, view.missing());
      } finally {
        inputs = view.read();
        missing = view.missing();
      }
    } else if (node.kind === "notebook") {
      const run = await runNotebookStep({ ctx, runId, stepPath, node, scope: full, secrets, attempt, limit, timeoutName: ERRORS.timeout, catalog, outputLimit: printed.limit });
      inputs = run.inputs;
      if (run.output) printed = run.output;
      if (run.error) throw run.error;
      values = run.values;
      stored = run.objects;
    } else {
      const run = await runShell({ step: stepPath, command: node.command, cwd: ctx.workDir, parameters: full, runId, attempt, ...(limit ? { timeoutMs: limit.ms } : {}), timeoutName: ERRORS.timeout, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      try {
        printed = await fileTail(run.logFile, printed.limit);
        // The Contract's `<step>.execution.log` (the latest attempt's), bounded and masked like the attempt's own.
        const { bytes } = outputBytes(printed, ctx);
        const digest = await ctx.stores.catalog.putBytes(runId, `${stepPath}.execution.log`, bytes);
        catalog.push({ name: `${stepPath}.execution.log`, stage: "put", md5: digest.md5, size: digest.size });
      } finally {
        await run.cleanup();
      }
      if (run.error) throw run.error;
      values = bindShellOutput(stepPath, node.returns, run.outputs);
    }
    ({ outputs, metrics } = await encodeReturns(ctx, runId, stepPath, node.returns.filter((r) => !(r.name in stored)), values, missing));
    outputs = { ...outputs, ...stored };
    checkReturnsSize(stepPath, outputs, metrics);
    if (node.catalog) catalog.push(...await catalogPut(ctx, runId, node.catalog));
  } catch (e) {
    error = toStepError(e);
    outputs = {};
    metrics = {};
  }
  let output: AttemptRecord["output"];
  try {
    output = await storeOutput(ctx, runId, stepPath, attempt, printed);
  } catch (e) {
    // The attempt's record must still be written (and say why its output is missing).
    const why = toStepError(e);
    error ??= { ...why, message: `storing the step's output failed: ${why.message}` };
  }
  const record: AttemptRecord = {
    key, type: "task", attempt, status: error ? "FAIL" : "SUCCESS", startedAt, endedAt: nowOf(ctx).toISOString(),
    inputParameters: inputs, outputParameters: error ? {} : outputs, metrics: error ? {} : metrics, error, catalog,
    ...(missing.length ? { unprovided: missing } : {}),
    ...(mock ? { mocked: true } : {}),
    ...(output ? { output } : {}),
  };
  return { record: await recordAttempt(ctx, runId, stepPath, record, existing), skipped: false };
}
