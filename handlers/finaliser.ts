import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { RootGraph } from "../src/graph/types.js";
import { finaliseFromStatusChange, type FinaliseOutcome, type FinaliserDeps, type StatusChangeEvent } from "../src/runtime/status-change.js";
import type { Stores } from "../src/store/types.js";
import { pipelineStoresFromEnv, pipelinesByStateMachine } from "./shared.js";

/**
 * The finaliser Lambda: the target of the stack's EventBridge rule on "Step Functions Execution Status
 * Change" (FAILED, TIMED_OUT, ABORTED) for its state machines. It marks the run FAIL with the
 * execution's error and cause (src/runtime/status-change.ts) — idempotent with `@run-failed`. It runs
 * no user code: the pipelines' graphs are embedded by the CDK stack at synth time.
 */
export function makeFinaliserHandler(graphs: Record<string, RootGraph>, env: NodeJS.ProcessEnv = process.env, sfn?: SFNClient): (event: StatusChangeEvent) => Promise<FinaliseOutcome> {
  const byName = new Map(Object.entries(graphs));
  let shared: { storesFor: (pipeline: string) => Stores; machines: ReadonlyMap<string, string>; describe: FinaliserDeps["describe"] } | undefined;
  return async (event) => {
    if (!shared) {
      const client = sfn ?? new SFNClient({});
      shared = {
        storesFor: pipelineStoresFromEnv(env),
        machines: pipelinesByStateMachine(env),
        describe: async (executionArn) => {
          const out = await client.send(new DescribeExecutionCommand({ executionArn }));
          return { ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
        },
      };
    }
    // Each pipeline's runs live in its own key scope (and this role reaches only the stack's
    // pipelines' runs/): the execution's state machine says which.
    const pipeline = shared.machines.get(event.detail?.stateMachineArn ?? "");
    const outcome: FinaliseOutcome = pipeline === undefined
      ? { action: "ignored", reason: `state machine ${event.detail?.stateMachineArn ?? "(none)"} is not one of this stack's` }
      : await finaliseFromStatusChange(event, { stores: shared.storesFor(pipeline), graphs: byName, ...(shared.describe ? { describe: shared.describe } : {}) });
    // One line per event in the function's log: what was recorded, or why nothing was.
    console.log(JSON.stringify({ execution: event.detail?.executionArn, status: event.detail?.status, ...outcome }));
    return outcome;
  };
}
