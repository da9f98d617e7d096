import type { Command } from "commander";
import { buildGraph } from "../../graph/index.js";
import { estimateCost, formatCost, measuredDurations, measuredItems } from "../../compile/cost.js";
import { UsageError } from "../../sdk/errors.js";
import type { RunLog } from "../../sdk/runlog.js";
import { fsStores } from "../../store/index.js";
import { loadPipelineFile } from "../../load/index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

interface CostFlags {
  items?: string;
  mapItems?: string[];
  durationMs?: string;
  region?: string;
  root: string;
  json?: boolean;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a positive integer`);
  return n;
}

/** The newest finished local run of this pipeline (same dagHash) under `root`, if any. */
async function lastRun(root: string, name: string, dagHash: string): Promise<RunLog | undefined> {
  const stores = fsStores(root);
  const ids = await stores.runLog.listRuns().catch(() => [] as string[]);
  for (const id of [...ids].reverse()) {
    const header = await stores.runLog.getHeader(id);
    if (header?.pipeline !== name || header.dagHash !== dagHash) continue;
    const log = await stores.runLog.readRunLog(id);
    if (log.status !== "RUNNING") return log;
  }
  return undefined;
}

/**
 * `runnable cost <file> [--items N] [--map-items path=n…] [--duration-ms n] [--region r] [--root dir] [--json]`:
 * what one run (and 1,000) costs on AWS, from the compiled machine and the dated price table. Step
 * durations and Map sizes come from the last finished local run of the same pipeline when there is one.
 */
export function registerCost(program: Command, ctx: CommandContext): void {
  program
    .command("cost")
    .description("estimate what a run costs on AWS (and on Metaflow's one-Batch-job-per-step model)")
    .argument("<file>", "pipeline file")
    .option("--items <n>", "items of every Map (default: the last local run's, else 1)")
    .option("--map-items <path=count...>", "items of one Map by definition path")
    .option("--duration-ms <n>", "duration of every step (default: the last local run's measured durations, else 1000)")
    .option("--region <region>", "price table region", "us-east-1")
    .option("--root <dir>", "where local runs are looked up", ".runnable")
    .option("--json", "print the estimate as JSON")
    .action(ctx.action(async (file: string, flags: CostFlags) => {
      const { pipeline, fallbackName } = await loadPipelineFile(file);
      const { graph } = buildGraph(pipeline, { fallbackName });
      const run = await lastRun(flags.root, graph.name, graph.dagHash);
      const items: Record<string, number> = run ? measuredItems(graph, run) : {};
      for (const v of flags.mapItems ?? []) {
        const m = /^(.+)=(.+)$/.exec(v);
        if (!m) throw new UsageError(`--map-items ${JSON.stringify(v)}: expected <map path>=<item count>, e.g. fanout=500`);
        items[m[1]!] = positiveInt("--map-items", m[2]!);
      }
      const all = flags.items !== undefined ? positiveInt("--items", flags.items) : undefined;
      const estimate = estimateCost(graph, {
        region: flags.region ?? "us-east-1",
        items: all ?? items,
        ...(flags.durationMs !== undefined ? { defaultDurationMs: positiveInt("--duration-ms", flags.durationMs) }
          : run ? { durationsMs: measuredDurations(graph, run) } : {}),
      });
      if (flags.json) ctx.io.out(JSON.stringify({ ...estimate, ...(run && flags.durationMs === undefined ? { durationsFrom: run.runId } : {}) }, null, 2) + "\n");
      else {
        ctx.io.out(formatCost(estimate));
        ctx.io.out(run && flags.durationMs === undefined ? `  (durations and Map sizes of run ${run.runId})\n` : "  (no finished local run of this pipeline: default durations; run it once for measured ones)\n");
      }
      return EXIT.ok;
    }));
}
