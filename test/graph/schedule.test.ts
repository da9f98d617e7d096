// A pipeline's `schedule` is checked when its graph is built: a bad expression, time zone or
// parameters is a DefinitionError naming the pipeline (run, check, compile and cdk synth refuse it
// alike); a good one is carried in the graph, outside the dagHash.
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/index.js";
import { explain } from "../../src/compile/explain.js";
import { buildGraph } from "../../src/graph/index.js";
import { parseScheduleExpression } from "../../src/graph/schedule.js";
import { FunctionTask, Pipeline } from "../../src/index.js";
import type { ScheduleOptions } from "../../src/sdk/types.js";

const steps = () => [new FunctionTask({ name: "work", function: () => 1 })];
const build = (schedule: unknown, name = "nightly") => buildGraph(new Pipeline({ name, steps: steps(), schedule: schedule as ScheduleOptions }));

describe("Pipeline schedule", () => {
  it("accepts EventBridge Scheduler's cron and rate expressions, and keeps the schedule out of the dagHash", () => {
    for (const expression of ["cron(0 6 * * ? *)", "cron(15,45 8-18/2 ? * MON-FRI *)", "cron(0 12 L * ? 2027-2030)", "cron(0 9 ? * 6#3 *)", "cron(0 9 15W * ? *)", "cron(0/5 * ? JAN,JUL 2L *)", "rate(1 day)", "rate(15 minutes)", "rate(2 hours)"]) {
      expect(() => build({ expression }), expression).not.toThrow();
    }
    const scheduled = build({ expression: "rate(1 day)", timezone: "America/New_York", parameters: { day: "x" } }).graph;
    expect(scheduled.schedule).toEqual({ expression: "rate(1 day)", timezone: "America/New_York", parameters: { day: "x" } });
    expect(scheduled.dagHash).toBe(buildGraph(new Pipeline({ name: "nightly", steps: steps() })).graph.dagHash);
    expect(parseScheduleExpression("rate(2 hours)")).toEqual({ kind: "rate", value: 2, unit: "hour" });
    // `compile --explain` says how it runs.
    expect(explain(compile(build({ expression: "cron(0 6 ? * MON-FRI *)", timezone: "Europe/Paris", parameters: { day: "x" } })))).toContain(
      'schedule: cron(0 6 ? * MON-FRI *) (Europe/Paris) → EventBridge Scheduler invokes the runs API Lambda, which starts the run (run id <pipeline>-<time>, tag "schedule", parameters {"day":"x"})');
  });

  it("refuses a bad schedule before anything runs, naming the pipeline and the problem", () => {
    const refused = (schedule: unknown): string => {
      try {
        build(schedule);
      } catch (err) {
        expect((err as Error).name).toBe("DefinitionError");
        return (err as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(schedule)}`);
    };
    expect(refused({ expression: "0 6 * * *" })).toBe('pipeline "nightly": schedule expression "0 6 * * *" is invalid: it must be "cron(minutes hours day-of-month month day-of-week year)" or "rate(<n> minutes|hours|days)"');
    expect(refused({ expression: "cron(0 6 * * *)" })).toContain("cron takes six fields (minutes hours day-of-month month day-of-week year), got 5");
    expect(refused({ expression: "cron(0 6 * * * *)" })).toContain('one of day-of-month and day-of-week must be "?", and only one');
    expect(refused({ expression: "cron(61 6 * * ? *)" })).toContain('minutes "61" is out of range (0–59)');
    expect(refused({ expression: "cron(0 6 ? * 8 *)" })).toContain('day-of-week "8" is out of range (1–7 or SUN–SAT)');
    expect(refused({ expression: "cron(0 6 ? FOO * *)" })).toContain('month "FOO" is out of range (1–12 or JAN–DEC)');
    expect(refused({ expression: "cron(0 6 * * ? 1800)" })).toContain('year "1800" is out of range (1970–2199)');
    expect(refused({ expression: "rate(1 days)" })).toContain("write rate(1 day)");
    expect(refused({ expression: "rate(5 minute)" })).toContain("write rate(5 minutes)");
    expect(refused({ expression: "rate(0 minutes)" })).toContain("a rate must be at least 1");
    expect(refused({ expression: "rate(1 week)" })).toContain("is invalid");
    expect(refused({ expression: "rate(1 day)", timezone: "Mars/Olympus" })).toBe('pipeline "nightly": schedule timezone "Mars/Olympus" is not a time zone name (IANA, e.g. "Europe/Paris"; default UTC)');
    expect(refused({ expression: "rate(1 day)", parameters: [1] })).toContain("parameters must be an object of JSON values");
    expect(refused({ expression: "rate(1 day)", params: {} })).toContain('has unknown field "params"');
    expect(refused("rate(1 day)")).toContain("must be an object { expression, parameters?, timezone? }");
  });
});
