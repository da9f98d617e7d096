import type { JsonValue } from "../sdk/types.js";
import type { RunLog, RunStatus } from "../sdk/runlog.js";
import { runDuration } from "./format.js";
import { stepRows } from "./steps.js";

/**
 * Runs side by side (`runnable runs compare`, the web UI's Compare page): parameters and metrics
 * that differ, step durations, catalog files whose md5 changed. Pure.
 */

export interface DiffRow {
  name: string;
  /** One value per run (undefined, and null in JSON, where the run has none: see `present`). */
  values: (JsonValue | undefined)[];
  /** Whether each run has the name (a value can itself be null). */
  present: boolean[];
  same: boolean;
}

export interface CatalogRow {
  name: string;
  /** md5 per run (undefined, null in JSON: not in that run's catalog). */
  md5: (string | undefined)[];
  size: (number | undefined)[];
  changed: boolean;
}

export interface StepTimeRow {
  path: string;
  durationMs: (number | undefined)[];
  status: (RunLog["status"] | undefined)[];
}

export interface RunComparison {
  runs: { runId: string; pipeline: string; status: RunStatus; startedAt: string; durationMs?: number; tag: string }[];
  parameters: DiffRow[];
  metrics: DiffRow[];
  steps: StepTimeRow[];
  catalog: CatalogRow[];
}

/** Metrics of a run by name: from each step's last attempt in run order (a later step's value of a name wins). */
export function runMetrics(log: RunLog): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const step of Object.values(log.steps)) Object.assign(out, step.attempts.at(-1)?.metrics ?? {});
  return out;
}

/** Files a run put into its catalog: name → { md5, size } (a later put of a name wins). */
export function runCatalog(log: RunLog): Map<string, { md5: string; size: number }> {
  const out = new Map<string, { md5: string; size: number }>();
  for (const step of Object.values(log.steps)) {
    for (const entry of step.catalog) if (entry.stage === "put") out.set(entry.name, { md5: entry.md5, size: entry.size });
  }
  return out;
}

/** JSON with object keys sorted: equal values give equal text (no hashing: this module runs in the browser too). */
function sortedJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(value[k]!)}`).join(",")}}`;
  return JSON.stringify(value);
}

function diff(records: Record<string, JsonValue>[]): DiffRow[] {
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
  return names.map((name) => {
    const present = records.map((r) => Object.hasOwn(r, name));
    const values = records.map((r, i) => (present[i] ? r[name] : undefined));
    const texts = values.map((v, i) => (present[i] ? sortedJson(v!) : "\u0000missing"));
    return { name, values, present, same: texts.every((t) => t === texts[0]) };
  });
}

export function compareRuns(logs: RunLog[]): RunComparison {
  const catalogs = logs.map(runCatalog);
  const names = [...new Set(catalogs.flatMap((c) => [...c.keys()]))].sort();
  const catalog = names.map((name) => {
    const md5 = catalogs.map((c) => c.get(name)?.md5);
    return { name, md5, size: catalogs.map((c) => c.get(name)?.size), changed: md5.some((m) => m !== md5[0]) };
  });
  // Step rows in the first run's order, then steps only later runs have.
  const steps = new Map<string, StepTimeRow>();
  logs.forEach((log, i) => {
    for (const row of stepRows(log)) {
      if (row.failedIteration) continue;
      const entry = steps.get(row.path) ?? { path: row.path, durationMs: logs.map(() => undefined), status: logs.map(() => undefined) };
      entry.durationMs[i] = row.durationMs;
      entry.status[i] = row.status;
      steps.set(row.path, entry);
    }
  });
  return {
    runs: logs.map((l) => {
      const ms = runDuration(l);
      return { runId: l.runId, pipeline: l.pipeline, status: l.status, startedAt: l.startedAt, tag: l.tag, ...(ms !== undefined ? { durationMs: ms } : {}) };
    }),
    parameters: diff(logs.map((l) => l.parameters)),
    metrics: diff(logs.map(runMetrics)),
    steps: [...steps.values()],
    catalog,
  };
}
