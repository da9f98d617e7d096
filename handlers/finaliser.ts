import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { RootGraph } from "../src/graph/types.js";
import { finaliseFromStatusChange, type FinaliseOutcome, type StatusChangeEvent } from "../src/runtime/status-change.js";
import { storesFromEnv } from "./shared.js";

/**
 * The finaliser Lambda: the target of the stack's EventBridge rule on "Step Functions Execution Status
 * Change" (FAILED, TIMED_OUT, ABORTED) for its state machines. It marks the run FAIL with the
 * execution's error and cause (src/runtime/status-change.ts) — idempotent with `@run-failed`. It runs
 * no user code: the pipelines' graphs are embedded by the CDK stack at synth time.
 */
export function makeFinaliserHandler(graphs: Record<string, RootGraph>): (event: StatusChangeEvent) => Promise<FinaliseOutcome> {
  const byName = new Map(Object.entries(graphs));
  let deps: Parameters<typeof finaliseFromStatusChange>[1] | undefined;
  return async (event) => {
    if (!deps) {
      const sfn = new SFNClient({});
      deps = {
        stores: storesFromEnv(),
        graphs: byName,
        describe: async (executionArn) => {
          const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
          return { ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
        },
      };
    }
    const outcome = await finaliseFromStatusChange(event, deps);
    // One line per event in the function's log: what was recorded, or why nothing was.
    console.log(JSON.stringify({ execution: event.detail?.executionArn, status: event.detail?.status, ...outcome }));
    return outcome;
  };
}
