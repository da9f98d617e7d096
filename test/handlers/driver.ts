// Drives a pipeline through the step-handler protocol one event at a time, in the order the
// compiled state machine sends them (start, tasks with retries, mapStart/conditionalStart,
// nodeEnd, onFailure routes, finalise) — Step Functions' part played by plain code.
import type { BuiltPipeline } from "../../src/graph/index.js";
import type { NodeGraph, PipelineGraph } from "../../src/graph/types.js";
import { PROTOCOL_VERSION, type StepEventInput, type StepResult } from "../../src/runtime/protocol.js";


interface Outcome {
  ok: boolean;
  error?: { Error: string };
}

export async function drive(built: BuiltPipeline, runId: string, execution: string, send: (event: unknown) => Promise<StepResult>): Promise<void> {
  const invoke = (e: Omit<StepEventInput, "v" | "runId" | "execution">) => send({ v: PROTOCOL_VERSION, runId, execution, ...e });
  const attempt = async (e: Omit<StepEventInput, "v" | "runId" | "execution">): Promise<Outcome & { result?: StepResult }> => {
    try {
      return { ok: true, result: await invoke(e) };
    } catch (err) {
      return { ok: false, error: { Error: (err as Error).name } };
    }
  };

  async function node(n: NodeGraph, indexes: number[]): Promise<Outcome> {
    const at = { path: n.path, indexes };
    switch (n.kind) {
      case "function": case "shell": case "notebook": {
        let last: Outcome = { ok: false };
        for (let retryCount = 0; retryCount < n.retry.attempts; retryCount++) {
          last = await attempt({ action: "task", ...at, retryCount });
          if (last.ok) break;
        }
        return last;
      }
      case "stub":
        return attempt({ action: "stub", ...at });
      case "success": case "fail":
        return attempt({ action: "nodeEnd", ...at, status: n.kind === "success" ? "SUCCESS" : "FAIL" });
      case "parallel": {
        const results = await Promise.all(Object.values(n.branches).map((b) => pipeline(b, indexes)));
        return end(n, indexes, results.find((r) => !r.ok));
      }
      case "map": {
        const start = await attempt({ action: "mapStart", ...at });
        if (!start.ok) return start;
        let failed: Outcome | undefined;
        for (let i = 0; i < (start.result?.count ?? 0) && !failed; i++) {
          const r = await pipeline(n.branch, [...indexes, i]);
          if (!r.ok) failed = r;
        }
        return end(n, indexes, failed);
      }
      case "conditional": {
        const start = await attempt({ action: "conditionalStart", ...at });
        if (!start.ok) return start;
        const branch = start.result?.branch === "default" ? n.default : n.branches[start.result?.branch ?? ""];
        return end(n, indexes, branch ? ((r) => (r.ok ? undefined : r))(await pipeline(branch, indexes)) : { ok: false });
      }
    }
  }

  async function end(n: NodeGraph, indexes: number[], failed: Outcome | undefined): Promise<Outcome> {
    const r = await attempt({ action: "nodeEnd", path: n.path, indexes, status: failed ? "FAIL" : "SUCCESS", ...(failed?.error ? { error: failed.error } : {}) });
    return failed ? { ok: false, ...(failed.error ? { error: failed.error } : {}) } : r;
  }

  async function pipeline(p: PipelineGraph, indexes: number[]): Promise<Outcome> {
    for (const n of p.steps) {
      const r = await node(n, indexes);
      // onFailure replaces the rest of the containing pipeline.
      if (!r.ok) return n.onFailure ? pipeline(n.onFailure, indexes) : r;
      if (n.kind === "success") return r;
    }
    return { ok: true };
  }

  await invoke({ action: "start", path: "" });
  const outcome = await pipeline(built.graph, []);
  await invoke({ action: "finalise", path: "", status: outcome.ok ? "SUCCESS" : "FAIL", ...(outcome.error ? { error: outcome.error } : {}) });
}
