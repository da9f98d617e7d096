import type { CompileResult } from "./index.js";
import { MAX_HISTORY_EVENTS } from "./estimate.js";

const fmt = (n: number) => n.toLocaleString("en-US");

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd()).join("\n");
}

/** Human-readable account of a compilation: the state ↔ step mapping and the estimated cost of a run. */
export function explain(result: CompileResult): string {
  const { estimate: e } = result;
  const bytes = Buffer.byteLength(JSON.stringify(result.definition));
  const lines = [
    `pipeline "${result.graph.name}" → ${result.workflowType} workflow: ${Object.keys(result.states).length} states, ${fmt(bytes)} bytes`
      + (result.placeholders.length ? `; placeholders ${result.placeholders.map((p) => "${" + p + "}").join(", ")}` : ""),
    `estimated per successful run: ${fmt(e.transitionsPerRun)} state transitions, ${fmt(e.historyEventsPerRun)} history events `
      + (result.workflowType === "STANDARD" ? `(quota ${fmt(MAX_HISTORY_EVENTS)})` : "(Express workflows keep no execution history: no quota)"),
    "  (each Map at its expected size, else 1 item; a Conditional's costliest branch; no retries)",
    "",
    table([["state", "step", "role"], ...Object.entries(result.states).map(([name, s]) => [name, s.stepPath || "(run)", s.role])]),
  ];
  lines.push("", "step Lambdas (one per size; the first also runs every bookkeeping action):", table([
    ["function", "memory", "timeout", "arch", "/tmp", "steps"],
    ...Object.entries(result.functions).map(([placeholder, f]) => [
      placeholder, `${fmt(f.memoryMiB)} MiB`, `${f.timeoutSeconds} s`, f.architecture, `${fmt(f.ephemeralStorageMiB)} MiB`, f.steps.join(", ") || "–",
    ]),
  ]));
  const schedule = result.graph.schedule;
  if (schedule) {
    lines.push("", `schedule: ${schedule.expression} (${schedule.timezone ?? "UTC"}) → EventBridge Scheduler invokes the runs API Lambda, which starts the run`
      + ` (run id <pipeline>-<time>, tag "schedule"${schedule.parameters ? `, parameters ${JSON.stringify(schedule.parameters)}` : ""})`);
  }
  const jobs = Object.entries(result.jobDefinitions);
  if (jobs.length) {
    lines.push("", "Batch job definitions (one per Fargate size):", table([
      ["job definition", "vCPU", "memory", "steps"],
      ...jobs.map(([placeholder, size]) => [placeholder, String(size.vcpu), `${fmt(size.memoryMiB)} MiB`, size.steps.join(", ")]),
    ]));
  }
  const maps = Object.entries(e.maps);
  if (maps.length) {
    lines.push("", table([
      ["map", "items assumed", "transitions/iteration", "events/iteration", "inline limit", "refused above"],
      ...maps.map(([path, m]) => [path, fmt(m.assumedItems), fmt(m.transitionsPerIteration), fmt(m.eventsPerIteration),
        m.distributed ? "distributed" : m.maxInlineMapItems === undefined ? "no quota" : `${fmt(m.maxInlineMapItems)} items`,
        m.guardItems === undefined ? "-" : `${fmt(m.guardItems)} items`]),
    ]));
    if (maps.some(([, m]) => m.guardItems !== undefined)) {
      lines.push("  (inline limit: other Maps at their assumed sizes; refused above: the compiled guard fails the execution at the Map's start, every other Map empty)");
    }
  }
  return lines.join("\n") + "\n";
}

