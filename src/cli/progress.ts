import type { ProgressEvent } from "../execute/events.js";
import type { RunResult } from "../sdk/runlog.js";
import type { CliIo } from "./io.js";

/** Renders step progress on stderr: a live line on a terminal, plain lines otherwise. */
export interface ProgressView {
  onEvent(event: ProgressEvent): void;
  /** Clears the live line (call before printing anything else). */
  close(): void;
}

const CLEAR = "\r\x1b[2K";

export function progressView(io: CliIo): ProgressView {
  const live = io.errIsTTY;
  const running = new Set<string>();
  let shown = false;

  function redraw(): void {
    if (!live) return;
    if (running.size === 0) {
      if (shown) io.err(CLEAR);
      shown = false;
      return;
    }
    const names = [...running];
    const more = names.length > 3 ? ` (+${names.length - 3})` : "";
    const line = `… ${names.slice(0, 3).join(", ")}${more}`;
    const width = Math.max(20, (io.columns ?? 80) - 1);
    io.err(CLEAR + (line.length > width ? line.slice(0, width - 1) + "…" : line));
    shown = true;
  }

  return {
    onEvent(event) {
      if (event.type === "step-start") {
        running.add(event.stepPath);
        redraw();
      } else if (event.type === "warning") {
        if (shown) io.err(CLEAR);
        shown = false;
        io.err(`warning: ${event.message ?? ""}\n`);
        redraw();
      } else if (event.type === "step-end") {
        running.delete(event.stepPath);
        if (shown) io.err(CLEAR);
        shown = false;
        io.err(stepLine(event, live) + "\n");
        redraw();
      }
    },
    close() {
      running.clear();
      redraw();
    },
  };
}

function stepLine(event: ProgressEvent, live: boolean): string {
  const ok = event.status === "SUCCESS";
  const word = event.skipped ? "SKIPPED" : (event.status ?? "DONE");
  const color = (code: number, text: string) => (process.env.NO_COLOR ? text : `\x1b[${code}m${text}\x1b[0m`);
  const mark = live ? (event.skipped ? "↷" : ok ? color(32, "✓") : color(31, "✗")) : word.padEnd(7);
  const took = event.durationMs !== undefined && !event.skipped ? `  ${formatMs(event.durationMs)}` : "";
  const attempt = event.attempt !== undefined && event.attempt > 1 ? `  (attempt ${event.attempt})` : "";
  const why = event.skipped ? "  (succeeded before)" : !ok && event.error ? `  ${event.error.name}: ${event.error.message.split("\n")[0]!.slice(0, 200)}` : "";
  return `${mark} ${event.stepPath}${took}${attempt}${why}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The one-screen summary printed after a run or retry. `catalogDir`: where the run's files are, when on
 * disk. `storeFlags`: options the hinted `logs`/`retry` commands need to find the run (e.g. `--s3-endpoint …`).
 */
export function summary(result: RunResult, root: string, catalogDir?: string, storeFlags: readonly string[] = []): string {
  const log = result.runLog;
  const steps = Object.entries(log.steps);
  const ok = steps.filter(([, s]) => s.status === "SUCCESS").length;
  const failed = steps.filter(([, s]) => s.status === "FAIL");
  const took = log.endedAt ? formatMs(Date.parse(log.endedAt) - Date.parse(log.startedAt)) : "?";
  const lines = [
    "",
    `${result.status === "SUCCESS" ? "SUCCESS" : "FAIL"}  run ${result.runId}  (pipeline ${log.pipeline}, ${took})`,
    `steps: ${ok} succeeded, ${failed.length} failed`,
  ];
  for (const [path, step] of failed.slice(0, 5)) {
    const err = step.attempts.at(-1)?.error;
    lines.push(`  failed: ${path}${err ? ` — ${err.name}: ${err.message.split("\n")[0]}` : ""}`);
  }
  if (failed.length > 5) lines.push(`  … and ${failed.length - 5} more`);
  if (log.error) lines.push(`  run failed: ${log.error.name}: ${log.error.message}`);
  const rootFlag = (root === ".runnable" ? "" : ` --root ${root}`) + storeFlags.map((f) => ` ${f}`).join("");
  lines.push(`run log: runnable logs ${result.runId}${rootFlag}`);
  if (catalogDir) lines.push(`files:   ${catalogDir}`);
  if (result.status !== "SUCCESS") lines.push(`fix the cause, then re-run what failed: runnable retry ${result.runId}${rootFlag}`);
  return lines.join("\n") + "\n";
}
