import type { RootGraph } from "../graph/types.js";
import type { RunLog } from "../sdk/runlog.js";

/** Shapes that cross the wire between `runnable ui`'s server and its pages (and `runs list --json`). */

/** One line of a run list. */
export interface RunListing extends Pick<RunLog, "runId" | "pipeline" | "status" | "tag" | "startedAt" | "endedAt" | "parameters" | "stale"> {
  /** Where it ran: "local", "emulator" or "aws"; absent for runs recorded before modes were. */
  mode?: "local" | "emulator" | "aws";
  /** 1, then one more per retry. */
  executions: number;
  /** Which store of the source holds it ("local", "emulator", "s3", "api"). */
  store: string;
}

/** `GET /api/runs` */
export interface RunsAnswer {
  runs: RunListing[];
  /** Pipeline names among all runs, for the filter. */
  pipelines: string[];
  /** Runs matching the filters (before the limit). */
  total: number;
}

/** `GET /api/runs/<id>` */
export interface RunAnswer {
  log: RunLog;
  graph: RootGraph;
  /** true when the graph was rebuilt from the run log (no stored graph): untaken branches are not drawn. */
  inferred: boolean;
  /** The command that re-runs what failed, for a failed run. */
  retry: string | null;
  /** What a successful run would have cost on AWS (from its own durations; see compile/cost.ts runCostSummary); null otherwise. */
  cost: string | null;
}

/** `GET /api/metrics?pipeline=` */
export interface MetricSeries {
  pipeline: string;
  runs: { runId: string; startedAt: string; status: string; metrics: Record<string, number> }[];
}

/** `GET /api/info` */
export interface SourceInfo {
  location: string;
  storeFlags: string[];
  /** Whether catalog files can be downloaded from this source. */
  downloads: boolean;
}
