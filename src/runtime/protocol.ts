import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { ERRORS, PROTOCOL_VERSION, RUN_ID, STEP_ACTIONS } from "../core/protocol.js";
import { StepFailure } from "../sdk/errors.js";

// The handlers' side of the step protocol (constants in src/core/protocol.ts): events and results, validated.
// zod/mini, not zod: every deployed step Lambda bundles this module, and zod/mini with its English
// messages adds ≈ 25 KB to the bundle where zod adds ≈ 450 KB (issue 14's bundle budget).
export { ERRORS, PROTOCOL_VERSION, RUN_ID } from "../core/protocol.js";

// zod/mini ships no messages by default; the English ones make bad events readable.
z.config(en());

const count = () => z.int().check(z.nonnegative());
const outcome = z.enum(["SUCCESS", "FAIL"]);

export const StepAction = z.enum(STEP_ACTIONS);
export type StepAction = z.infer<typeof StepAction>;

export const StepEvent = z.object({
  v: z.literal(PROTOCOL_VERSION),
  action: StepAction,
  runId: z.string().check(z.regex(RUN_ID, "runId must match ^[A-Za-z0-9_-]{1,80}$")),
  /** Definition path of the node (`fanout.*.score`); "" for start/finalise. */
  path: z.string().check(z.maxLength(2048)),
  /** Map iteration indexes, outermost first; their count equals the number of "*" in `path`. */
  indexes: z._default(z.array(count()).check(z.maxLength(32)), []),
  /** Execution name (Step Functions `$$.Execution.Name`; locally "local" or "retry-N"). Keys attempts so redelivery is idempotent. */
  execution: z.string().check(z.minLength(1), z.maxLength(128)),
  /** Step Functions `$$.State.RetryCount`: 0 on the first try of this execution. */
  retryCount: z._default(count(), 0),
  /**
   * Step Functions `$$.Execution.RedriveCount`: how often this execution was redriven (absent or 0
   * before any). A redrive keeps the execution name, so the handler keys its records by
   * `executionId(execution, redriveCount)`: a redriven step never finds its failed attempt again.
   */
  redriveCount: z.optional(count()),
  /** For `nodeEnd` and `finalise`: the outcome being recorded. */
  status: z.optional(outcome),
  /** For `nodeEnd`/`finalise` after a caught failure: the ASL error (`Error`, `Cause`), kept small. */
  error: z.optional(z.object({ Error: z.string().check(z.maxLength(256)), Cause: z.optional(z.string().check(z.maxLength(4096))) })),
});
export type StepEvent = z.infer<typeof StepEvent>;
export type StepEventInput = z.input<typeof StepEvent>;

/**
 * The execution id records are keyed by: the execution name, `<name>-redrive-<n>` after n redrives
 * (each redrive records its own attempts and its own end, as a `runnable retry` execution does).
 */
export function executionId(execution: string, redriveCount: number | undefined): string {
  return redriveCount ? `${execution}-redrive-${redriveCount}` : execution;
}

/** What a handler returns (produced by our own code, so it is a type only, never parsed; a type alias so it is assignable to JSON shapes). */
export type StepResult = {
  v: typeof PROTOCOL_VERSION;
  status: "SUCCESS" | "FAIL";
  /** true when the work had already been done (run retry, or a redelivered event). */
  skipped?: boolean;
  /** task, stub, nodeEnd: the number of the attempt that stands (the emulator's progress shows it without reading the run log). */
  attempt?: number;
  /** mapStart: number of iterations. */
  count?: number;
  /** mapStart of an inline Map: the last index (count − 1), which the compiled chunking passes to `States.ArrayRange` as a path. */
  last?: number;
  /** mapStart with `distributed`: the store key of the JSON list of indexes for ItemReader. */
  itemsKey?: string;
  /** conditionalStart: the branch key taken ("default" when no key matched). */
  branch?: string;
};

/** Parses an event, throwing a readable error (name `runnable.BadEvent`) on a bad one. */
export function parseStepEvent(input: unknown): StepEvent {
  const r = StepEvent.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ");
  throw new StepFailure(ERRORS.badEvent, `bad step event: ${issues}`);
}
