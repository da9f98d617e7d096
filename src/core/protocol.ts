// The step-handler protocol's constants and shapes, shared by the compiler (which writes events
// into the state machine) and the runtime/handlers (which parse them, src/runtime/protocol.ts).
// No dependencies: importing it costs nothing.

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
 * - `task`: run one FunctionTask/ShellTask/NotebookTask attempt (runStep). Failure → the handler throws `runnable.StepFailed`.
 * - `stub`: record a Stub's success (its returns bound to null).
 * - `mapStart`: resolve the Map's list; result `count` (and, for distributed maps, `itemsKey`).
 * - `conditionalStart`: resolve the branch key; result `branch` ("default" for the default branch).
 * - `nodeEnd`: record a Parallel/Map/Conditional/Success/Fail node's outcome (Map: apply the reducer).
 * - `finalise`: record the run's final status and finalParameters (on success and on every caught failure).
 */
export const STEP_ACTIONS = ["start", "task", "stub", "mapStart", "conditionalStart", "nodeEnd", "finalise"] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

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
  /** The run was stopped (SIGINT/SIGTERM, a server shutting down) while the attempt ran: not the step's fault, never retried in-run. */
  interrupted: "runnable.Interrupted",
  /** The run's owner died without ending it (kill -9, power loss); set by the `retry` that took the run over. */
  abandoned: "runnable.Abandoned",
  /** Not an attempt that ran: `retry --from` marked a step that had succeeded to run again. */
  rerun: "runnable.Rerun",
  /** A secret the step declares is not set (locally) or could not be read from AWS (deployed). */
  secretUnavailable: "runnable.SecretUnavailable",
} as const;

/**
 * The Cause of the Fail state that ends a failed run's execution (after `@run-failed` recorded it).
 * Every step failure is caught and recorded this way, so such an execution failed *at that Fail
 * state*: a Step Functions redrive would resume there and fail again. `runnable retry --remote`
 * reads it to start a new execution instead (src/api/aws.ts).
 */
export const RUN_FAILED_CAUSE = "the run failed: see the run log";
