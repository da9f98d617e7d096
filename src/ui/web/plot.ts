import uPlot from "uplot";
import type { MetricSeries } from "../../view/answers.js";
import { h } from "./dom.js";

/**
 * A metric of a pipeline across its runs (oldest to newest), one point per run that recorded it;
 * the runs being compared are listed under the chart. Drawn by uPlot on a canvas.
 */
export function metricPlot(box: HTMLElement, series: MetricSeries, compared: Set<string>): () => void {
  const names = [...new Set(series.runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  box.append(h("h2", {}, `Metrics across runs of ${series.pipeline}`));
  if (names.length === 0) {
    box.append(h("p", { class: "muted" }, "No run of this pipeline recorded a numeric metric (declare returns with metric(\"name\"))."));
    return () => {};
  }
  const select = h("select", { "aria-label": "metric" }, ...names.map((n) => h("option", { value: n }, n)));
  const chart = h("div", { class: "plot", "data-plot": "" });
  const legend = h("p", { class: "muted" });
  box.append(h("label", {}, "metric ", select), chart, legend);
  let plot: uPlot | undefined;
  const draw = () => {
    plot?.destroy();
    const name = select.value;
    const runs = series.runs.filter((r) => name in r.metrics);
    const xs = runs.map((r) => Date.parse(r.startedAt) / 1000);
    const ys = runs.map((r) => r.metrics[name]!);
    const marked = runs.map((r) => (compared.has(r.runId) ? r.metrics[name]! : null));
    chart.setAttribute("data-points", String(runs.length));
    plot = new uPlot({
      width: Math.min(900, box.clientWidth || 900), height: 260,
      series: [
        {},
        { label: name, stroke: "#0969da", width: 2, points: { size: 6 } },
        { label: "compared", stroke: "transparent", points: { size: 11, stroke: "#8250df", fill: "#8250df", width: 2 } },
      ],
      axes: [{}, { label: name }],
    }, [xs, ys, marked], chart);
    legend.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"} with ${name}; the compared runs are marked.`;
  };
  select.addEventListener("change", draw);
  draw();
  return () => plot?.destroy();
}
