import type { RootGraph } from "../graph/types.js";
import { DefinitionError, type Problem } from "../sdk/errors.js";
import type { RunLog } from "../sdk/runlog.js";
import { inlineMapBounds, mapTooLargeMessage } from "./guard.js";
import { HISTORY_LIMIT_ERROR, MAX_HISTORY_EVENTS, historyLimitCause } from "./history.js";
import { compile } from "./index.js";
import { runHistory } from "./run-history.js";

/**
 * What AWS would refuse in a pipeline that is run without being compiled (a local run): local runs
 * have none of Step Functions' quotas, but the user is about to deploy the pipeline, so they warn
 * with the text the emulator and AWS fail with.
 */
export interface DeployCheck {
  /** The quota problems `compile` reports: `runnable compile`, `--mode emulator` and `cdk deploy` refuse the pipeline. */
  problems: Problem[];
  /** The guard's text when an inline Map at `path` (definition path) starts with `count` items a Standard execution refuses; else undefined. */
  mapWarning(path: string, count: number): string | undefined;
  /** After a run: what its execution history would have met on AWS (the 25,000-event quota), if anything. */
  historyWarning(log: RunLog): string | undefined;
}

export function deployCheck(graph: RootGraph): DeployCheck {
  let problems: Problem[] = [];
  try {
    compile(graph);
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    problems = e.problems;
  }
  const bounds = inlineMapBounds(graph);
  return {
    problems,
    mapWarning: (path, count) => {
      const bound = bounds[path];
      return bound !== undefined && count > bound ? mapTooLargeMessage(path, count, bound) : undefined;
    },
    historyWarning: (log) => {
      const { events, largestChild } = runHistory(graph, log);
      const fmt = (n: number) => n.toLocaleString("en-US");
      const fails = `fails there with ${HISTORY_LIMIT_ERROR} ("${historyLimitCause()}")`;
      if (events > MAX_HISTORY_EVENTS) {
        return `on AWS this run's execution history would need about ${fmt(events)} events, over Step Functions' quota of ${fmt(MAX_HISTORY_EVENTS)}: `
          + `the execution ${fails}; make the largest inline Maps distributed: true`;
      }
      if (largestChild > MAX_HISTORY_EVENTS) {
        return `on AWS a Distributed Map child execution of this run would need about ${fmt(largestChild)} history events, over the quota of ${fmt(MAX_HISTORY_EVENTS)}: it ${fails}`;
      }
      return undefined;
    },
  };
}
