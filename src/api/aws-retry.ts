import { createHash } from "node:crypto";
import {
  DescribeExecutionCommand, type DescribeExecutionCommandOutput, ExecutionAlreadyExists, RedriveExecutionCommand, type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { RUN_FAILED_CAUSE } from "../core/protocol.js";
import type { PipelineGraph } from "../graph/types.js";
import { executionId } from "../runtime/protocol.js";
import type { RunHeader, Stores } from "../store/types.js";
import type { DeployedPipeline } from "./aws.js";
import { ApiError } from "./routes.js";
import type { RetryRunResponse } from "./schema.js";

/**
 * `POST /runs/{runId}/retry` on AWS. Step Functions' RedriveExecution resumes an execution at the
 * state that stopped it, keeping what succeeded; it is used when that state is a step's:
 *   - the execution is redrivable (DescribeExecution's redriveStatus: a Standard execution that ended
 *     in the last 14 days, within its history and redrive limits), and
 *   - it did not end at the run's own Fail state: every step failure is caught and recorded by
 *     `@run-failed` before that state, so a redrive would resume *there* and fail again at once —
 *     such runs (the usual failed step) get a new execution instead, and
 *   - the pipeline has no Distributed Map (a redrive restarts its failed child executions with the
 *     ids they had, which the handler cannot tell from the first try).
 * Redriven, an aborted or timed-out execution (StopExecution, TimeoutSeconds, a Lambda service
 * error outside any Catch) continues where it was. Otherwise a new execution `<runId>-retry-<n>`
 * of the same state machine runs the run again: its handlers skip every step that already
 * succeeded, as `runnable retry` does locally.
 */

/** How long after its end Step Functions can redrive an execution. */
export const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;

type Sfn = Pick<SFNClient, "send">;

/** The execution name behind an execution id (`<name>-redrive-<n>` → `<name>`). */
export function executionNameOf(id: string): string {
  return id.replace(/-redrive-\d+$/, "");
}

/**
 * The name of a run's n-th new execution: `<runId>-retry-<n>`, at most 80 characters (Step
 * Functions' limit): a long run id keeps its head and a hash of the whole.
 */
export function retryExecutionName(runId: string, n: number): string {
  const suffix = `-retry-${n}`;
  if (runId.length + suffix.length <= 80) return runId + suffix;
  const hash = createHash("sha256").update(runId).digest("hex").slice(0, 8);
  return `${runId.slice(0, 80 - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

function hasDistributedMap(p: PipelineGraph): boolean {
  return p.steps.some((n) => (n.onFailure !== undefined && hasDistributedMap(n.onFailure))
    || (n.kind === "map" && (Boolean(n.distributed) || hasDistributedMap(n.branch)))
    || ((n.kind === "parallel" || n.kind === "conditional") && Object.values(n.branches).some(hasDistributedMap))
    || (n.kind === "conditional" && n.default !== undefined && hasDistributedMap(n.default)));
}

/** Whether RedriveExecution would resume the run where it stopped (see the rules above). */
export function redriveResumes(described: Pick<DescribeExecutionCommandOutput, "status" | "cause" | "redriveStatus" | "stopDate">, graph: PipelineGraph, now: Date): boolean {
  if (described.redriveStatus !== "REDRIVABLE") return false;
  if (described.stopDate && now.getTime() - described.stopDate.getTime() > REDRIVE_WINDOW_MS) return false;
  if (described.status === "FAILED" && described.cause === RUN_FAILED_CAUSE) return false;
  return !hasDistributedMap(graph);
}

/** Retries a FAIL run of a deployed pipeline (the route checked its status). */
export async function retryOnAws(p: DeployedPipeline, stores: Stores, sfn: Sfn, header: RunHeader, now = new Date()): Promise<Omit<RetryRunResponse, "runId">> {
  const { runId } = header;
  if (header.dagHash !== p.graph.dagHash) {
    throw new ApiError(409, "PipelineChanged", `pipeline ${p.name} was deployed again with another graph since run "${runId}" (dagHash ${header.dagHash.slice(0, 12)} ≠ ${p.graph.dagHash.slice(0, 12)}): start a new run`);
  }
  // The run is RUNNING again from the answer on (a client polling it must not read the old FAIL):
  // the retry's start is recorded here, create-only, as its `@run-start` would (a redrive has none).
  const started = (execution: string) => stores.runLog.startExecution(runId, { id: execution, startedAt: new Date().toISOString() });
  const spans = (await stores.runLog.runStatus(runId))?.spans ?? [];
  const names = new Set([runId, ...spans.map((s) => executionNameOf(s.id))]);
  const last = executionNameOf(spans.at(-1)?.id ?? runId);
  const executionArn = executionArnOf(p.stateMachineArn, last);
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn })).catch((err: unknown) => {
    if ((err as Error).name === "ExecutionDoesNotExist") return undefined;
    throw err;
  });
  if (described?.status === "RUNNING" || described?.status === "PENDING_REDRIVE") {
    throw new ApiError(409, "RunRunning", `run "${runId}": its execution ${last} is still ${described.status}; retry it once it has ended`);
  }
  if (described && redriveResumes(described, p.graph, now)) {
    try {
      await sfn.send(new RedriveExecutionCommand({ executionArn }));
      const execution = executionId(last, (described.redriveCount ?? 0) + 1);
      await started(execution);
      return { executionArn, execution, how: "redrive" };
    } catch (err) {
      // Its eligibility changed since it was described (another redrive, the window closed): start anew.
      if ((err as Error).name !== "ExecutionNotRedrivable") throw err;
    }
  }
  // A name never used by this run; one Step Functions still remembers (a retry whose start was lost) is skipped.
  for (let n = 1; n < 1000; n++) {
    const name = retryExecutionName(runId, n);
    if (names.has(name)) continue;
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: p.stateMachineArn, name, input: JSON.stringify({ runId }) }));
      await started(name);
      return { executionArn: out.executionArn ?? executionArnOf(p.stateMachineArn, name), execution: name, how: "new-execution" };
    } catch (err) {
      if (!(err instanceof ExecutionAlreadyExists || (err as Error).name === "ExecutionAlreadyExists")) throw err;
    }
  }
  throw new ApiError(409, "TooManyRetries", `run "${runId}" was retried 999 times: start a new run`);
}

/** `arn:aws:states:r:a:stateMachine:Name` + execution name → `arn:aws:states:r:a:execution:Name:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}
