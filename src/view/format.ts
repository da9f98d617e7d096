import type { JsonValue } from "../sdk/types.js";
import type { AttemptLog, RunLog } from "../sdk/runlog.js";

/** Text formatting shared by the CLI views and the web UI (pure). */

/** 840 ms, 4.21 s, 3m 12s, 2h 05m. */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** 12 B, 3.4 KB, 1.2 MB (powers of 1024, as `ls -h`). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** "2026-11-29 22:15:03" (UTC, as recorded). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}

export function millisBetween(from: string | null | undefined, to: string | null | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Wall time of a run: start to end, or to `now` while it runs. */
export function runDuration(log: Pick<RunLog, "startedAt" | "endedAt" | "status">, now: number = Date.now()): number | undefined {
  return millisBetween(log.startedAt, log.endedAt ?? (log.status === "RUNNING" ? new Date(now).toISOString() : null));
}

/** A run's executions (first run, retries), each with its own duration: `local 850 ms FAIL, retry-1 1.20 s SUCCESS`. */
export function executionDurations(spans: readonly { id: string; startedAt: string; endedAt: string | null; status: string }[], now: number = Date.now()): string {
  return spans.map((s) => `${s.id} ${formatDuration(millisBetween(s.startedAt, s.endedAt ?? new Date(now).toISOString())) || "?"}${s.endedAt ? "" : " so far"} ${s.status}`).join(", ");
}

export function attemptDuration(a: Pick<AttemptLog, "startedAt" | "endedAt">): number | undefined {
  return millisBetween(a.startedAt, a.endedAt);
}

/** A value shortened for one table cell: `"text"`, `0.851`, `[300 items]`, `{4 keys}`, `<object>` (an object() return). */
export function shortValue(value: JsonValue | undefined, max = 32): string {
  if (value === undefined) return "";
  let text: string;
  if (Array.isArray(value)) text = `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  else if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    text = keys.length === 1 && keys[0] === "$object" ? "<object>" : `{${keys.length} key${keys.length === 1 ? "" : "s"}}`;
  } else if (typeof value === "number") text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  else text = JSON.stringify(value);
  return clip(text, max);
}

/** `name=value, …` of a record, each value shortened; the whole clipped to `max`. */
export function shortRecord(record: Record<string, JsonValue>, max = 60): string {
  return clip(Object.entries(record).map(([k, v]) => `${k}=${shortValue(v, 24)}`).join(", "), max);
}

/** Cuts text to `max` characters, marking the cut with "…". */
export function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  return oneLine.length <= max ? oneLine : oneLine.slice(0, Math.max(0, max - 1)) + "…";
}

/** "fanout.12.score" → "fanout.*.score": numeric segments are Map iteration indexes (step names start with a letter). */
export function iterationPattern(stepPath: string): string {
  return stepPath.split(".").map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? "*" : s)).join(".");
}

/** The command that re-runs what failed, with the options needed to find the run; `cli`: how the user starts the CLI. */
export function retryCommand(runId: string, storeFlags: readonly string[] = [], cli = "runnable"): string {
  return [cli, "retry", runId, ...storeFlags].join(" ");
}

/** Median of numbers (undefined for none). */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
