import type { ProgressEvent } from "../execute/events.js";
import { locate } from "../graph/paths.js";
import type { NodeGraph, PipelineGraph, RootGraph } from "../graph/types.js";
import type { CliIo } from "./io.js";
import { formatMs } from "./summary.js";

export { formatMs, summary } from "./summary.js";

/**
 * Step progress on stderr. Events only update counters; output is written on a timer, never per
 * event, so a 10,000-item Map costs no terminal writes per item.
 *
 * - Terminal: finished steps print one permanent line each (Map iterations do not, only their
 *   failures), under one live status region redrawn in place: `steps n/N`, each running Map's
 *   `items k/K` with its ETA, the running steps, the elapsed time.
 * - Not a terminal (CI logs, pipes): the same permanent lines, and for a running Map a summary line
 *   at most every `summaryEveryMs`.
 */
export interface ProgressView {
  onEvent(event: ProgressEvent): void;
  /** Writes what is pending and clears the live region (call before printing anything else). */
  close(): void;
}

export interface ProgressOptions {
  /** Clock in ms. Default `performance.now`. */
  now?: () => number;
  /** Starts the render timer; returns its stop. Default setInterval (unref'd). Tests drive ticks themselves. */
  every?: (ms: number, tick: () => void) => () => void;
  /** Terminal redraw interval. Default 100 ms. */
  redrawMs?: number;
  /** Not a terminal: least time between two summary lines of a running Map. Default 5 s. */
  summaryEveryMs?: number;
  /** Print a failed step's stack trace under its line (`--verbose`). Default false. */
  verbose?: boolean;
}

/** Failed iterations of one Map printed before the rest are only counted. */
const FAILURES_SHOWN = 10;

interface MapProgress {
  path: string;
  node?: NodeGraph & { kind: "map" };
  items?: number;
  done: Set<string>;
  failed: number;
  failuresShown: number;
  startedAt: number;
  lastSummary: number;
}

const defaultEvery = (ms: number, tick: () => void): (() => void) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

const INDEX = /^(0|[1-9][0-9]*)$/;
const CLEAR_LINE = "\r\x1b[2K";

export function progressView(io: CliIo, options: ProgressOptions = {}): ProgressView {
  const live = io.errIsTTY;
  const now = options.now ?? (() => performance.now());
  const summaryEvery = options.summaryEveryMs ?? 5000;
  const started = now();
  let graph: RootGraph | undefined;
  let total = 0;
  const counted = new Set<string>();
  const running = new Set<string>();
  const maps = new Map<string, MapProgress>();
  const pending: string[] = [];
  let shownLines = 0;
  let dirty = false;
  let stop: (() => void) | undefined;

  const start = () => {
    stop ??= (options.every ?? defaultEvery)(live ? (options.redrawMs ?? 100) : 250, render);
  };

  /** The innermost Map a step path is an iteration of, with the iteration's key ("fanout.3"). */
  function enclosingMap(stepPath: string): { map: string; iteration: string; rest: string[] } | undefined {
    const segs = stepPath.split(".");
    for (let i = segs.length - 2; i >= 1; i--) {
      if (!INDEX.test(segs[i]!)) continue;
      const map = segs.slice(0, i).join(".");
      const node = graph ? locate(graph, map)?.node : undefined;
      if (graph && node?.kind !== "map") continue;
      return { map, iteration: segs.slice(0, i + 1).join("."), rest: segs.slice(i + 1) };
    }
    return undefined;
  }

  function mapOf(path: string): MapProgress {
    let m = maps.get(path);
    if (!m) {
      const node = graph ? locate(graph, path)?.node : undefined;
      m = { path, done: new Set(), failed: 0, failuresShown: 0, startedAt: now(), lastSummary: now(), ...(node?.kind === "map" ? { node } : {}) };
      maps.set(path, m);
    }
    return m;
  }

  function onEvent(event: ProgressEvent): void {
    start();
    dirty = true;
    switch (event.type) {
      case "run-start":
        if (event.graph) {
          graph = event.graph;
          total = countSteps(graph);
        }
        return;
      case "map-items":
        mapOf(event.stepPath).items = event.items;
        return;
      case "step-start":
        running.add(event.stepPath);
        if (event.kind === "map") mapOf(event.stepPath);
        return;
      case "step-end":
        running.delete(event.stepPath);
        stepEnded(event);
        return;
      case "warning":
        // What would fail once deployed (local runs): always shown, like a finished step.
        pending.push(`warning: ${event.message ?? ""}`);
        return;
      case "run-end":
        return;
    }
  }

  function stepEnded(event: ProgressEvent): void {
    const inMap = enclosingMap(event.stepPath);
    if (!inMap) {
      if (isCounted(event.stepPath)) counted.add(event.stepPath);
      const m = maps.get(event.stepPath);
      if (m) {
        maps.delete(event.stepPath);
        pending.push(stepLine(event, live, mapText(m, true)), ...stack(event));
        if (m.failed > m.failuresShown) pending.push(`  … ${m.failed - m.failuresShown} more failed iterations of ${m.path} (runnable logs shows them)`);
      } else pending.push(stepLine(event, live), ...stack(event));
      noteBranch(event.stepPath);
      return;
    }
    const m = mapOf(inMap.map);
    const last = m.node?.branch.steps.at(-1)?.name;
    // An iteration is through when its last top-level body step ended, or any of its steps failed.
    if (event.status === "FAIL" && !m.done.has(inMap.iteration)) {
      m.done.add(inMap.iteration);
      m.failed++;
      if (m.failuresShown < FAILURES_SHOWN) {
        m.failuresShown++;
        pending.push(stepLine(event, live), ...stack(event));
      }
    } else if (inMap.rest.length === 1 && (last === undefined || inMap.rest[0] === last)) {
      m.done.add(inMap.iteration);
    }
  }

  /** With --verbose: the frames of a failed step's recorded stack, indented under its line. */
  function stack(event: ProgressEvent): string[] {
    if (!options.verbose || event.status !== "FAIL" || !event.error?.stack) return [];
    return event.error.stack.split("\n").filter((l) => /^\s+at /.test(l)).map((l) => `    ${l.trim()}`);
  }

  /** A Conditional's branch counts once one of its steps ran. */
  function noteBranch(stepPath: string): void {
    if (!graph) return;
    const segs = stepPath.split(".");
    if (segs.length < 3) return;
    const found = locate(graph, segs.slice(0, -2).join("."));
    if (found?.node.kind !== "conditional") return;
    const key = segs.at(-2)!;
    const branch = key === "default" ? found.node.default : found.node.branches[key];
    const mark = `${found.node.path}.${key}`;
    if (branch && !chosen.has(mark)) {
      chosen.add(mark);
      total += countPipeline(branch);
    }
  }
  const chosen = new Set<string>();

  function isCounted(stepPath: string): boolean {
    return !stepPath.includes(".onFailure.");
  }

  function mapText(m: MapProgress, final: boolean): string {
    const k = m.done.size;
    const elapsed = now() - m.startedAt;
    const head = m.items !== undefined ? `${k}/${m.items} items` : `${k} items`;
    const failed = m.failed ? `, ${m.failed} ✗` : "";
    if (final) return `${head}${failed}`;
    const eta = m.items !== undefined && k > 0 && k < m.items ? `, ETA ${clock((elapsed / k) * (m.items - k), Math.ceil)}` : "";
    return `${m.path}: ${head}${failed}${eta}`;
  }

  function statusLines(): string[] {
    const steps = `steps ${counted.size}${total ? `/${total}` : ""}`;
    const names = [...running].filter((p) => !enclosingMap(p) && !maps.has(p));
    const more = names.length > 3 ? ` (+${names.length - 3})` : "";
    const runningText = names.length ? ` · running ${names.slice(0, 3).join(", ")}${more}` : "";
    const width = Math.max(20, (io.columns || 80) - 1);
    const fit = (line: string) => (line.length > width ? line.slice(0, width - 1) + "…" : line);
    const lines = [fit(`… ${steps} · ${clock(now() - started, Math.floor)} elapsed${runningText}`)];
    for (const m of [...maps.values()].slice(0, 3)) lines.push(fit(`  ${mapText(m, false)}`));
    return lines;
  }

  function render(): void {
    if (!dirty && !live) return;
    let text = "";
    if (live) {
      if (!dirty && shownLines === 0) return;
      // Back to the top of the live region, clear it, print the new permanent lines, redraw.
      text += shownLines > 1 ? `\x1b[${shownLines - 1}A` : "";
      text += shownLines ? `${CLEAR_LINE}\x1b[J` : "";
      text += pending.map((l) => l + "\n").join("");
      const region = statusLines();
      text += region.join("\n");
      shownLines = region.length;
    } else {
      text += pending.map((l) => l + "\n").join("");
      const t = now();
      for (const m of maps.values()) {
        if (t - m.lastSummary < summaryEvery) continue;
        m.lastSummary = t;
        text += `        ${mapText(m, false)}\n`;
      }
    }
    pending.length = 0;
    dirty = false;
    if (text) io.err(text);
  }

  return {
    onEvent,
    close() {
      stop?.();
      stop = undefined;
      let text = "";
      if (live && shownLines) text += (shownLines > 1 ? `\x1b[${shownLines - 1}A` : "") + `${CLEAR_LINE}\x1b[J`;
      text += pending.map((l) => l + "\n").join("");
      pending.length = 0;
      shownLines = 0;
      running.clear();
      if (text) io.err(text);
    },
  };
}

/** Steps `steps n/N` counts: every step outside Map bodies and onFailure pipelines; a Conditional's branch once chosen. */
function countSteps(graph: RootGraph): number {
  return countPipeline(graph);
}

function countPipeline(p: PipelineGraph): number {
  let n = 0;
  for (const node of p.steps) {
    n++;
    if (node.kind === "parallel") for (const b of Object.values(node.branches)) n += countPipeline(b);
  }
  return n;
}

/** Whole seconds: "12 s", "3m 05s". */
function clock(ms: number, round: (n: number) => number): string {
  const s = round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

function stepLine(event: ProgressEvent, live: boolean, items?: string): string {
  const ok = event.status === "SUCCESS";
  const word = event.skipped ? "SKIPPED" : (event.status ?? "DONE");
  const color = (code: number, text: string) => (process.env.NO_COLOR ? text : `\x1b[${code}m${text}\x1b[0m`);
  const mark = live ? (event.skipped ? "↷" : ok ? color(32, "✓") : color(31, "✗")) : word.padEnd(7);
  const took = event.durationMs !== undefined && !event.skipped ? `  ${formatMs(event.durationMs)}` : "";
  const count = items ? `  ${items}` : "";
  const attempt = event.attempt !== undefined && event.attempt > 1 ? `  (attempt ${event.attempt})` : "";
  const why = event.skipped ? "  (succeeded before)" : !ok && event.error ? `  ${event.error.name}: ${event.error.message.split("\n")[0]!.slice(0, 200)}` : "";
  return `${mark} ${event.stepPath}${took}${count}${attempt}${why}`;
}
