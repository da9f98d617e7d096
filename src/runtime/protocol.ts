import { z } from "zod";

/**
 * The step-handler protocol: what a Step Functions Task state (or the local emulator) sends to the
 * step handler, and the small result it gets back. Payloads carry references only — run id,
 * definition path, map indexes — never parameters or data, so they stay far below 256 KiB.
 *
 * One protocol serves every handler (Lambda `handlers/step.ts`, Batch `handlers/batch.ts`, the
 * emulator) and every mode. Bump `PROTOCOL_VERSION` on any incompatible change.
 */
export const PROTOCOL_VERSION = 1 as const;

export const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * What a handler is asked to do.
 * - `start`: check the run header exists and its dagHash matches the bundled pipeline; mark an execution started.
 * - `task`: run one FunctionTask/ShellTask attempt (runStep). Failure → the handler throws `runnable.StepFailed`.
 * - `stub`: record a Stub's success (its returns bound to null).
 * - `mapStart`: resolve the Map's list; result `count` (and, for distributed maps, `itemsKey`).
 * - `conditionalStart`: resolve the branch key; result `branch` ("default" for the default branch).
 * - `nodeEnd`: record a Parallel/Map/Conditional/Success/Fail node's outcome (Map: apply the reducer).
 * - `finalise`: record the run's final status and finalParameters (on success and on every caught failure).
 */
export const StepAction = z.enum(["start", "task", "stub", "mapStart", "conditionalStart", "nodeEnd", "finalise"]);
export type StepAction = z.infer<typeof StepAction>;

export const StepEvent = z.object({
  v: z.literal(PROTOCOL_VERSION),
  action: StepAction,
  runId: z.string().regex(RUN_ID, "runId must match ^[A-Za-z0-9_-]{1,80}$"),
  /** Definition path of the node (`fanout.*.score`); "" for start/finalise. */
  path: z.string().max(2048),
  /** Map iteration indexes, outermost first; their count equals the number of "*" in `path`. */
  indexes: z.array(z.number().int().nonnegative()).max(32).default([]),
  /** Execution name (Step Functions `$$.Execution.Name`; locally "local" or "retry-N"). Keys attempts so redelivery is idempotent. */
  execution: z.string().min(1).max(128),
  /** Step Functions `$$.State.RetryCount`: 0 on the first try of this execution. */
  retryCount: z.number().int().nonnegative().default(0),
  /** For `nodeEnd` and `finalise`: the outcome being recorded. */
  status: z.enum(["SUCCESS", "FAIL"]).optional(),
  /** For `nodeEnd`/`finalise` after a caught failure: the ASL error (`Error`, `Cause`), kept small. */
  error: z.object({ Error: z.string().max(256), Cause: z.string().max(4096).optional() }).optional(),
});
export type StepEvent = z.infer<typeof StepEvent>;
export type StepEventInput = z.input<typeof StepEvent>;

export const StepResult = z.object({
  v: z.literal(PROTOCOL_VERSION),
  status: z.enum(["SUCCESS", "FAIL"]),
  /** true when the work had already been done (run retry, or a redelivered event). */
  skipped: z.boolean().optional(),
  /** mapStart: number of iterations. */
  count: z.number().int().nonnegative().optional(),
  /** mapStart with `distributed`: the store key of the JSON list of indexes for ItemReader. */
  itemsKey: z.string().optional(),
  /** conditionalStart: the branch key taken ("default" when no key matched). */
  branch: z.string().optional(),
});
export type StepResult = z.infer<typeof StepResult>;

/** ASL error names a handler raises; Retry/Catch match on them. */
export const ERRORS = {
  /** The user's step failed (function threw, command exited non-zero, returns missing). */
  stepFailed: "runnable.StepFailed",
  /** The attempt ran out of its timeoutSeconds (or the Lambda's remaining time). */
  timeout: "runnable.Timeout",
  /** A Conditional matched no branch and has no default. */
  noBranch: "runnable.NoBranch",
  /** The event is malformed or names an unknown step. Not retryable. */
  badEvent: "runnable.BadEvent",
  /** The bundled pipeline's dagHash differs from the run's. Not retryable. */
  dagMismatch: "runnable.DagMismatch",
  /** A Fail step was reached. */
  failStep: "runnable.FailStep",
  /** An inline Map has more items than a Standard execution's history can hold (refused at its start). */
  mapTooLarge: "runnable.MapTooLarge",
} as const;

/** Parses an event, throwing a readable error (name `runnable.BadEvent`) on a bad one. */
export function parseStepEvent(input: unknown): StepEvent {
  const r = StepEvent.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ");
  const err = new Error(`bad step event: ${issues}`);
  err.name = ERRORS.badEvent;
  throw err;
}
