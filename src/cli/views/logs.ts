import type { RootGraph } from "../../graph/types.js";
import type { JsonValue } from "../../sdk/types.js";
import type { RunLog } from "../../sdk/runlog.js";
import { runCatalog } from "../../view/compare.js";
import { clip, executionDurations, formatBytes, formatDuration, formatTime, retryCommand, runDuration, shortRecord } from "../../view/format.js";
import type { ExecutionSpan } from "../../store/types.js";
import { stepRows, type StepRow } from "../../view/steps.js";
import { table } from "./table.js";

/**
 * `runnable logs <runId>`: the run log as a person reads it — a header, the steps in run order
 * (Map iterations summed per body step, failed ones listed), failures with their error, the catalog.
 * `--json` prints the run log itself.
 */

export interface LogsViewOptions {
  /** The run's stored graph (tells Map indexes from numeric branch keys). */
  graph?: RootGraph;
  /** Every Map iteration on its own row. */
  expand?: boolean;
  /** Line width to fit (the returns column is cut to it). Default 120. */
  columns?: number;
  /** Options the hinted commands need to find the run (e.g. `--root dir`). */
  storeFlags?: string[];
  /** How the hinted commands name the CLI (`npx runnable`). Default "runnable". */
  cli?: string;
  /** The run's executions (first run, retries), oldest first: with more than one, each one's duration and the wall time are shown. */
  executions?: readonly ExecutionSpan[];
  /** More sections after the steps (e.g. a cost estimate), each a title and its lines. */
  extraSections?: { title: string; lines: string[] }[];
}

function status(row: StepRow): string {
  if (!row.iterations) return row.status;
  const { succeeded, failed, running } = row.iterations;
  return `${succeeded} ✓${failed ? ` ${failed} ✗` : ""}${running ? ` ${running} …` : ""}`;
}

function details(row: StepRow): string {
  if (row.error) return `${row.error.name}: ${row.error.message}`;
  if (row.iterations) return `${row.iterations.succeeded + row.iterations.failed + row.iterations.running} iterations, median ${formatDuration(row.durationMs)}, slowest ${formatDuration(row.iterations.maxMs)}`;
  const metricNames = new Set(Object.keys(row.metrics));
  const returns: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(row.returns)) if (!metricNames.has(k)) returns[k] = v;
  const parts = [
    ...(row.note ? [row.note] : []),
    ...(Object.keys(row.metrics).length ? [`metrics: ${shortRecord(row.metrics, 200)}`] : []),
    ...(Object.keys(returns).length ? [shortRecord(returns, 200)] : []),
  ];
  return parts.join("  ");
}

/** An error message's first three lines, the later ones indented under the first. */
function firstLines(message: string): string {
  return message.split("\n").slice(0, 3).join("\n    ");
}

export function logsText(log: RunLog, options: LogsViewOptions = {}): string {
  const columns = Math.max(80, options.columns ?? 120);
  const cli = options.cli ?? "runnable";
  const out: string[] = [];
  // A retried run's wall time includes the wait before each retry: each execution's own time is shown too.
  const retried = options.executions && options.executions.length > 1 ? options.executions : undefined;
  const code = log.codeIdentity.type === "git" ? `git ${(log.codeIdentity.commit ?? "").slice(0, 10)}${log.codeIdentity.dirty ? " (dirty)" : ""}` : "no git";
  out.push(
    `run        ${log.runId}`,
    `pipeline   ${log.pipeline}   status ${log.status}${log.stale ? ` (stale: ${log.stale}; \`runnable retry\` takes it over)` : ""}   ${retried ? "wall time" : "duration"} ${formatDuration(runDuration(log)) || "?"}${log.status === "RUNNING" ? " so far" : ""}${retried ? ` (first start to last end, ${retried.length} executions)` : ""}`,
    ...(retried ? [`executions ${executionDurations(retried)}`] : []),
    `started    ${formatTime(log.startedAt)} UTC${log.endedAt ? `   ended ${formatTime(log.endedAt)} UTC` : ""}${log.tag ? `   tag ${log.tag}` : ""}   code ${code}`,
    `parameters ${Object.keys(log.parameters).length ? clip(shortRecord(log.parameters, 1000), columns - 11) : "(none)"}`,
    "",
  );
  const rows = stepRows(log, { ...(options.graph ? { graph: options.graph } : {}), ...(options.expand ? { expand: true } : {}) });
  if (rows.length === 0) out.push("no steps recorded yet");
  else {
    const pathWidth = Math.min(48, Math.max(4, ...rows.map((r) => r.path.length + (r.failedIteration ? 2 : 0))));
    const fixed = 4 + 2 + pathWidth + 2 + 14 + 2 + 5 + 2 + 9 + 2;
    const cells = rows.map((r) => [
      "",
      r.failedIteration ? `  ${r.path}` : r.path,
      status(r),
      String(r.attempts),
      formatDuration(r.durationMs),
      details(r),
    ]);
    // Failed iterations are not numbered: they repeat a summed row.
    let n = 0;
    for (const [i, r] of rows.entries()) cells[i]![0] = r.failedIteration ? "" : String(++n);
    out.push(...table([
      { title: "#", right: true }, { title: "STEP", max: pathWidth }, { title: "STATUS", max: 14 }, { title: "TRIES", right: true },
      { title: "DURATION", right: true }, { title: "RETURNS / METRICS", max: Math.max(20, columns - fixed) },
    ], cells));
  }
  const failed = rows.filter((r) => r.error && r.status === "FAIL");
  if (failed.length) {
    out.push("", "failures");
    for (const r of failed.slice(0, 20)) {
      out.push(`  ${r.path}  (attempt ${r.attempts})`, `    ${r.error!.name}: ${firstLines(r.error!.message)}`);
    }
    if (failed.length > 20) out.push(`  … and ${failed.length - 20} more (${cli} logs ${log.runId} --json)`);
  }
  // An error outside any step (the pipeline module failed to load where steps run, a quota, an abort).
  const runError = log.error;
  if (runError && !failed.some((r) => r.error!.name === runError.name && r.error!.message === runError.message)) {
    out.push("", `run failed ${runError.name}: ${firstLines(runError.message)}`);
  }
  const files = runCatalog(log);
  if (files.size) {
    const bytes = [...files.values()].reduce((n, f) => n + f.size, 0);
    out.push("", `catalog    ${files.size} file${files.size === 1 ? "" : "s"}, ${formatBytes(bytes)}: ${clip([...files.keys()].join(", "), columns - 30)}`);
  }
  for (const section of options.extraSections ?? []) out.push("", section.title, ...section.lines.map((l) => `  ${l}`));
  out.push("", `full run log: ${cli} logs ${[log.runId, ...(options.storeFlags ?? [])].join(" ")} --json`);
  if (log.status === "FAIL") out.push(`re-run what failed: ${retryCommand(log.runId, options.storeFlags, cli)}`);
  return out.join("\n") + "\n";
}
