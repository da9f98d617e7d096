import type { Problem } from "../sdk/errors.js";
import type { JsonValue, ScheduleOptions } from "../sdk/types.js";

/**
 * A pipeline's `schedule`, checked when the graph is built (so `run`, `check`, `compile` and
 * `cdk synth` refuse a bad one alike): the expression in EventBridge Scheduler's syntax — `cron(…)`
 * with its six fields or `rate(<n> <unit>)` —, an IANA time zone, JSON parameters. No dependencies:
 * the step Lambda bundles this module; computing fire times (serve) lives in src/api/schedules.ts.
 */

export type ParsedSchedule =
  | { kind: "cron"; fields: [string, string, string, string, string, string] }
  | { kind: "rate"; value: number; unit: "minute" | "hour" | "day" };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Extra forms AWS allows in this field (besides numbers, names, `*`, `,`, `-`, `/`). */
  special?: RegExp;
}

// EventBridge Scheduler's cron fields, in order (AWS "Schedule types on EventBridge Scheduler").
const FIELDS: FieldRule[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, special: /^(\?|L|\d{1,2}W)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: DAYS, special: /^(\?|L|[1-7]L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5])$/ },
  { name: "year", min: 1970, max: 2199 },
];

function valueOf(text: string, rule: FieldRule): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  return i >= 0 ? i + 1 : undefined;
}

/** Why one cron field is invalid, or undefined. */
function fieldProblem(text: string, rule: FieldRule): string | undefined {
  for (const item of text.split(",")) {
    if (rule.special?.test(item.toUpperCase())) {
      const day = /^(\d{1,2})W$/.exec(item);
      if (day && (Number(day[1]) < 1 || Number(day[1]) > 31)) return `${rule.name} "${item}" names no day of the month`;
      continue;
    }
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) return `${rule.name} "${item}" is not a value, range or step`;
    if (m[2] !== undefined && Number(m[2]) < 1) return `${rule.name} "${item}": the step must be at least 1`;
    if (m[1] === "*") continue;
    const bounds = m[1]!.split("-");
    if (bounds.length > 2) return `${rule.name} "${item}" is not a value, range or step`;
    for (const b of bounds) {
      const v = valueOf(b, rule);
      if (v === undefined || v < rule.min || v > rule.max) {
        return `${rule.name} "${b}" is out of range (${rule.min}–${rule.max}${rule.names ? ` or ${rule.names[0]}–${rule.names.at(-1)}` : ""})`;
      }
    }
  }
  return undefined;
}

/** Parses a schedule expression; throws an Error saying what is wrong. */
export function parseScheduleExpression(expression: string): ParsedSchedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, "") as "minute" | "hour" | "day";
    if (value < 1) throw new Error("a rate must be at least 1");
    // AWS wants the singular for 1 and the plural otherwise.
    if ((value === 1) !== (rate[2] === unit)) throw new Error(`write rate(${value} ${value === 1 ? unit : `${unit}s`})`);
    return { kind: "rate", value, unit };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new Error('it must be "cron(minutes hours day-of-month month day-of-week year)" or "rate(<n> minutes|hours|days)"');
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`cron takes six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  for (const [i, rule] of FIELDS.entries()) {
    const problem = fieldProblem(fields[i]!, rule);
    if (problem) throw new Error(problem);
  }
  // AWS: one of day-of-month and day-of-week must be "?" (both cannot be given).
  if ((fields[2] === "?") === (fields[4] === "?")) throw new Error('one of day-of-month and day-of-week must be "?", and only one');
  return { kind: "cron", fields: fields as [string, string, string, string, string, string] };
}

/** Whether `tz` is a time zone this runtime knows (IANA names, e.g. "Europe/Paris"). */
function knownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isJson(v: unknown, depth = 0): v is JsonValue {
  if (depth > 64) return false;
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJson(x, depth + 1));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).every((x) => isJson(x, depth + 1));
  return false;
}

/** The problems of a pipeline's `schedule` (none when it has none), each naming the pipeline. */
export function scheduleProblems(pipeline: string, schedule: unknown): Problem[] {
  if (schedule === undefined) return [];
  const problem = (message: string): Problem[] => [{ path: "", code: "invalid-schedule", message: `pipeline "${pipeline}": schedule ${message}` }];
  if (typeof schedule !== "object" || schedule === null || Array.isArray(schedule)) return problem("must be an object { expression, parameters?, timezone? }");
  const s = schedule as Partial<ScheduleOptions> & Record<string, unknown>;
  const unknown = Object.keys(s).filter((k) => !["expression", "parameters", "timezone"].includes(k));
  if (unknown.length) return problem(`has unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")} (expression, parameters, timezone)`);
  if (typeof s.expression !== "string") return problem('needs an expression: "cron(…)" or "rate(…)"');
  try {
    parseScheduleExpression(s.expression);
  } catch (err) {
    return problem(`expression ${JSON.stringify(s.expression)} is invalid: ${(err as Error).message}`);
  }
  if (s.timezone !== undefined && (typeof s.timezone !== "string" || !knownTimeZone(s.timezone))) {
    return problem(`timezone ${JSON.stringify(s.timezone)} is not a time zone name (IANA, e.g. "Europe/Paris"; default UTC)`);
  }
  if (s.parameters !== undefined && (typeof s.parameters !== "object" || s.parameters === null || Array.isArray(s.parameters) || !isJson(s.parameters))) {
    return problem("parameters must be an object of JSON values");
  }
  return [];
}
