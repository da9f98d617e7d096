import { z } from "zod";
import { ERRORS, PROTOCOL_VERSION, RUN_ID, STEP_ACTIONS } from "../core/protocol.js";

// The handlers' side of the step protocol (constants in src/core/protocol.ts): events and results, validated.
export { ERRORS, PROTOCOL_VERSION, RUN_ID } from "../core/protocol.js";

export const StepAction = z.enum(STEP_ACTIONS);
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
  /** mapStart of an inline Map: the last index (count − 1), which the compiled chunking passes to `States.ArrayRange` as a path. */
  last: z.number().int().min(-1).optional(),
  /** mapStart with `distributed`: the store key of the JSON list of indexes for ItemReader. */
  itemsKey: z.string().optional(),
  /** conditionalStart: the branch key taken ("default" when no key matched). */
  branch: z.string().optional(),
});
export type StepResult = z.infer<typeof StepResult>;


/** Parses an event, throwing a readable error (name `runnable.BadEvent`) on a bad one. */
export function parseStepEvent(input: unknown): StepEvent {
  const r = StepEvent.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ");
  const err = new Error(`bad step event: ${issues}`);
  err.name = ERRORS.badEvent;
  throw err;
}
