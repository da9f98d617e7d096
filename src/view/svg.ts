import type { Box, DagLayout, Group, Line } from "./layout.js";
import type { NodeStatus } from "./state.js";

/**
 * A laid-out DAG as one standalone SVG document (its style inside, so the file looks the same opened
 * alone, embedded in a README or inside the web UI). Every text is escaped: step names, branch keys
 * and details come from user files and run logs.
 */

export interface SvgOptions {
  /** Status of each node by definition path (colours the boxes); without it the pipeline is drawn as defined. */
  status?: (path: string) => NodeStatus | undefined;
  /** Replaces a box's second line (e.g. duration, "812/1000 ✓ 3 ✗"). */
  detail?: (path: string) => string | undefined;
  /** Definition path of the highlighted box. */
  selected?: string;
  /** Embed the style (a file of its own). Default true; the web UI serves it in its stylesheet instead (its CSP allows no inline style). */
  standalone?: boolean;
}

/** The drawing's style: embedded in standalone SVG files, part of the web UI's stylesheet. */
export const SVG_STYLE = [
  "text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#1f2328}",
  ".sub{font-size:10.5px;fill:#57606a}",
  ".box rect,.box path{fill:#fff;stroke:#8c959f;stroke-width:1.2}",
  ".s-SUCCESS rect,.s-SUCCESS path{fill:#dafbe1;stroke:#1a7f37}",
  ".s-FAIL rect,.s-FAIL path{fill:#ffebe9;stroke:#cf222e}",
  ".s-RUNNING rect,.s-RUNNING path{fill:#ddf4ff;stroke:#0969da;stroke-width:2}",
  ".s-NOT_RUN rect,.s-NOT_RUN path{fill:#f6f8fa;stroke:#d0d7de;stroke-dasharray:4 3}",
  ".s-NOT_RUN text{fill:#8c959f}",
  ".selected rect,.selected path{stroke:#8250df;stroke-width:3}",
  ".start rect,.end rect{fill:#f6f8fa}",
  ".join circle{fill:#8c959f}",
  ".group>rect{fill:#f6f8fa;fill-opacity:.55;stroke:#d0d7de;stroke-dasharray:5 3}",
  ".group.branch>rect{fill:#fff;fill-opacity:.6}",
  ".group.onFailure>rect{fill:#fff8c5;fill-opacity:.5;stroke:#d4a72c}",
  ".group text{font-size:10.5px;fill:#57606a}",
  ".edge path{fill:none;stroke:#6e7781;stroke-width:1.3}",
  ".edge.dashed path{stroke-dasharray:5 4;stroke:#bc4c00}",
  ".edge text{font-size:10.5px;fill:#57606a}",
  ".timeline text{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#57606a}",
  ".timeline .label{fill:#1f2328}",
  ".timeline .tick{stroke:#eaeef2}",
  ".timeline .bar{fill:#8c959f}",
  ".timeline .bar.s-SUCCESS{fill:#2da44e}",
  ".timeline .bar.s-FAIL{fill:#cf222e}",
  ".timeline .bar.s-RUNNING{fill:#0969da}",
  ".timeline .bar.retry{stroke:#1f2328;stroke-width:1}",
  ".timeline .attempt{fill:#fff;font-size:10px}",
].join("\n");

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The SVG document text of a laid-out DAG. */
export function renderSvg(layout: DagLayout, options: SvgOptions = {}): string {
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img">`,
    ...(options.standalone === false ? [] : [`<style>${SVG_STYLE}</style>`]),
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#6e7781"/></marker></defs>`,
  );
  // Outer groups first, so nested ones are drawn over them.
  const depth = (g: Group) => g.path.split(".").length;
  for (const g of [...layout.groups].sort((a, b) => depth(a) - depth(b))) out.push(group(g));
  for (const l of layout.lines) out.push(line(l));
  for (const b of layout.boxes) out.push(box(b, options));
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function group(g: Group): string {
  return `<g class="group ${g.kind}" data-group="${escapeXml(g.path)}"><rect x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" rx="8"/>` +
    `<text x="${g.x + 8}" y="${g.y + 13}">${escapeXml(g.kind === "branch" || g.kind === "onFailure" ? g.label : `${g.label} (${g.kind})`)}</text></g>`;
}

function line(l: Line): string {
  if (l.points.length === 0) return "";
  const d = l.points.map((p, i) => `${i ? "L" : "M"}${p.x} ${p.y}`).join("");
  const mid = l.points[Math.floor(l.points.length / 2)]!;
  const label = l.label ? `<text x="${mid.x + 4}" y="${mid.y - 3}">${escapeXml(l.label)}</text>` : "";
  return `<g class="edge${l.dashed ? " dashed" : ""}"><path d="${d}" marker-end="url(#arrow)"/>${label}</g>`;
}

function box(b: Box, options: SvgOptions): string {
  const status = b.path !== undefined ? options.status?.(b.path) : undefined;
  const classes = ["box", b.shape, status ? `s-${status}` : "", b.path !== undefined && b.path === options.selected ? "selected" : ""].filter(Boolean).join(" ");
  const data = b.path !== undefined ? ` data-path="${escapeXml(b.path)}" tabindex="0"` : "";
  const cx = b.x + b.width / 2;
  if (b.shape === "join" && !b.label) {
    return `<g class="${classes}"><circle cx="${cx}" cy="${b.y + b.height / 2}" r="${b.width / 2 - 2}"/></g>`;
  }
  const sub = (b.path !== undefined ? options.detail?.(b.path) : undefined) ?? b.sub;
  let shape: string;
  if (b.shape === "fork") {
    // A hexagon-ish box: the fork of a Parallel/Conditional/Map.
    const { x, y, width: w, height: h } = b;
    shape = `<path d="M${x + 10} ${y}H${x + w - 10}L${x + w} ${y + h / 2}L${x + w - 10} ${y + h}H${x + 10}L${x} ${y + h / 2}z"/>`;
  } else {
    const radius = b.shape === "task" ? 6 : b.height / 2;
    shape = `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="${radius}"/>`;
  }
  const title = b.path !== undefined ? `<title>${escapeXml(b.path)}${status ? ` — ${status}` : ""}</title>` : "";
  const texts = sub
    ? `<text x="${cx}" y="${b.y + 17}" text-anchor="middle">${escapeXml(b.label)}</text><text class="sub" x="${cx}" y="${b.y + 32}" text-anchor="middle">${escapeXml(sub)}</text>`
    : `<text x="${cx}" y="${b.y + b.height / 2 + 4}" text-anchor="middle">${escapeXml(b.label)}</text>`;
  return `<g class="${classes}"${data}>${title}${shape}${texts}</g>`;
}
