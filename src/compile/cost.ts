import { fargateSize, type BatchDefaults } from "../graph/resources.js";
import { locate } from "../graph/paths.js";
import { assertNever, type NodeGraph, type PipelineGraph, type RootGraph } from "../graph/types.js";
import type { RunLog } from "../sdk/runlog.js";
import { UsageError } from "../sdk/errors.js";
import { compile } from "./index.js";
import { DEFAULT_REGION, PRICES, PRICES_DATE, type RegionPrices } from "./prices.js";
import { defaultSpec, stepSpec, type LambdaDefaults } from "./sizing.js";

/**
 * What one run of a pipeline costs on AWS, from the compiled machine and the dated price table:
 * state transitions, Lambda requests and GB-seconds (each step at its own function's memory and
 * architecture), Batch on Fargate vCPU and GB time, S3 requests of the run log. Next to it, the same
 * pipeline on Metaflow's model (one AWS Batch job per step). An estimate: it assumes each Map's size,
 * a Conditional's costliest branch, no retries, and the durations given.
 */

export interface CostOptions {
  /** Price table region. Default us-east-1. */
  region?: string;
  /** Items per Map: one number for every Map, or by definition path. Default 1. */
  items?: number | Record<string, number>;
  /** Duration of a step in ms by definition path (e.g. measured by a run); others take `defaultDurationMs`. */
  durationsMs?: Record<string, number>;
  /** Default 1000 ms. */
  defaultDurationMs?: number;
  lambdaDefaults?: LambdaDefaults;
  batchDefaults?: BatchDefaults;
}

export interface StepCost {
  /** Definition path. */
  path: string;
  compute: "lambda" | "batch";
  /** Executions per run (Map iterations multiply). */
  runs: number;
  durationMs: number;
  usd: number;
}

export interface CostEstimate {
  region: string;
  pricesDate: string;
  stateTransitions: { count: number; usd: number };
  lambda: { requests: number; gbSeconds: number; usd: number };
  batch: { jobs: number; vcpuHours: number; gbHours: number; usd: number };
  s3: { puts: number; gets: number; usd: number };
  perRun: number;
  per1000Runs: number;
  steps: StepCost[];
  /** The same pipeline as Metaflow runs it on AWS Batch: one job per step (joins included), 1 vCPU / 4 GiB each. */
  metaflow: { jobs: number; perRun: number; per1000Runs: number };
  assumptions: string[];
}

/** Handler bookkeeping calls (run start/finalise, node ends, Map/Conditional starts): short, on the default function. */
const BOOKKEEPING_MS = 100;
/** Fargate bills from the image pull to the end of the task, per second with a one-minute minimum. */
const FARGATE_STARTUP_S = 30;
const FARGATE_MINIMUM_S = 60;
/** Metaflow's @batch defaults (cpu=1, memory=4096). */
const METAFLOW_JOB = { vcpu: 1, memoryMiB: 4096 };
/** S3 requests per handler call: the attempt record (PUT), a listing and reads of the run's records. */
const S3_PER_CALL = { puts: 1, gets: 3 };

interface Tally {
  lambdaRequests: number;
  gbSeconds: { arm64: number; x86_64: number };
  jobs: number;
  vcpuSeconds: number;
  gbSecondsBatch: number;
  metaflowJobs: number;
  metaflowSeconds: number;
  steps: StepCost[];
}

const empty = (): Tally => ({ lambdaRequests: 0, gbSeconds: { arm64: 0, x86_64: 0 }, jobs: 0, vcpuSeconds: 0, gbSecondsBatch: 0, metaflowJobs: 0, metaflowSeconds: 0, steps: [] });

function merge(a: Tally, b: Tally): Tally {
  return {
    lambdaRequests: a.lambdaRequests + b.lambdaRequests,
    gbSeconds: { arm64: a.gbSeconds.arm64 + b.gbSeconds.arm64, x86_64: a.gbSeconds.x86_64 + b.gbSeconds.x86_64 },
    jobs: a.jobs + b.jobs, vcpuSeconds: a.vcpuSeconds + b.vcpuSeconds, gbSecondsBatch: a.gbSecondsBatch + b.gbSecondsBatch,
    metaflowJobs: a.metaflowJobs + b.metaflowJobs, metaflowSeconds: a.metaflowSeconds + b.metaflowSeconds, steps: [...a.steps, ...b.steps],
  };
}

const fargateSeconds = (ms: number) => Math.max(FARGATE_MINIMUM_S, Math.ceil(ms / 1000) + FARGATE_STARTUP_S);

export function estimateCost(graph: RootGraph, options: CostOptions = {}): CostEstimate {
  const region = options.region ?? DEFAULT_REGION;
  const prices = PRICES[region];
  if (!prices) throw new UsageError(`no prices for region ${region} in the price table (${Object.keys(PRICES).join(", ")}; src/compile/prices.ts, ${PRICES_DATE})`);
  const itemsOf = (path: string) => typeof options.items === "number" ? options.items : options.items?.[path] ?? 1;
  const durationOf = (path: string) => options.durationsMs?.[path] ?? options.defaultDurationMs ?? 1000;
  const bookkeeping = (calls: number, m: number): Tally => {
    const spec = defaultSpec(options.lambdaDefaults);
    const t = empty();
    t.lambdaRequests = calls * m;
    t.gbSeconds[spec.architecture] = calls * m * (spec.memoryMiB / 1024) * (BOOKKEEPING_MS / 1000);
    return t;
  };
  const usdOf = (t: Tally) => lambdaUsd(t, prices) + batchUsd(t, prices);

  const node = (n: NodeGraph, m: number): Tally => {
    switch (n.kind) {
      case "function": case "shell": case "notebook": {
        const t = empty();
        const ms = durationOf(n.path);
        t.metaflowJobs = m;
        t.metaflowSeconds = m * fargateSeconds(ms);
        if (n.compute === "lambda") {
          const spec = stepSpec(n, options.lambdaDefaults);
          t.lambdaRequests = m;
          t.gbSeconds[spec.architecture] = m * (spec.memoryMiB / 1024) * (ms / 1000);
        } else {
          const size = fargateSize(n, options.batchDefaults) ?? { vcpu: 1, memoryMiB: 2048 };
          t.jobs = m;
          t.vcpuSeconds = m * size.vcpu * fargateSeconds(ms);
          t.gbSecondsBatch = m * (size.memoryMiB / 1024) * fargateSeconds(ms);
        }
        t.steps.push({ path: n.path, compute: n.compute, runs: m, durationMs: ms, usd: usdOf(t) });
        return t;
      }
      case "stub": case "success": case "fail":
        return bookkeeping(1, m);
      case "parallel": {
        const t = merge(bookkeeping(1, m), Object.values(n.branches).map((b) => pipeline(b, m)).reduce(merge, empty()));
        t.metaflowJobs += m; // Metaflow's join step
        t.metaflowSeconds += m * FARGATE_MINIMUM_S;
        return t;
      }
      case "map": {
        const t = merge(bookkeeping(2, m), pipeline(n.branch, m * itemsOf(n.path)));
        t.metaflowJobs += m;
        t.metaflowSeconds += m * FARGATE_MINIMUM_S;
        return t;
      }
      case "conditional": {
        const branches = [...Object.values(n.branches), ...(n.default ? [n.default] : [])].map((b) => pipeline(b, m));
        const costliest = branches.reduce((a, b) => (usdOf(b) > usdOf(a) ? b : a), empty());
        return merge(bookkeeping(2, m), costliest);
      }
      default:
        return assertNever(n);
    }
  };
  const pipeline = (p: PipelineGraph, m: number): Tally => p.steps.map((s) => node(s, m)).reduce(merge, empty());

  const run = merge(bookkeeping(2, 1), pipeline(graph, 1));
  // Metaflow's own start and end steps.
  run.metaflowJobs += 2;
  run.metaflowSeconds += 2 * FARGATE_MINIMUM_S;
  const expectedMapItems: Record<string, number> = {};
  walkMaps(graph, (path) => (expectedMapItems[path] = itemsOf(path)));
  const transitions = compile(graph, { expectedMapItems, ...(options.lambdaDefaults ? { lambdaDefaults: options.lambdaDefaults } : {}), ...(options.batchDefaults ? { batchDefaults: options.batchDefaults } : {}) })
    .estimate.transitionsPerRun;
  const calls = run.lambdaRequests + run.jobs + 1; // + the run header the API writes
  const s3 = { puts: calls * S3_PER_CALL.puts, gets: calls * S3_PER_CALL.gets };
  const s3Usd = s3.puts * prices.s3Put + s3.gets * prices.s3Get;
  const sfnUsd = transitions * prices.stateTransition;
  const perRun = sfnUsd + lambdaUsd(run, prices) + batchUsd(run, prices) + s3Usd;
  const metaflowRun = (run.metaflowSeconds / 3600) * (METAFLOW_JOB.vcpu * prices.fargateVcpuHour + (METAFLOW_JOB.memoryMiB / 1024) * prices.fargateGbHour);
  return {
    region, pricesDate: PRICES_DATE,
    stateTransitions: { count: transitions, usd: sfnUsd },
    lambda: { requests: run.lambdaRequests, gbSeconds: run.gbSeconds.arm64 + run.gbSeconds.x86_64, usd: lambdaUsd(run, prices) },
    batch: { jobs: run.jobs, vcpuHours: run.vcpuSeconds / 3600, gbHours: run.gbSecondsBatch / 3600, usd: batchUsd(run, prices) },
    s3: { ...s3, usd: s3Usd },
    perRun, per1000Runs: perRun * 1000,
    steps: run.steps,
    metaflow: { jobs: run.metaflowJobs, perRun: metaflowRun, per1000Runs: metaflowRun * 1000 },
    assumptions: [
      "each Map at the items given (else 1), a Conditional's costliest branch, no retries, no free tier",
      `step durations as given (else ${options.defaultDurationMs ?? 1000} ms); bookkeeping calls ${BOOKKEEPING_MS} ms on the default function`,
      `Batch/Fargate: billed from image pull (+${FARGATE_STARTUP_S} s) per second, ${FARGATE_MINIMUM_S} s minimum`,
      `S3: ${S3_PER_CALL.puts} PUT and ${S3_PER_CALL.gets} GET/LIST per handler call (run-log records); catalog files not counted`,
      `Metaflow: one AWS Batch job per step incl. start, end and joins, ${METAFLOW_JOB.vcpu} vCPU / ${METAFLOW_JOB.memoryMiB} MiB (its @batch defaults), same Fargate billing`,
    ],
  };
}

function lambdaUsd(t: Tally, p: RegionPrices): number {
  return t.lambdaRequests * p.lambdaRequest + t.gbSeconds.arm64 * p.lambdaGbSecond.arm64 + t.gbSeconds.x86_64 * p.lambdaGbSecond.x86_64;
}

function batchUsd(t: Tally, p: RegionPrices): number {
  return (t.vcpuSeconds / 3600) * p.fargateVcpuHour + (t.gbSecondsBatch / 3600) * p.fargateGbHour;
}

function walkMaps(p: PipelineGraph, visit: (path: string) => void): void {
  for (const n of p.steps) {
    if (n.kind === "map") {
      visit(n.path);
      walkMaps(n.branch, visit);
    }
    if (n.kind === "parallel" || n.kind === "conditional") Object.values(n.branches).forEach((b) => walkMaps(b, visit));
    if (n.kind === "conditional" && n.default) walkMaps(n.default, visit);
    if (n.onFailure) walkMaps(n.onFailure, visit);
  }
}

/**
 * Step durations measured by a run, by definition path: each task step's last attempt (ms), Map
 * iterations averaged. What `runnable cost` uses from the last local run, and `runnable logs` from the run shown.
 */
export function measuredDurations(graph: RootGraph, log: RunLog): Record<string, number> {
  const sums = new globalThis.Map<string, { total: number; n: number }>();
  for (const [stepPath, step] of Object.entries(log.steps)) {
    const last = step.attempts[step.attempts.length - 1];
    const where = locate(graph, stepPath);
    if (!last || step.type !== "task" || !where) continue;
    const ms = Date.parse(last.endedAt) - Date.parse(last.startedAt);
    if (!Number.isFinite(ms) || ms < 0) continue;
    const s = sums.get(where.definitionPath) ?? { total: 0, n: 0 };
    sums.set(where.definitionPath, { total: s.total + ms, n: s.n + 1 });
  }
  return Object.fromEntries([...sums].map(([path, s]) => [path, Math.round(s.total / s.n)]));
}

/** Items per Map a run had, by definition path (Map iterations recorded, averaged over enclosing iterations). */
export function measuredItems(graph: RootGraph, log: RunLog): Record<string, number> {
  const sums = new globalThis.Map<string, { total: number; n: number }>();
  for (const [stepPath, step] of Object.entries(log.steps)) {
    const last = step.attempts[step.attempts.length - 1];
    const where = locate(graph, stepPath);
    if (!last || step.type !== "map" || last.iterations === undefined || !where) continue;
    const s = sums.get(where.definitionPath) ?? { total: 0, n: 0 };
    sums.set(where.definitionPath, { total: s.total + last.iterations, n: s.n + 1 });
  }
  return Object.fromEntries([...sums].map(([path, s]) => [path, Math.max(1, Math.round(s.total / s.n))]));
}

const usd = (n: number) => (n >= 0.01 ? `$${n.toFixed(2)}` : `$${n.toPrecision(3)}`);

/** The estimate as text (what `runnable cost` and `compile --explain` print). */
export function formatCost(c: CostEstimate): string {
  const rows = [
    ["state transitions", `${c.stateTransitions.count}`, usd(c.stateTransitions.usd)],
    ["Lambda", `${c.lambda.requests} requests, ${c.lambda.gbSeconds.toFixed(2)} GB-s`, usd(c.lambda.usd)],
    ["Batch (Fargate)", `${c.batch.jobs} jobs, ${c.batch.vcpuHours.toFixed(4)} vCPU-h, ${c.batch.gbHours.toFixed(4)} GB-h`, usd(c.batch.usd)],
    ["S3 requests", `${c.s3.puts} PUT, ${c.s3.gets} GET/LIST`, usd(c.s3.usd)],
  ];
  const w = [Math.max(...rows.map((r) => r[0]!.length)), Math.max(...rows.map((r) => r[1]!.length))];
  return [
    `estimated cost on AWS (${c.region}, prices of ${c.pricesDate}): ${usd(c.perRun)} per run, ${usd(c.per1000Runs)} per 1,000 runs`,
    ...rows.map((r) => `  ${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]}`),
    `  Metaflow, one Batch job per step: ${c.metaflow.jobs} jobs, ${usd(c.metaflow.perRun)} per run, ${usd(c.metaflow.per1000Runs)} per 1,000 runs`,
    ...c.assumptions.map((a) => `  assumes ${a}`),
  ].join("\n") + "\n";
}

/**
 * One line for `runnable logs`: what this finished, successful run would have cost on AWS, priced
 * from its own step durations and Map sizes (the estimate's model: deployed defaults, us-east-1).
 * Undefined for runs that did not succeed (a failed run stops part-way: the model would overstate it).
 */
export function runCostLine(graph: RootGraph, log: RunLog): string | undefined {
  const summary = runCostSummary(graph, log);
  return summary === undefined ? undefined : `estimated AWS cost of this run: ${summary} — \`runnable cost <file>\` breaks it down\n`;
}

/** What `runCostLine` says of the run's cost (also the run page of `runnable ui`): `$… (counts; prices; basis)`. */
export function runCostSummary(graph: RootGraph, log: RunLog): string | undefined {
  if (log.status !== "SUCCESS") return undefined;
  const c = estimateCost(graph, { durationsMs: measuredDurations(graph, log), items: measuredItems(graph, log) });
  return `${usd(c.perRun)} (${c.stateTransitions.count} state transitions, ${c.lambda.requests} Lambda calls, ${c.batch.jobs} Batch jobs; ${c.region} prices of ${c.pricesDate}; its step durations and Map sizes)`;
}
