import { createHash } from "node:crypto";
import { runCostSummary } from "../compile/cost.js";
import { checkRunId } from "../runtime/run-id.js";
import { UsageError } from "../sdk/errors.js";
import type { RunLog } from "../sdk/runlog.js";
import { checkCatalogName } from "../store/safe-path.js";
import { compareRuns, runMetrics, type RunComparison } from "../view/compare.js";
import { retryCommand } from "../view/format.js";
import type { MetricSeries, RunAnswer, RunsAnswer } from "../view/answers.js";
import { inferGraph } from "../view/infer.js";
import { newestFirst, type RunListing, type RunSource } from "./source.js";

/**
 * What the web UI's pages ask for, answered from a RunSource. Run logs of finished runs are kept
 * (keyed by what the run list says of them: a retry changes that), so the runs page's polling and
 * the metric plot across runs do not re-read whole logs.
 */

const MAX_LIMIT = 500;
/** Runs a metric plot reads (newest first). */
const PLOT_RUNS = 50;
/** How long a run list is reused: polling pages ask often, a listing reads every run's executions. */
const LIST_TTL_MS = 800;

export class UiData {
  private readonly logs = new Map<string, { key: string; log: RunLog }>();
  private listed: { at: number; runs: Promise<RunListing[]> } | undefined;

  /** `cli`: how the retry command names the CLI (as the user started `runnable ui`). */
  constructor(readonly source: RunSource, private readonly cli = "runnable") {}

  private listAll(): Promise<RunListing[]> {
    const now = Date.now();
    if (!this.listed || now - this.listed.at > LIST_TTL_MS) {
      const runs = this.source.listRuns().then((r) => r.sort(newestFirst));
      runs.catch(() => (this.listed = undefined));
      this.listed = { at: now, runs };
    }
    return this.listed.runs;
  }

  async runs(query: { pipeline?: string; status?: string; tag?: string; limit?: string }): Promise<RunsAnswer> {
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    const all = await this.listAll();
    const runs = all.filter((r) => (!query.pipeline || r.pipeline === query.pipeline) && (!query.status || r.status === query.status) && (!query.tag || r.tag === query.tag));
    return { runs: runs.slice(0, limit), pipelines: [...new Set(all.map((r) => r.pipeline))].sort(), total: runs.length };
  }

  /** A run log; finished runs from memory while the list shows them unchanged. */
  async runLog(runId: string, listing?: RunListing): Promise<RunLog> {
    checkRunId(runId);
    const key = listing ? `${listing.status}|${listing.endedAt}|${listing.executions}` : undefined;
    const kept = this.logs.get(runId);
    if (key && kept?.key === key) return kept.log;
    const log = await this.source.readRunLog(runId);
    if (log.status !== "RUNNING" && key && key.startsWith(log.status)) {
      if (this.logs.size > 2000) this.logs.clear();
      this.logs.set(runId, { key, log });
    }
    return log;
  }

  async run(runId: string): Promise<RunAnswer> {
    const log = await this.runLog(runId);
    const stored = await this.source.readGraph(runId);
    return {
      log,
      graph: stored ?? inferGraph(log),
      inferred: stored === undefined,
      retry: log.status === "FAIL" ? retryCommand(runId, this.source.storeFlags, this.cli) : null,
      // Priced from the stored graph only: an inferred one lacks the steps' sizes.
      cost: stored ? runCostSummary(stored, log) ?? null : null,
    };
  }

  async compare(ids: string[]): Promise<RunComparison> {
    if (ids.length < 2 || ids.length > 5) throw new UsageError(`compare takes 2 to 5 run ids, got ${ids.length}`);
    ids.forEach((id) => checkRunId(id));
    const all = await this.listAll();
    return compareRuns(await Promise.all(ids.map((id) => this.runLog(id, all.find((r) => r.runId === id)))));
  }

  /** Numeric metrics of the newest runs of a pipeline, oldest first (what the plot draws). */
  async metrics(pipeline: string): Promise<MetricSeries> {
    const all = await this.listAll();
    const runs = all.filter((r) => r.pipeline === pipeline).slice(0, PLOT_RUNS).reverse();
    const logs = await Promise.all(runs.map((r) => this.runLog(r.runId, r)));
    return {
      pipeline,
      runs: logs.map((log) => {
        const numbers: Record<string, number> = {};
        for (const [name, value] of Object.entries(runMetrics(log))) if (typeof value === "number" && Number.isFinite(value)) numbers[name] = value;
        return { runId: log.runId, startedAt: log.startedAt, status: log.status, metrics: numbers };
      }),
    };
  }

  /** A catalog file for download; the name is checked like any catalog name. */
  async file(runId: string, name: string) {
    checkRunId(runId);
    checkCatalogName(name);
    if (!this.source.openFile) throw new UsageError(`catalog files cannot be downloaded from ${this.source.location}: open \`runnable ui\` on the bucket or folder that holds them`);
    return this.source.openFile(runId, name);
  }
}

/** A strong ETag of a JSON answer: polling pages get 304 while nothing changed. */
export function etagOf(text: string): string {
  return `"${createHash("sha1").update(text).digest("base64url")}"`;
}
