// Local executor figures (filesystem store in a temp directory, what `runnable run` uses):
// - local_step_overhead_ms: a 100-step linear pipeline of trivial functions, whole run ÷ 100
//   (run creation and the final read included), median of 11 runs; local_step_marginal_ms:
//   (T(101 steps) − T(1 step)) ÷ 100, the cost of one more step, medians of 11 runs each.
// - runlog_bytes_per_step: (run-log bytes of the 101-step run − those of the 1-step run) ÷ 100.
// - map_10k_items_per_s: a Map over 10,000 items (one trivial function each, concurrency 40), median of 3;
//   runlog_assemble_10k_fs_ms: that run's log (10,001 step records) read by a fresh store, page cache warm, median of 5.
// - map_100k_*: a Map over 100,000 items completes; its time and the process's RSS growth (peak − start).
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPipeline } from "../src/execute/index.js";
import { FunctionTask, MapNode, Pipeline } from "../src/sdk/index.js";
import { BlobRunLogStore, FsBlobStore } from "../src/store/index.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timed(pipeline: Pipeline, root: string, parameters: Record<string, number[]> = {}): Promise<{ ms: number; runId: string }> {
  const t0 = performance.now();
  const result = await runPipeline(pipeline, { root, parameters, fallbackName: "bench" });
  const ms = performance.now() - t0;
  if (result.status !== "SUCCESS") throw new Error(`bench pipeline ${result.runId} failed`);
  return { ms, runId: result.runId };
}

/** Bytes of every file under a folder. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return total;
}

export const linearPipeline = (steps: number): Pipeline => new Pipeline({
  steps: Array.from({ length: steps }, (_, i) =>
    new FunctionTask({ name: `s${i}`, function: ({ [`v${i - 1}`]: prev = 0 }: Record<string, number>) => prev + 1, returns: [`v${i}`] })),
});

const mapPipeline = (): Pipeline => new Pipeline({
  steps: [new MapNode({
    name: "fan", iterateOn: "items", iterateAs: "item", maxConcurrency: 40,
    branch: new FunctionTask({ name: "double", function: ({ item }: { item: number }) => item * 2, returns: ["doubled"] }).asPipeline(),
    reducer: (values) => values.length,
  })],
});

/** Runs `fn` sampling RSS every 20 ms: its time and the peak RSS growth over the start, in MiB. */
async function withRss<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; growthMiB: number; peakMiB: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, seconds: (performance.now() - t0) / 1000, growthMiB: Math.round((peak - base) / 2 ** 20), peakMiB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

export async function bench(): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), "runnable-bench-"));
  try {
    const [one, linear] = [linearPipeline(1), linearPipeline(100)];
    const long = linearPipeline(101);
    await timed(linear, root); // warm-up: module loading, first fs writes
    const runs: number[] = [];
    const ones: number[] = [];
    const longs: number[] = [];
    // Many short runs, interleaved: the median shrugs off bursts from other processes on a shared machine.
    let oneRun = "";
    let longRun = "";
    for (let r = 0; r < 11; r++) {
      runs.push((await timed(linear, root)).ms);
      const a = await timed(one, root);
      const b = await timed(long, root);
      ones.push(a.ms);
      longs.push(b.ms);
      [oneRun, longRun] = [a.runId, b.runId];
    }
    const bytesPerStep = (folderBytes(join(root, "runs", longRun)) - folderBytes(join(root, "runs", oneRun))) / 100;

    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const map = mapPipeline();
    const mapRuns: number[] = [];
    let mapRun = "";
    for (let r = 0; r < 3; r++) {
      const t = await timed(map, root, { items });
      mapRuns.push(t.ms);
      mapRun = t.runId;
    }
    const assemble: number[] = [];
    for (let r = 0; r < 5; r++) {
      // A new store each time, as `runnable logs` or `runnable ui` would read it: nothing known in memory.
      const reader = new BlobRunLogStore(new FsBlobStore(root));
      const t0 = performance.now();
      const log = await reader.readRunLog(mapRun);
      assemble.push(performance.now() - t0);
      if (Object.keys(log.steps).length !== 10_001) throw new Error(`assembled ${Object.keys(log.steps).length} steps, not 10,001`);
    }

    const big = Array.from({ length: 100_000 }, (_, i) => i);
    const root100k = mkdtempSync(join(tmpdir(), "runnable-bench-100k-"));
    const m100k = await withRss(() => timed(map, root100k, { items: big })).finally(() => rmSync(root100k, { recursive: true, force: true }));
    return {
      local_step_overhead_ms: Math.round((median(runs) / 100) * 1000) / 1000,
      local_step_marginal_ms: Math.round(((median(longs) - median(ones)) / 100) * 1000) / 1000,
      runlog_bytes_per_step: Math.round(bytesPerStep),
      map_10k_items_per_s: Math.round(10_000 / (median(mapRuns) / 1000)),
      runlog_assemble_10k_fs_ms: Math.round(median(assemble)),
      map_100k_completed: 1,
      map_100k_seconds: Math.round(m100k.seconds * 10) / 10,
      map_100k_items_per_s: Math.round(100_000 / m100k.seconds),
      map_100k_rss_growth_mb: m100k.growthMiB,
      map_100k_peak_rss_mb: m100k.peakMiB,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
