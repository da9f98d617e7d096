import type { RootGraph } from "../graph/types.js";
import type { RunLog } from "../sdk/runlog.js";
import { formatDuration } from "./format.js";
import { patternOf } from "./steps.js";
import { escapeXml } from "./svg.js";

/**
 * The run's timeline as SVG (a Gantt chart): one row per step in run order, one bar per attempt —
 * retries side by side on their step's row, failed attempts red — and a Map body step's iterations
 * drawn on one row (a 1,000-item Map is one dense row, not 1,000). Pure: the web UI shows it.
 */

export interface TimelineOptions {
  /** Drawing width in px. Default 900. */
  width?: number;
  graph?: RootGraph;
  /** "Now" for attempts still running (ms since epoch). Default Date.now(). */
  now?: number;
}

interface Bar {
  from: number;
  to: number;
  status: string;
  attempt: number;
  label: string;
}

const ROW = 18;
const LABEL = 230;
const AXIS = 22;

export function timelineSvg(log: RunLog, options: TimelineOptions = {}): string {
  const width = options.width ?? 900;
  const now = options.now ?? Date.now();
  const rows = new Map<string, Bar[]>();
  for (const [path, step] of Object.entries(log.steps)) {
    const key = patternOf(path, options.graph);
    const bars = rows.get(key) ?? rows.set(key, []).get(key)!;
    for (const a of step.attempts) {
      const from = Date.parse(a.startedAt);
      const to = a.endedAt ? Date.parse(a.endedAt) : now;
      bars.push({ from, to, status: a.status, attempt: a.attempt, label: `${path} attempt ${a.attempt}: ${a.status} in ${formatDuration(to - from)}${a.error ? ` — ${a.error.name}: ${a.error.message.split("\n")[0]}` : ""}` });
    }
  }
  const start = Date.parse(log.startedAt);
  const end = Math.max(log.endedAt ? Date.parse(log.endedAt) : now, ...[...rows.values()].flat().map((b) => b.to), start + 1);
  const span = end - start;
  const plot = width - LABEL - 10;
  const x = (t: number) => LABEL + Math.max(0, ((t - start) / span) * plot);
  const height = AXIS + rows.size * ROW + 6;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  for (let i = 0; i <= 4; i++) {
    const t = start + (span * i) / 4;
    const gx = x(t).toFixed(1);
    out.push(`<line class="tick" x1="${gx}" y1="${AXIS - 4}" x2="${gx}" y2="${height}"/><text class="axis" x="${gx}" y="12" text-anchor="${i === 4 ? "end" : i === 0 ? "start" : "middle"}">${escapeXml(formatDuration(t - start) || "0 ms")}</text>`);
  }
  let y = AXIS;
  for (const [path, bars] of rows) {
    const many = bars.length > 20;
    out.push(`<g class="row" data-path="${escapeXml(path)}"><text class="label" x="${LABEL - 8}" y="${y + 13}" text-anchor="end">${escapeXml(path.length > 32 ? "…" + path.slice(-31) : path)}</text>`);
    for (const b of bars) {
      const bx = x(b.from);
      const w = Math.max(1.5, x(b.to) - bx);
      const retry = b.attempt > 1 ? " retry" : "";
      // A dense row (Map iterations) keeps its bars without tooltips: thousands of <title>s cost more than they tell.
      const title = many ? "" : `<title>${escapeXml(b.label)}</title>`;
      out.push(`<rect class="bar s-${b.status}${retry}" x="${bx.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}">${title}</rect>`);
      if (!many && b.attempt > 1 && w > 18) out.push(`<text class="attempt" x="${(bx + 3).toFixed(1)}" y="${y + 12}">#${b.attempt}</text>`);
    }
    if (many) out.push(`<text class="count" x="${width - 4}" y="${y + 13}" text-anchor="end">${bars.length} attempts</text>`);
    out.push("</g>");
    y += ROW;
  }
  out.push("</svg>");
  return out.join("") + "\n";
}
