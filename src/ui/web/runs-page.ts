import type { RunListing, RunsAnswer } from "../../view/answers.js";
import { formatDuration, formatTime, millisBetween, shortRecord } from "../../view/format.js";
import { get } from "./api.js";
import { h, statusBadge } from "./dom.js";
import { showError } from "./main.js";

/** Newest runs first, filtered by pipeline/status/tag (kept in the URL), refreshed while any runs. */
export function runsPage(root: HTMLElement): () => void {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const filters = { pipeline: params.get("pipeline") ?? "", status: params.get("status") ?? "", tag: params.get("tag") ?? "" };
  const selected = new Set<string>();
  const pipelineSelect = h("select", { name: "pipeline", "aria-label": "pipeline" }, h("option", { value: "" }, "all pipelines"));
  const statusSelect = h("select", { name: "status", "aria-label": "status" }, ...["", "RUNNING", "SUCCESS", "FAIL"].map((s) => h("option", { value: s }, s || "any status")));
  const tagInput = h("input", { name: "tag", placeholder: "tag", value: filters.tag, "aria-label": "tag" });
  statusSelect.value = filters.status;
  const compareLink = h("a", { class: "button", href: "#/compare" }, "Compare selected");
  const table = h("table", { class: "runs" });
  const count = h("span", { class: "muted" });
  root.append(h("div", { class: "toolbar" }, h("h1", {}, "Runs"), pipelineSelect, statusSelect, tagInput, compareLink, count), table);

  const apply = () => {
    const q = new URLSearchParams(Object.entries({ pipeline: pipelineSelect.value, status: statusSelect.value, tag: tagInput.value }).filter(([, v]) => v));
    location.hash = `#/${q.size ? `?${q}` : ""}`;
  };
  pipelineSelect.addEventListener("change", apply);
  statusSelect.addEventListener("change", apply);
  tagInput.addEventListener("change", apply);
  const updateCompare = () => {
    compareLink.setAttribute("href", `#/compare/${[...selected].join(",")}`);
    compareLink.classList.toggle("disabled", selected.size < 2 || selected.size > 5);
  };
  updateCompare();

  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const load = async () => {
    const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
    let anyRunning = false;
    try {
      const answer = await get<RunsAnswer>(`/api/runs?${q}`);
      if (stopped) return;
      if (pipelineSelect.options.length !== answer.pipelines.length + 1) {
        pipelineSelect.replaceChildren(h("option", { value: "" }, "all pipelines"), ...answer.pipelines.map((p) => h("option", { value: p }, p)));
        pipelineSelect.value = filters.pipeline;
      }
      count.textContent = `${answer.total} run${answer.total === 1 ? "" : "s"}`;
      anyRunning = answer.runs.some((r) => r.status === "RUNNING");
      table.replaceChildren(
        h("thead", {}, h("tr", {}, ...["", "run", "pipeline", "status", "started (UTC)", "duration", "tag", "parameters"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ...answer.runs.map((r) => row(r))),
      );
      if (answer.runs.length === 0) table.append(h("tbody", {}, h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No runs yet: `runnable run <pipeline file>` makes one."))));
    } catch (err) {
      showError(root, err);
      return;
    }
    // Live while something runs; a slower look otherwise (new runs, retries).
    timer = setTimeout(load, anyRunning ? 1000 : 4000);
  };
  const row = (r: RunListing) => {
    const box = h("input", { type: "checkbox", "aria-label": `select ${r.runId}`, checked: selected.has(r.runId) });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(r.runId);
      else selected.delete(r.runId);
      updateCompare();
    });
    const end = r.endedAt ?? (r.status === "RUNNING" ? new Date().toISOString() : null);
    return h("tr", { "data-run": r.runId },
      h("td", {}, box),
      h("td", {}, h("a", { href: `#/run/${encodeURIComponent(r.runId)}` }, r.runId)),
      h("td", {}, r.pipeline),
      h("td", {}, statusBadge(r.status), r.executions > 1 ? h("span", { class: "muted" }, ` ${r.executions - 1}× retried`) : null),
      h("td", {}, formatTime(r.startedAt)),
      h("td", { class: "num" }, formatDuration(millisBetween(r.startedAt, end))),
      h("td", {}, r.tag),
      h("td", { class: "params", title: JSON.stringify(r.parameters) }, shortRecord(r.parameters, 80)),
    );
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
