import { locate } from "../../graph/paths.js";
import type { RunAnswer } from "../../view/answers.js";
import { attemptDuration, formatBytes, formatDuration, formatTime } from "../../view/format.js";
import { iterationText, type RunState } from "../../view/state.js";
import type { StepLog } from "../../sdk/runlog.js";
import { fileUrl } from "./api.js";
import { h, statusBadge } from "./dom.js";

/** Largest part of a captured log shown in the page (the whole file downloads). */
const LOG_PREVIEW_BYTES = 64 * 1024;
/** Iterations listed for a Map body step (failed ones first). */
const ITERATIONS_LISTED = 100;

/** The details of one node: its step's attempts, parameters, returns, metrics, files, output and error; a Map body step's iterations. */
export function stepPanel(answer: RunAnswer, state: RunState, path: string): HTMLElement {
  const s = state.get(path);
  const node = locate(answer.graph, path.replace(/\*/g, "0"))?.node;
  const panel = h("div", { class: "step-panel", "data-panel": path });
  panel.append(h("h2", {}, path, " ", s ? statusBadge(s.status) : null), h("p", { class: "muted" }, node ? kindText(node.kind) : ""));
  if (!s || s.stepPaths.length === 0) {
    panel.append(h("p", { class: "muted" }, s?.status === "NOT_RUN" ? "This step did not run." : "This step has not started yet."));
    return panel;
  }
  if (s.iterations && path.includes("*")) {
    const detail = h("div", { class: "iteration-detail" });
    const paths = [...s.stepPaths].sort((a, b) => rank(answer, a) - rank(answer, b) || a.localeCompare(b, undefined, { numeric: true }));
    panel.append(
      h("p", {}, `Iterations: ${iterationText(s.iterations)}`),
      h("table", { class: "iterations" },
        h("thead", {}, h("tr", {}, h("th", {}, "step"), h("th", {}, "status"), h("th", {}, "tries"), h("th", {}, "duration"))),
        h("tbody", {}, ...paths.slice(0, ITERATIONS_LISTED).map((p) => {
          const step = answer.log.steps[p]!;
          const last = step.attempts.at(-1);
          return h("tr", {},
            h("td", {}, h("a", { href: "#", onclick: (e: Event) => {
              e.preventDefault();
              detail.replaceChildren(stepDetails(answer, p, step));
            } }, p)),
            h("td", {}, statusBadge(step.status)), h("td", { class: "num" }, step.attempts.length), h("td", { class: "num" }, last ? formatDuration(attemptDuration(last)) : ""));
        }))),
      paths.length > ITERATIONS_LISTED ? h("p", { class: "muted" }, `… and ${paths.length - ITERATIONS_LISTED} more`) : "",
      detail,
    );
    return panel;
  }
  const stepPath = s.stepPaths[0]!;
  panel.append(stepDetails(answer, stepPath, answer.log.steps[stepPath]!));
  return panel;
}

const rank = (answer: RunAnswer, p: string): number => (answer.log.steps[p]?.status === "FAIL" ? 0 : answer.log.steps[p]?.status === "RUNNING" ? 1 : 2);

function kindText(kind: string): string {
  return ({ function: "function task", shell: "shell task", stub: "stub", parallel: "parallel", map: "map", conditional: "conditional", success: "success", fail: "fail" } as Record<string, string>)[kind] ?? kind;
}

function json(value: unknown): HTMLElement {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return h("section", { class: "detail", "data-section": title }, h("h3", {}, title), ...body);
}

function stepDetails(answer: RunAnswer, stepPath: string, step: StepLog): HTMLElement {
  const runId = answer.log.runId;
  const last = step.attempts.at(-1)!;
  const out = h("div", { class: "step-details", "data-step": stepPath });
  out.append(section("Attempts", h("table", { class: "attempts" },
    h("thead", {}, h("tr", {}, ...["#", "status", "started (UTC)", "duration", "error"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...step.attempts.map((a) => h("tr", {},
      h("td", {}, a.attempt), h("td", {}, statusBadge(a.status)), h("td", {}, formatTime(a.startedAt)),
      h("td", { class: "num" }, formatDuration(attemptDuration(a))), h("td", {}, a.error ? `${a.error.name}: ${a.error.message.split("\n")[0]}` : "")))))));
  if (last.error) out.append(section("Error", h("pre", { class: "error-text" }, `${last.error.name}: ${last.error.message}`)));
  out.append(section("Input parameters", json(last.inputParameters)));
  if (Object.keys(last.outputParameters).length) out.append(section("Returns", json(last.outputParameters)));
  if (Object.keys(last.metrics).length) out.append(section("Metrics", json(last.metrics)));
  if (step.catalog.length) {
    out.append(section("Catalog files", h("table", { class: "files" },
      h("thead", {}, h("tr", {}, ...["name", "stage", "size", "md5", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...step.catalog.map((c) => h("tr", {},
        h("td", {}, c.name), h("td", {}, c.stage), h("td", { class: "num" }, formatBytes(c.size)), h("td", {}, h("code", { title: c.md5 }, c.md5.slice(0, 12))),
        h("td", {}, c.stored === false ? h("span", { class: "muted" }, "hash only") : h("a", { href: fileUrl(runId, c.name), download: c.name.split("/").at(-1) }, "download"))))))));
  }
  // A shell step's stdout/stderr are kept in the catalog as <step>.execution.log.
  const logEntry = step.catalog.find((c) => c.name === `${stepPath}.execution.log` && c.stored !== false);
  const output = h("pre", { class: "output" });
  if (logEntry) {
    out.append(section("Output (stdout and stderr)", output));
    void fetch(fileUrl(runId, logEntry.name, true)).then(async (res) => {
      const text = res.ok ? await res.text() : `cannot load the log: ${res.status}`;
      output.textContent = text.length > LOG_PREVIEW_BYTES ? `${text.slice(0, LOG_PREVIEW_BYTES)}\n… (download the file for the rest)` : text || "(empty)";
    });
  } else if (step.type === "task") {
    out.append(section("Output", h("p", { class: "muted" }, "Only shell steps keep their output (in the catalog, as <step>.execution.log); a function's console output goes to the terminal that ran it.")));
  }
  return out;
}
