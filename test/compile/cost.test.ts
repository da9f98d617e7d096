// The cost estimate: golden numbers for the examples with the dated price table (us-east-1), Map
// scaling with the item count, per-step sizing and Batch, and the Metaflow comparison.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimateCost, measuredDurations } from "../../src/compile/cost.js";
import { PRICES, PRICES_DATE } from "../../src/compile/prices.js";
import { buildGraph } from "../../src/graph/index.js";
import { loadPipelineFile } from "../../src/load/index.js";
import type { RunLog } from "../../src/sdk/runlog.js";

const ROOT = join(import.meta.dirname, "..", "..");
const graphOf = async (file: string) => {
  const { pipeline, fallbackName } = await loadPipelineFile(join(ROOT, file));
  return buildGraph(pipeline, { fallbackName }).graph;
};

describe("cost estimate (us-east-1 prices of " + PRICES_DATE + ")", () => {
  it("prices the ML example: 10 transitions, 9 Lambda calls (6 steps of 1 s at 1 GiB + 3 bookkeeping), 10 PUT + 30 GET", async () => {
    const c = estimateCost(await graphOf("examples/ml-pipeline/pipeline.ts"));
    const p = PRICES["us-east-1"]!;
    expect(c.stateTransitions).toEqual({ count: 10, usd: 10 * p.stateTransition });
    expect(c.lambda.requests).toBe(9);
    expect(c.lambda.gbSeconds).toBeCloseTo(6.3, 10);
    expect(c.s3).toMatchObject({ puts: 10, gets: 30 });
    expect(c.perRun).toBeCloseTo(0.00039780042, 13);
    expect(c.per1000Runs).toBeCloseTo(0.39780042, 10);
    // Metaflow: 6 step jobs + the Parallel's join + start + end, each at least a billed minute at 1 vCPU / 4 GiB.
    expect(c.metaflow.jobs).toBe(9);
    expect(c.metaflow.perRun).toBeCloseTo((540 / 3600) * (p.fargateVcpuHour + 4 * p.fargateGbHour), 12);
  });

  it("scales a Map's steps and transitions with its items", async () => {
    const graph = await graphOf("examples/map-reduce/pipeline.ts");
    const one = estimateCost(graph, { items: 1 });
    const hundred = estimateCost(graph, { items: 100 });
    expect(hundred.lambda.requests - one.lambda.requests).toBe(99);
    expect(hundred.stateTransitions.count).toBeGreaterThanOrEqual(one.stateTransitions.count + 99);
    expect(hundred.steps.find((s) => s.path === "count_words.*.count")?.runs).toBe(100);
    expect(estimateCost(graph, { items: { count_words: 100 } }).perRun).toBeCloseTo(hundred.perRun, 12);
  });

  it("prices each step at its own size and Batch jobs at Fargate rates with the one-minute minimum", async () => {
    const c = estimateCost(await graphOf("test/cdk/fixtures/everything.ts"), { defaultDurationMs: 2000, durationsMs: { list: 10_000 } });
    const p = PRICES["us-east-1"]!;
    const list = c.steps.find((s) => s.path === "list")!;
    expect(list.usd).toBeCloseTo(p.lambdaRequest + 2 * 10 * p.lambdaGbSecond.arm64, 12); // 2048 MiB for 10 s
    const recover = c.steps.find((s) => s.path === "risky.onFailure.recover");
    expect(recover).toBeUndefined(); // a successful run: onFailure does not run
    const right = c.steps.find((s) => s.path === "both.b.right")!;
    expect(right.usd).toBeCloseTo((60 / 3600) * (2 * p.fargateVcpuHour + 4 * p.fargateGbHour), 12); // 2 vCPU, 4096 MiB, 60 s minimum
    expect(c.batch.jobs).toBe(2);
  });

  it("refuses a region the price table does not have", async () => {
    expect(() => estimateCost({ version: 1, name: "x", path: "", steps: [], dagHash: "" }, { region: "ap-south-2" })).toThrow(/no prices for region ap-south-2/);
  });

  it("reads a run's measured durations by definition path, Map iterations averaged", async () => {
    const graph = await graphOf("examples/map-reduce/pipeline.ts");
    const attempt = (ms: number) => ({ attempts: [{ attempt: 1, status: "SUCCESS", startedAt: "2026-01-01T00:00:00.000Z", endedAt: new Date(Date.parse("2026-01-01T00:00:00.000Z") + ms).toISOString(), inputParameters: {}, outputParameters: {}, metrics: {}, error: null }], type: "task", status: "SUCCESS", catalog: [] });
    const log = { steps: { "count_words.0.count": attempt(100), "count_words.1.count": attempt(300) } } as unknown as RunLog;
    expect(measuredDurations(graph, log)).toEqual({ "count_words.*.count": 200 });
  });
});
