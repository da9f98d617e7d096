import type { RootGraph } from "../graph/types.js";
import type { Stores } from "../store/types.js";
import { PROTOCOL_VERSION, RUN_ID, executionId } from "./protocol.js";
import { handleStepEvent } from "./step-event.js";

/**
 * The run finaliser: what happens when Step Functions reports that an execution FAILED, TIMED_OUT or
 * was ABORTED (EventBridge "Step Functions Execution Status Change"). Such an execution may never
 * have reached its `@run-failed` state — a history quota, an oversized payload, StopExecution, the
 * execution timeout — and its run would stay RUNNING forever. The finaliser records the execution's
 * end as FAIL with the execution's error and cause, through the same `finalise` action the state
 * machine uses; the end record is create-only, so when `@run-failed` already recorded it (or the event
 * is delivered twice) nothing changes. The deployed finaliser Lambda (handlers/finaliser.ts) and the
 * emulator both call this.
 */

export const STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change";
/** The statuses the finaliser acts on. */
export const FINAL_FAILURE_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** The part of the EventBridge event the finaliser reads (fields as Step Functions sends them). */
export interface StatusChangeEvent {
  source?: string;
  "detail-type"?: string;
  detail: {
    executionArn?: string;
    stateMachineArn?: string;
    /** The execution name: the run id for a run's first execution. */
    name: string;
    status: string;
    /** The execution input, as JSON text: `{ "runId": … }` (a Distributed Map child also has `x`). */
    input?: string | null;
    error?: string | null;
    cause?: string | null;
    /** How often the execution was redriven: its records are keyed `<name>-redrive-<n>` (see executionId). */
    redriveCount?: number | null;
  };
}

export type FinaliseOutcome =
  | { action: "finalised"; runId: string; execution: string; error: { Error: string; Cause: string } }
  | { action: "ignored"; reason: string };

export interface FinaliserDeps {
  stores: Stores;
  /** The deployed pipelines' graphs by name (embedded at synth time: the finaliser runs no user code). */
  graphs: ReadonlyMap<string, RootGraph>;
  /** Error and cause of an execution, when the event does not carry them (DescribeExecution on AWS). */
  describe?: (executionArn: string) => Promise<{ error?: string; cause?: string }>;
  now?: () => Date;
}

/** The error recorded when Step Functions gives none. */
function defaultError(status: string): { Error: string; Cause: string } {
  if (status === "TIMED_OUT") return { Error: "States.Timeout", Cause: "the execution ran past its TimeoutSeconds" };
  if (status === "ABORTED") return { Error: "ExecutionAborted", Cause: "the execution was stopped (StopExecution)" };
  return { Error: "States.Runtime", Cause: "the execution failed outside any step" };
}

function parseInput(text: string | null | undefined): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text ?? "") as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Handles one status-change event. Never throws for events it cannot act on (another status, a
 * Distributed Map child execution, a run this deployment does not know): it says why it ignored them,
 * so EventBridge does not retry them for a day. Store errors do throw, so EventBridge retries.
 */
export async function finaliseFromStatusChange(event: StatusChangeEvent, deps: FinaliserDeps): Promise<FinaliseOutcome> {
  const d = event.detail;
  if (!(FINAL_FAILURE_STATUSES as readonly string[]).includes(d.status)) return { action: "ignored", reason: `status ${d.status}` };
  const input = parseInput(d.input);
  const runId = input?.runId;
  if (typeof runId !== "string" || !RUN_ID.test(runId)) return { action: "ignored", reason: "the execution input holds no run id" };
  // A Distributed Map child execution carries its parent's execution name as `x`: the parent's own
  // status change (or its @run-failed) finalises the run.
  if ("x" in input!) return { action: "ignored", reason: "a Distributed Map child execution" };
  const header = await deps.stores.runLog.getHeader(runId);
  if (!header) return { action: "ignored", reason: `run ${runId} not found in ${deps.stores.blob.location}` };
  const graph = deps.graphs.get(header.pipeline);
  if (!graph) return { action: "ignored", reason: `pipeline ${header.pipeline} is not deployed here` };
  let error: { error?: string; cause?: string } | undefined = d.error || d.cause
    ? { ...(d.error ? { error: d.error } : {}), ...(d.cause ? { cause: d.cause } : {}) } : undefined;
  if (!error && d.executionArn && deps.describe) error = await deps.describe(d.executionArn);
  const fallback = defaultError(d.status);
  const final = { Error: (error?.error || fallback.Error).slice(0, 256), Cause: (error?.cause || fallback.Cause).slice(0, 4096) };
  await handleStepEvent({
    v: PROTOCOL_VERSION, action: "finalise", runId, path: "", indexes: [], execution: d.name, retryCount: 0, redriveCount: redriveCountOf(d.redriveCount), status: "FAIL", error: final,
  }, { built: { graph, nodes: new Map() }, stores: deps.stores, workDir: ".", ...(deps.now ? { now: deps.now } : {}) });
  return { action: "finalised", runId, execution: executionId(d.name, redriveCountOf(d.redriveCount)), error: final };
}

function redriveCountOf(n: number | null | undefined): number {
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}
