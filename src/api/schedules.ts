import { createHash } from "node:crypto";
import { Cron } from "croner";
import { parseScheduleExpression } from "../graph/schedule.js";
import type { RootGraph } from "../graph/types.js";
import type { ScheduleOptions } from "../sdk/types.js";
import { type ApiResponse, type RunsBackend, handleApiRequest } from "./routes.js";

/**
 * Scheduled runs. On AWS an EventBridge Scheduler schedule per pipeline invokes the API Lambda with
 * a `ScheduledRunEvent` (a schedule cannot start the state machine itself: `@run-start` needs the
 * run header first); `runnable serve --schedules` fires the same events from its own clock. Either
 * way the run starts as `POST /pipelines/{name}/runs` starts it, with the schedule's parameters, tag
 * "schedule" and a run id made of the pipeline and the scheduled time — so an event delivered twice
 * answers with the run it already started (the API's repeated-request rule) instead of a second run.
 */

/** What the schedule sends the API Lambda (`scheduledTime` is Scheduler's `<aws.scheduler.scheduled-time>`). */
export interface ScheduledRunEvent {
  runnable: "schedule";
  pipeline: string;
  scheduledTime: string;
}

export function isScheduledRunEvent(event: unknown): event is ScheduledRunEvent {
  const e = event as Partial<ScheduledRunEvent> | null;
  return typeof e === "object" && e !== null && e.runnable === "schedule";
}

/** The tag of scheduled runs. */
export const SCHEDULE_TAG = "schedule";

/**
 * `<pipeline>-<yyyymmddThhmmssZ>` (UTC), at most 80 characters (a long pipeline name keeps its head
 * and a hash of the whole): one run id per pipeline and fire time.
 */
export function scheduledRunId(pipeline: string, scheduledTime: Date): string {
  const stamp = scheduledTime.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  const suffix = `-${stamp}`;
  if (pipeline.length + suffix.length <= 80) return pipeline + suffix;
  const hash = createHash("sha256").update(pipeline).digest("hex").slice(0, 8);
  return `${pipeline.slice(0, 80 - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/**
 * Starts the run of one fire of a pipeline's schedule. Resolves with the API's answer: 201 (started),
 * 200 (this fire's run exists: a redelivered event), 4xx (refused: logged by the caller, never
 * retried — the same event would be refused again). Throws on 5xx, so the scheduler tries again.
 */
export async function startScheduledRun(backend: RunsBackend, graphs: ReadonlyMap<string, RootGraph>, event: ScheduledRunEvent): Promise<ApiResponse> {
  const time = new Date(event.scheduledTime);
  const schedule = graphs.get(event.pipeline)?.schedule;
  if (Number.isNaN(time.getTime())) return { status: 400, body: { error: { code: "BadRequest", message: `scheduledTime ${JSON.stringify(event.scheduledTime)} is not a time` } } };
  if (!schedule) return { status: 404, body: { error: { code: "PipelineNotFound", message: `pipeline ${JSON.stringify(event.pipeline)} has no schedule here` } } };
  const body = JSON.stringify({ runId: scheduledRunId(event.pipeline, time), tag: SCHEDULE_TAG, ...(schedule.parameters ? { parameters: schedule.parameters } : {}) });
  const res = await handleApiRequest(backend, { method: "POST", path: `/pipelines/${encodeURIComponent(event.pipeline)}/runs`, query: {}, body });
  if (res.status >= 500) throw new Error(`the scheduled run of ${event.pipeline} at ${event.scheduledTime} could not start: ${JSON.stringify(res.body)}`);
  return res;
}

/** Milliseconds of a rate schedule's period. */
function periodMs(unit: "minute" | "hour" | "day", value: number): number {
  return value * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit];
}

/**
 * The first fire time of `schedule` strictly after `after`. A cron expression fires at its times in
 * its time zone (default UTC); a rate fires every period from `since` (when the schedule was
 * created — for serve, when it started), as EventBridge Scheduler's rate schedules do.
 */
export function nextFireTime(schedule: ScheduleOptions, after: Date, since: Date): Date | undefined {
  const parsed = parseScheduleExpression(schedule.expression);
  if (parsed.kind === "rate") {
    const period = periodMs(parsed.unit, parsed.value);
    const n = Math.floor((after.getTime() - since.getTime()) / period) + 1;
    return new Date(since.getTime() + Math.max(1, n) * period);
  }
  // croner: seconds first, then AWS's six fields; weekdays 1–7 from Sunday as AWS numbers them.
  const cron = new Cron(`0 ${parsed.fields.join(" ")}`, {
    paused: true, mode: "7-part", alternativeWeekdays: true, ...(schedule.timezone ? { timezone: schedule.timezone } : { timezone: "UTC" }),
  });
  return cron.nextRun(after) ?? undefined;
}

/** The time source of `runSchedules`: the wall clock, or a test's fake one. */
export interface ScheduleClock {
  now(): Date;
  /** Resolves at `time` (or at once when it has passed); rejects when `signal` aborts. */
  sleepUntil(time: Date, signal: AbortSignal): Promise<void>;
}

export const wallClock: ScheduleClock = {
  now: () => new Date(),
  sleepUntil: (time, signal) => new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    // setTimeout takes at most ~24.8 days: wake up and wait again for longer waits.
    const wait = Math.min(Math.max(0, time.getTime() - Date.now()), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      if (Date.now() >= time.getTime()) resolve();
      else wallClock.sleepUntil(time, signal).then(resolve, reject);
    }, wait);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", stop, { once: true });
  }),
};

/** What `runSchedules` reports: a fire time it waits for, and each fire's outcome. */
export type ScheduleReport =
  | { kind: "next"; pipeline: string; at: Date }
  | { kind: "fired"; pipeline: string; at: Date; response: ApiResponse }
  | { kind: "failed"; pipeline: string; at: Date; error: Error };

/**
 * Fires the schedules of `graphs` (those that have one) against `backend` until `signal` aborts:
 * waits for the earliest next fire time, starts that run, and so on. A fire that is late (the
 * machine slept) still runs, once; fires missed in between are not made up (one run per wake-up).
 */
export async function runSchedules(
  backend: RunsBackend, graphs: ReadonlyMap<string, RootGraph>, options: { clock?: ScheduleClock; signal: AbortSignal; onReport?: (r: ScheduleReport) => void },
): Promise<void> {
  const clock = options.clock ?? wallClock;
  const since = clock.now();
  const next = new Map<string, Date>();
  const plan = (pipeline: string, schedule: ScheduleOptions, after: Date) => {
    const at = nextFireTime(schedule, after, since);
    if (at) {
      next.set(pipeline, at);
      options.onReport?.({ kind: "next", pipeline, at });
    } else next.delete(pipeline);
  };
  for (const [name, graph] of graphs) if (graph.schedule) plan(name, graph.schedule, since);
  while (next.size && !options.signal.aborted) {
    const [pipeline, at] = [...next].sort((a, b) => a[1].getTime() - b[1].getTime() || a[0].localeCompare(b[0]))[0]!;
    try {
      await clock.sleepUntil(at, options.signal);
    } catch {
      return;
    }
    try {
      const response = await startScheduledRun(backend, graphs, { runnable: "schedule", pipeline, scheduledTime: at.toISOString() });
      options.onReport?.({ kind: "fired", pipeline, at, response });
    } catch (err) {
      options.onReport?.({ kind: "failed", pipeline, at, error: err instanceof Error ? err : new Error(String(err)) });
    }
    // The next fire after both the one just made and now: a late wake-up does not replay missed fires.
    const now = clock.now();
    plan(pipeline, graphs.get(pipeline)!.schedule!, now > at ? now : at);
  }
}
