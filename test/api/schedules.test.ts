// Scheduled runs: fire times (cron in a time zone, rate), the run id of a fire, the start of a
// scheduled run through the runs API's own route (a redelivered event answers with the run it
// started), and `runSchedules` — what `runnable serve --schedules` runs — driven by a fake clock.
import { describe, expect, it } from "vitest";
import { awsBackend } from "../../src/api/aws.js";
import { type ScheduleClock, type ScheduleReport, nextFireTime, runSchedules, scheduledRunId, startScheduledRun } from "../../src/api/schedules.js";
import { buildGraph } from "../../src/graph/index.js";
import type { RootGraph } from "../../src/graph/types.js";
import { FunctionTask, Pipeline } from "../../src/index.js";
import { memoryStores } from "../../src/store/index.js";

const at = (iso: string) => new Date(iso);

function pipelineGraph(name: string, schedule: NonNullable<RootGraph["schedule"]>): RootGraph {
  return buildGraph(new Pipeline({ name, schedule, steps: [new FunctionTask({ name: "work", function: ({ day }: { day: string }) => day, returns: ["out"] })] })).graph;
}

/** The API Lambda's backend over in-memory stores; Step Functions records the executions started. */
function backendOf(graphs: RootGraph[]) {
  const stores = memoryStores();
  const started: { name?: string; input?: string }[] = [];
  const sfn = { send: async (c: { input: { name?: string; input?: string; stateMachineArn?: string } }) => (started.push({ name: c.input.name!, input: c.input.input! }), { executionArn: `arn:x:${c.input.name}` }) };
  const deployed = new Map(graphs.map((g) => [g.name, { name: g.name, graph: g, defaults: { day: "monday" }, stateMachineArn: `arn:aws:states:eu-west-1:1:stateMachine:${g.name}` }]));
  return { backend: awsBackend(deployed, () => stores, sfn as never), stores, started };
}

/** A clock the test moves: `sleepUntil` resolves when the test advances past the time asked. */
function fakeClock(start: Date): ScheduleClock & { advance(to: Date): Promise<void>; waiting(): Date | undefined } {
  let now = start;
  let pending: { time: Date; resolve: () => void } | undefined;
  return {
    now: () => now,
    sleepUntil: (time, signal) => new Promise<void>((resolve, reject) => {
      if (time <= now) return resolve();
      pending = { time, resolve };
      signal.addEventListener("abort", () => reject(new Error("stopped")), { once: true });
    }),
    waiting: () => pending?.time,
    async advance(to) {
      now = to;
      if (pending && pending.time <= now) {
        const p = pending;
        pending = undefined;
        p.resolve();
      }
      // Let the runner start the run and plan the next fire.
      for (let i = 0; i < 1000 && !pending; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

describe("schedule fire times", () => {
  it("cron fires at its times in its time zone (AWS fields: weekdays 1–7 from Sunday, ? and #)", () => {
    const paris = { expression: "cron(0 6 * * ? *)", timezone: "Europe/Paris" };
    expect(nextFireTime(paris, at("2026-11-30T04:00:00Z"), at("2026-11-01T00:00:00Z"))).toEqual(at("2026-11-30T05:00:00Z"));
    // Summer time: 06:00 in Paris is 04:00 UTC (strictly after the time given).
    expect(nextFireTime(paris, at("2026-06-30T04:00:00Z"), at("2026-06-01T00:00:00Z"))).toEqual(at("2026-07-01T04:00:00Z"));
    // 2 = Monday; 2026-11-28 is a Saturday.
    expect(nextFireTime({ expression: "cron(30 12 ? * 2 *)" }, at("2026-11-28T00:00:00Z"), at("2026-11-01T00:00:00Z"))).toEqual(at("2026-11-30T12:30:00Z"));
    expect(nextFireTime({ expression: "cron(0 9 ? * FRI#3 2027)" }, at("2026-11-28T00:00:00Z"), at("2026-11-01T00:00:00Z"))).toEqual(at("2027-01-15T09:00:00Z"));
    expect(nextFireTime({ expression: "cron(0 0 1 1 ? 2020)" }, at("2026-11-28T00:00:00Z"), at("2026-11-01T00:00:00Z"))).toBeUndefined();
  });

  it("rate fires every period from the schedule's start", () => {
    const since = at("2026-11-30T10:00:00Z");
    expect(nextFireTime({ expression: "rate(15 minutes)" }, since, since)).toEqual(at("2026-11-30T10:15:00Z"));
    expect(nextFireTime({ expression: "rate(15 minutes)" }, at("2026-11-30T10:31:00Z"), since)).toEqual(at("2026-11-30T10:45:00Z"));
    expect(nextFireTime({ expression: "rate(1 day)" }, at("2026-12-01T10:00:00Z"), since)).toEqual(at("2026-12-02T10:00:00Z"));
  });

  it("names a fire's run after the pipeline and the UTC time, within 80 characters", () => {
    expect(scheduledRunId("nightly", at("2026-11-30T06:00:00.000Z"))).toBe("nightly-20261130T060000Z");
    const long = scheduledRunId("p".repeat(80), at("2026-11-30T06:00:00Z"));
    expect(long).toHaveLength(80);
    expect(long).toMatch(/^p+-[0-9a-f]{8}-20261130T060000Z$/);
  });
});

describe("scheduled runs through the runs API", () => {
  it("starts the run as POST /runs does (schedule's parameters over the defaults, tag schedule); a redelivered event starts nothing new", async () => {
    const graph = pipelineGraph("nightly", { expression: "cron(0 6 * * ? *)", parameters: { day: "sunday" } });
    const { backend, stores, started } = backendOf([graph]);
    const graphs = new Map([["nightly", graph]]);
    const event = { runnable: "schedule" as const, pipeline: "nightly", scheduledTime: "2026-11-30T06:00:00Z" };
    expect(await startScheduledRun(backend, graphs, event)).toMatchObject({ status: 201, body: { runId: "nightly-20261130T060000Z", created: true } });
    expect(await startScheduledRun(backend, graphs, event)).toMatchObject({ status: 200, body: { runId: "nightly-20261130T060000Z", created: false } });
    const header = (await stores.runLog.getHeader("nightly-20261130T060000Z"))!;
    expect([header.tag, header.parameters, header.mode]).toEqual(["schedule", { day: "sunday" }, "aws"]);
    expect(started).toEqual([
      { name: "nightly-20261130T060000Z", input: JSON.stringify({ runId: "nightly-20261130T060000Z" }) },
      { name: "nightly-20261130T060000Z", input: JSON.stringify({ runId: "nightly-20261130T060000Z" }) }, // idempotent StartExecution (not started yet)
    ]);
    // Not retried when refused: an unknown pipeline, a bad time.
    expect((await startScheduledRun(backend, graphs, { ...event, pipeline: "other" })).status).toBe(404);
    expect((await startScheduledRun(backend, graphs, { ...event, scheduledTime: "yesterday" })).status).toBe(400);
  });

  it("runSchedules fires each pipeline at its times from the clock it is given, one run per fire, until stopped", async () => {
    const hourly = pipelineGraph("hourly", { expression: "rate(1 hour)" });
    const morning = pipelineGraph("morning", { expression: "cron(0 6 * * ? *)", timezone: "Europe/Paris" });
    const { backend, stores } = backendOf([hourly, morning]);
    const clock = fakeClock(at("2026-11-30T03:30:00Z"));
    const stop = new AbortController();
    const reports: ScheduleReport[] = [];
    const done = runSchedules(backend, new Map([["hourly", hourly], ["morning", morning]]), { clock, signal: stop.signal, onReport: (r) => reports.push(r) });
    await clock.advance(at("2026-11-30T03:30:00Z"));
    expect(clock.waiting()).toEqual(at("2026-11-30T04:30:00Z"));
    await clock.advance(at("2026-11-30T04:30:00Z"));
    await clock.advance(at("2026-11-30T05:00:00Z"));
    // The machine slept past two hourly fires: the late one runs once, the missed one is not made up.
    await clock.advance(at("2026-11-30T07:45:00Z"));
    stop.abort();
    await done;
    expect((await stores.runLog.listRuns()).sort()).toEqual(["hourly-20261130T043000Z", "hourly-20261130T053000Z", "morning-20261130T050000Z"]);
    expect(reports.filter((r) => r.kind === "fired").map((r) => [r.pipeline, r.at.toISOString(), r.kind === "fired" && r.response.status]))
      .toEqual([["hourly", "2026-11-30T04:30:00.000Z", 201], ["morning", "2026-11-30T05:00:00.000Z", 201], ["hourly", "2026-11-30T05:30:00.000Z", 201]]);
    expect(reports.filter((r) => r.kind === "next").map((r) => `${r.pipeline} ${r.at.toISOString()}`)).toContain("hourly 2026-11-30T08:30:00.000Z");
  });
});
