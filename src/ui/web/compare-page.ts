import type { JsonValue } from "../../sdk/types.js";
import type { MetricSeries } from "../../view/answers.js";
import type { DiffRow, RunComparison } from "../../view/compare.js";
import { formatBytes, formatDuration, formatTime, shortValue } from "../../view/format.js";
import { get } from "./api.js";
import { h, statusBadge } from "./dom.js";
import { showError } from "./main.js";
import { metricPlot } from "./plot.js";

/** 2–5 runs side by side, and a metric plotted across the runs of the first run's pipeline. */
export function comparePage(root: HTMLElement, arg: string): () => void {
  const ids = arg.split(",").map((s) => s.trim()).filter(Boolean);
  if (ids.length < 2) {
    const input = h("input", { name: "ids", placeholder: "run ids, separated by commas", size: 60, value: ids.join(",") });
    root.append(
      h("h1", {}, "Compare runs"),
      h("p", {}, "Tick 2 to 5 runs on the ", h("a", { href: "#/" }, "Runs"), " page and press “Compare selected”, or name them here:"),
      h("form", { onsubmit: (e: Event) => {
        e.preventDefault();
        location.hash = `#/compare/${input.value.split(/[\s,]+/).filter(Boolean).join(",")}`;
      } }, input, h("button", { type: "submit" }, "Compare")),
    );
    return () => {};
  }
  let stopped = false;
  let disposePlot: (() => void) | undefined;
  void (async () => {
    try {
      const c = await get<RunComparison>(`/api/compare?ids=${ids.map(encodeURIComponent).join(",")}`);
      if (stopped) return;
      root.append(h("h1", {}, "Compare runs"), runsTable(c), diffTable("Parameters", c.parameters, c), diffTable("Metrics", c.metrics, c), stepsTable(c), catalogTable(c));
      const pipeline = c.runs[0]!.pipeline;
      const series = await get<MetricSeries>(`/api/metrics?pipeline=${encodeURIComponent(pipeline)}`);
      if (stopped) return;
      const box = h("section", { class: "plot-box" });
      root.append(box);
      disposePlot = metricPlot(box, series, new Set(ids));
    } catch (err) {
      if (!stopped) showError(root, err);
    }
  })();
  return () => {
    stopped = true;
    disposePlot?.();
  };
}

const cell = (v: JsonValue | undefined, present: boolean | undefined): string => (present ? shortValue(v ?? null, 40) : "—");
const runHeads = (c: RunComparison) => c.runs.map((r, i) => h("th", {}, h("a", { href: `#/run/${encodeURIComponent(r.runId)}` }, `[${i + 1}] ${r.runId}`)));

function runsTable(c: RunComparison): HTMLElement {
  return h("table", { class: "compare runs-compared" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), ...runHeads(c))),
    h("tbody", {},
      h("tr", {}, h("th", {}, "pipeline"), ...c.runs.map((r) => h("td", {}, r.pipeline))),
      h("tr", {}, h("th", {}, "status"), ...c.runs.map((r) => h("td", {}, statusBadge(r.status)))),
      h("tr", {}, h("th", {}, "started (UTC)"), ...c.runs.map((r) => h("td", {}, formatTime(r.startedAt)))),
      h("tr", {}, h("th", {}, "duration"), ...c.runs.map((r) => h("td", {}, formatDuration(r.durationMs)))),
      h("tr", {}, h("th", {}, "tag"), ...c.runs.map((r) => h("td", {}, r.tag)))));
}

function diffTable(title: string, rows: DiffRow[], c: RunComparison): HTMLElement {
  const differ = rows.filter((r) => !r.same).length;
  const table = h("table", { class: `compare diff ${title.toLowerCase()}` },
    h("thead", {}, h("tr", {}, h("th", {}, title === "Parameters" ? "parameter" : "metric"), ...runHeads(c))),
    h("tbody", {}, ...rows.map((r) => h("tr", { class: r.same ? "same" : "differs", title: r.values.map((v) => JSON.stringify(v)).join("  |  ") },
      h("th", {}, r.name), ...r.values.map((v, i) => h("td", {}, cell(v, r.present[i])))))));
  const toggle = h("label", { class: "muted" }, h("input", { type: "checkbox", onchange: (e: Event) => table.classList.toggle("show-same", (e.target as HTMLInputElement).checked) }), " show equal ones");
  return h("section", { "data-section": title }, h("h2", {}, `${title}: ${differ} differ, ${rows.length - differ} equal `), toggle, table);
}

function stepsTable(c: RunComparison): HTMLElement {
  return h("section", { "data-section": "Steps" }, h("h2", {}, "Step durations"), h("table", { class: "compare steps" },
    h("thead", {}, h("tr", {}, h("th", {}, "step"), ...runHeads(c))),
    h("tbody", {}, ...c.steps.map((s) => h("tr", {}, h("th", {}, s.path),
      ...s.durationMs.map((d, i) => h("td", { class: `num s-${s.status[i] ?? "none"}` }, s.status[i] == null ? "—" : formatDuration(d))))))));
}

function catalogTable(c: RunComparison): HTMLElement {
  const changed = c.catalog.filter((f) => f.changed);
  return h("section", { "data-section": "Catalog" }, h("h2", {}, `Catalog files: ${changed.length} changed, ${c.catalog.length - changed.length} same md5`),
    changed.length ? h("table", { class: "compare files" },
      h("thead", {}, h("tr", {}, h("th", {}, "file"), ...runHeads(c))),
      h("tbody", {}, ...changed.map((f) => h("tr", {}, h("th", {}, f.name),
        ...f.md5.map((m, i) => h("td", {}, m == null ? "—" : h("span", { title: m }, `${m.slice(0, 8)} · ${formatBytes(f.size[i]!)}`))))))) : null);
}
