import type { RootGraph } from "../../graph/types.js";
import type { RunAnswer } from "../../view/answers.js";
import { attemptDuration, formatDuration, formatTime, runDuration } from "../../view/format.js";
import { layoutPipeline, type DagLayout } from "../../view/layout.js";
import { iterationText, runState, type RunState } from "../../view/state.js";
import { renderSvg } from "../../view/svg.js";
import { timelineSvg } from "../../view/timeline.js";
import { get } from "./api.js";
import { h, statusBadge, svgNode } from "./dom.js";
import { showError } from "./main.js";
import { stepPanel } from "./step-panel.js";

/** One run: header, the DAG coloured by status (click a box for its details), the timeline; live while it runs. */
export function runPage(root: HTMLElement, runId: string): () => void {
  const header = h("section", { class: "run-header" });
  const dag = h("div", { class: "dag", "aria-label": "pipeline graph" });
  const panel = h("aside", { class: "panel", "aria-label": "step details" }, h("p", { class: "muted" }, "Click a step to see its parameters, returns, metrics, files and errors."));
  const timeline = h("section", { class: "timeline-box" }, h("h2", {}, "Timeline"));
  const timelineBody = h("div", { class: "timeline-body" });
  timeline.append(timelineBody);
  root.append(header, h("div", { class: "run-body" }, dag, panel), timeline);

  let layout: { hash: string; value: DagLayout } | undefined;
  let selected: string | undefined;
  let current: { answer: RunAnswer; state: RunState } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const layoutOf = (graph: RootGraph): DagLayout => {
    const hash = `${graph.dagHash}${graph.steps.length}`;
    if (layout?.hash !== hash) layout = { hash, value: layoutPipeline(graph) };
    return layout.value;
  };

  const drawDag = () => {
    if (!current) return;
    const { answer, state } = current;
    const text = renderSvg(layoutOf(answer.graph), {
      standalone: false,
      ...(selected !== undefined ? { selected } : {}),
      status: (p) => state.get(p)?.status,
      detail: (p) => detailOf(answer, state, p),
    });
    dag.replaceChildren(svgNode(text));
    if (answer.inferred) dag.append(h("p", { class: "muted note" }, "Drawn from the run log (this run has no stored graph): steps that did not run are not shown."));
  };

  const select = (path: string) => {
    selected = path;
    drawDag();
    if (current) panel.replaceChildren(stepPanel(current.answer, current.state, path));
  };
  dag.addEventListener("click", (e) => {
    const box = (e.target as Element).closest("[data-path]");
    if (box) select(box.getAttribute("data-path")!);
  });
  dag.addEventListener("keydown", (e) => {
    const box = (e.target as Element).closest("[data-path]");
    if (box && (e.key === "Enter" || e.key === " ")) select(box.getAttribute("data-path")!);
  });

  const load = async () => {
    let answer: RunAnswer;
    try {
      answer = await get<RunAnswer>(`/api/runs/${encodeURIComponent(runId)}`);
    } catch (err) {
      if (!stopped) showError(root, err);
      return;
    }
    if (stopped) return;
    const changed = answer !== current?.answer;
    if (changed) {
      current = { answer, state: runState(answer.graph, answer.log) };
      drawHeader(header, answer);
      drawDag();
      if (selected !== undefined) panel.replaceChildren(stepPanel(answer, current.state, selected));
      timelineBody.replaceChildren(Object.keys(answer.log.steps).length ? svgNode(timelineSvg(answer.log, { graph: answer.graph })) : h("p", { class: "muted" }, "No step has run yet."));
    } else if (answer.log.status === "RUNNING") drawHeader(header, answer);
    // Every second while it runs; afterwards now and then (a retry makes it run again).
    timer = setTimeout(load, answer.log.status === "RUNNING" ? 1000 : 5000);
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function detailOf(answer: RunAnswer, state: RunState, path: string): string | undefined {
  const s = state.get(path);
  if (!s) return undefined;
  if (s.iterations) return iterationText(s.iterations);
  if (s.status === "PENDING") return "pending";
  if (s.status === "NOT_RUN") return "not run";
  const step = answer.log.steps[s.stepPaths[0]!];
  const last = step?.attempts.at(-1);
  if (!step || !last) return s.status === "RUNNING" ? "running…" : undefined;
  const tries = step.attempts.length > 1 ? ` · ${step.attempts.length} tries` : "";
  const branch = last.branch !== undefined ? ` · → ${last.branch}` : "";
  return `${formatDuration(attemptDuration(last))}${tries}${branch}`;
}

function drawHeader(header: HTMLElement, answer: RunAnswer): void {
  const log = answer.log;
  const code = log.codeIdentity.type === "git" ? `git ${(log.codeIdentity.commit ?? "").slice(0, 10)}${log.codeIdentity.dirty ? " (dirty)" : ""}` : "";
  const copy = answer.retry
    ? h("div", { class: "retry" },
      h("span", {}, "Fix the cause, then re-run what failed:"),
      h("code", { class: "command" }, answer.retry),
      h("button", {
        type: "button",
        onclick: (e: Event) => {
          void navigator.clipboard?.writeText(answer.retry!).then(() => ((e.target as HTMLElement).textContent = "Copied"));
        },
      }, "Copy"))
    : null;
  header.replaceChildren(...[
    h("div", { class: "title" }, h("h1", {}, log.runId), statusBadge(log.status), h("a", { href: `#/?pipeline=${encodeURIComponent(log.pipeline)}` }, log.pipeline)),
    h("dl", { class: "facts" },
      h("dt", {}, "started"), h("dd", {}, `${formatTime(log.startedAt)} UTC`),
      h("dt", {}, "duration"), h("dd", { "data-duration": "" }, `${formatDuration(runDuration(log))}${log.status === "RUNNING" ? " so far" : ""}`),
      log.tag ? [h("dt", {}, "tag"), h("dd", {}, log.tag)] : null,
      code ? [h("dt", {}, "code"), h("dd", {}, code)] : null,
      h("dt", {}, "parameters"), h("dd", {}, h("code", {}, JSON.stringify(log.parameters))),
      answer.cost ? [h("dt", {}, "AWS cost"), h("dd", { "data-cost": "" }, `estimated ${answer.cost}`)] : null,
    ),
    copy,
  ].filter((n) => n !== null));
}
