import { assertNever, type NodeGraph, type PipelineGraph } from "../graph/types.js";
import type { RunLog, StepLog } from "../sdk/runlog.js";
import { ON_FAILURE } from "../sdk/types.js";
import { BATCH, EXECUTION, ITERATION, PARALLEL, RUN, TASK, conditionalOpening, mapCost } from "./costs.js";
import { STATE_HISTORY } from "./history.js";

/**
 * The execution history a finished run would have recorded on AWS, from its run log: the steps it
 * ran, their attempts, each Map's real size and each Conditional's branch, priced with the same
 * event model as the estimate and the emulator (history.ts, costs.ts). A local run has no quota of
 * its own; this tells it whether the deployed pipeline would have met Step Functions'.
 */
export interface RunHistory {
  /** Events of the run's (parent) execution. */
  events: number;
  /** The largest Distributed Map child execution's events (0 without one). */
  largestChild: number;
}

export function runHistory(root: PipelineGraph, log: RunLog): RunHistory {
  let largestChild = 0;

  /** Events of the steps of `p` that ran (step paths under `prefix`); stops where the pipeline stopped. */
  const pipeline = (p: PipelineGraph, prefix: string): number => {
    let events = 0;
    for (const node of p.steps) {
      const path = prefix ? `${prefix}.${node.name}` : node.name;
      const step = log.steps[path];
      if (!step) break;
      events += nodeEvents(node, path, step);
      if (step.status === "FAIL") return events + (node.onFailure ? pipeline(node.onFailure, `${path}.${ON_FAILURE}`) : 0);
      if (node.kind === "success") break;
    }
    return events;
  };

  const nodeEvents = (node: NodeGraph, path: string, step: StepLog): number => {
    const last = step.attempts.at(-1);
    switch (node.kind) {
      case "function": case "shell": case "notebook": return taskEvents(node.compute === "batch", step);
      case "stub": case "success": case "fail": return TASK.e;
      case "parallel": return PARALLEL.e + TASK.e + Object.entries(node.branches).reduce((sum, [key, b]) => sum + pipeline(b, `${path}.${key}`), 0);
      case "conditional": {
        const key = last?.branch;
        const branch = key === undefined ? undefined : key === "default" ? node.default : node.branches[key];
        return conditionalOpening(node).e + TASK.e + (branch ? pipeline(branch, `${path}.${key}`) : 0);
      }
      case "map": {
        const n = last?.iterations ?? iterationsRun(path);
        let inside = 0;
        for (let i = 0; i < n; i++) {
          const iteration = pipeline(node.branch, `${path}.${i}`);
          if (node.distributed) largestChild = Math.max(largestChild, EXECUTION.e + iteration);
          else inside += iteration;
        }
        return mapCost(node, n, ITERATION).e + inside;
      }
      default: return assertNever(node);
    }
  };

  /** Iterations of a Map that failed before recording its size: the highest index its steps ran with. */
  const iterationsRun = (path: string): number => {
    let n = 0;
    for (const key of Object.keys(log.steps)) {
      const m = key.startsWith(`${path}.`) ? /^(\d+)\./.exec(key.slice(path.length + 1)) : null;
      if (m) n = Math.max(n, Number(m[1]) + 1);
    }
    return n;
  };

  return { events: RUN.e + pipeline(root, ""), largestChild };
}

/** A task's events: its state, one failed event per failed attempt, the retried attempts' scheduling. */
function taskEvents(batch: boolean, step: StepLog): number {
  const h = STATE_HISTORY[batch ? "SyncTask" : "Task"];
  const attempts = Math.max(1, step.attempts.length);
  const failed = step.attempts.filter((a) => a.status === "FAIL").length;
  const base = (batch ? BATCH : TASK).e - h.succeeded.length;
  return base + failed * h.failed.length + (attempts - 1) * h.retried.length + (step.status === "SUCCESS" ? h.succeeded : h.caught).length;
}
