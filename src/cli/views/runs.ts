import type { JsonValue } from "../../sdk/types.js";
import type { DiffRow, RunComparison } from "../../view/compare.js";
import { formatBytes, formatDuration, formatTime, millisBetween, shortRecord, shortValue } from "../../view/format.js";
import type { RunListing } from "../../ui/source.js";
import { table } from "./table.js";

/** `runnable runs list`: one line per run, newest first. */
export function runsText(runs: RunListing[], now: number = Date.now()): string {
  if (runs.length === 0) return "no runs\n";
  const rows = runs.map((r) => [
    r.runId, r.pipeline, r.stale ? `${r.status} (stale: ${r.stale})` : r.status, formatTime(r.startedAt),
    formatDuration(millisBetween(r.startedAt, r.endedAt ?? (r.status === "RUNNING" ? new Date(now).toISOString() : null))),
    r.mode ?? "", r.tag, shortRecord(r.parameters, 60),
  ]);
  return table([
    { title: "RUN ID" }, { title: "PIPELINE" }, { title: "STATUS" }, { title: "STARTED (UTC)" }, { title: "DURATION", right: true },
    { title: "MODE" }, { title: "TAG", max: 20 }, { title: "PARAMETERS" },
  ], rows).join("\n") + "\n";
}

const cell = (v: JsonValue | undefined, present: boolean): string => (present ? shortValue(v ?? null, 28) : "—");

/** `runnable runs compare`: what differs between runs, run by run in columns. */
export function compareText(c: RunComparison, options: { all?: boolean } = {}): string {
  const out: string[] = [];
  const head = (title: string) => [{ title }, ...c.runs.map((r, i) => ({ title: `[${i + 1}]`, right: false }))];
  out.push(...c.runs.map((r, i) => `[${i + 1}] ${r.runId}  ${r.pipeline}  ${r.status}  ${formatTime(r.startedAt)}  ${formatDuration(r.durationMs)}${r.tag ? `  tag ${r.tag}` : ""}`));
  const section = (title: string, rows: DiffRow[]) => {
    const shown = options.all ? rows : rows.filter((r) => !r.same);
    const same = rows.length - rows.filter((r) => !r.same).length;
    out.push("", `${title}: ${rows.length - same} differ${same ? `, ${same} equal${options.all ? "" : " (--all shows them)"}` : ""}`);
    if (shown.length) out.push(...table(head(title === "parameters" ? "PARAMETER" : "METRIC"), shown.map((r) => [`${r.same ? " " : "≠"} ${r.name}`, ...r.values.map((v, i) => cell(v, r.present[i]!))]), "  "));
  };
  section("parameters", c.parameters);
  section("metrics", c.metrics);
  if (c.steps.length) {
    out.push("", "step durations");
    out.push(...table(head("STEP").map((h, i) => (i ? { ...h, right: true } : h)), c.steps.map((s) => [s.path, ...s.durationMs.map((d, i) => (s.status[i] === undefined ? "—" : `${formatDuration(d)}${s.status[i] === "FAIL" ? " ✗" : ""}`))]), "  "));
  }
  const changed = c.catalog.filter((f) => f.changed);
  out.push("", `catalog files: ${changed.length} changed, ${c.catalog.length - changed.length} same md5`);
  if (changed.length) {
    out.push(...table(head("FILE"), changed.map((f) => [f.name, ...f.md5.map((m, i) => (m === undefined ? "—" : `${m.slice(0, 8)} ${formatBytes(f.size[i]!)}`))]), "  "));
  }
  return out.join("\n") + "\n";
}
