import { describe, expect, it } from "vitest";
import { compile, type AslDefinition, type State } from "../../src/compile/index.js";
import { Conditional, FunctionTask, MapNode, Parallel, Pipeline } from "../../src/sdk/index.js";
import { ERRORS, StepEvent } from "../../src/runtime/protocol.js";
import { aslError, emulate, type EmulatedRun } from "./emulator.js";
import { FIXTURE_PIPELINES } from "./pipelines.js";
import { ALLOWED_PATHS, PAYLOAD_LITERAL_KEYS, pathsRead } from "./refs.js";

const KB2 = 2048;

function payloads(states: Record<string, State>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === "Task" && s.Parameters && "Payload" in s.Parameters) out[name] = s.Parameters.Payload as Record<string, unknown>;
    if (s.Type === "Parallel") for (const b of s.Branches) Object.assign(out, payloads(b.States));
    if (s.Type === "Map") Object.assign(out, payloads(s.ItemProcessor.States));
  }
  return out;
}

const definitions: [string, AslDefinition][] = Object.entries(FIXTURE_PIPELINES).map(([n, make]) => [n, compile(make()).definition]);

describe("payload discipline: state input and output are references, never data", () => {
  it.each(definitions)("%s reads only the reference object, small results and the context", (_name, definition) => {
    const unexpected = pathsRead(definition).filter((p) => !ALLOWED_PATHS.some((re) => re.test(p)));
    expect(unexpected).toEqual([]);
  });

  it.each(definitions)("%s sends StepEvents whose literal fields are protocol fields only", (_name, definition) => {
    for (const payload of Object.values(payloads(definition.States))) {
      const literal = Object.keys(payload).filter((k) => !k.endsWith(".$"));
      expect(literal.filter((k) => !PAYLOAD_LITERAL_KEYS.has(k))).toEqual([]);
      // Fill every path with a plausible value: the result must be a valid StepEvent.
      const filled = Object.fromEntries(Object.entries(payload).map(([k, v]) => k.endsWith(".$")
        ? [k.slice(0, -2), k === "indexes.$" ? [0] : k === "retryCount.$" || k === "redriveCount.$" ? 0 : "run-1"]
        : [k, v]));
      if (filled.error && typeof filled.error === "object") filled.error = { Error: "runnable.StepFailed" };
      expect(StepEvent.safeParse(filled).success).toBe(true);
    }
  });

  it("keeps every state input/output under 2 KB for a 10,000-item Map of a Parallel, with 300 KB handler results", async () => {
    const pipeline = new Pipeline({
      name: "bounded",
      steps: [
        task("load"),
        new MapNode({
          name: "fanout", iterateOn: "items", iterateAs: "item", maxConcurrency: 40,
          branch: new Parallel({ name: "both", branches: { a: task("a").asPipeline(), b: task("b").asPipeline() } }).asPipeline(),
        }),
        task("report"),
      ],
    });
    // Compiled for Express: a Standard execution refuses 10,000 inline items at the Map's start (history quota guard).
    const run = await emulate(compile(pipeline, { workflowType: "EXPRESS" }).definition, (e) => (e.action === "mapStart" ? { count: 10_000, ...junk(e) } : junk(e)));
    expect(run.status).toBe("SUCCEEDED");
    expect(new Set(run.calls.filter((c) => c.path === "fanout.*.both.a.a").map((c) => c.indexes[0])).size).toBe(10_000);
    expect(run.events.length).toBeGreaterThan(50_000);
    expect(largestStateData(run.events)).toBeLessThan(KB2);
  }, 240_000);

  it("keeps every state input/output under 2 KB through Conditionals, nested Maps and caught failures", async () => {
    const pipeline = new Pipeline({
      name: "bounded2",
      steps: [
        new MapNode({
          name: "outer", iterateOn: "rows", iterateAs: "row",
          branch: new Pipeline({ steps: [
            new Conditional({ name: "pick", parameter: "row", branches: { x: task("x2").asPipeline() }, default: task("d2").asPipeline() }),
            new MapNode({ name: "inner", iterateOn: "cols", iterateAs: "col", branch: task("cell", { onFailure: task("fix").asPipeline() }).asPipeline() }),
          ] }),
        }),
      ],
    });
    const run = await emulate(compile(pipeline).definition, (e) => {
      if (e.action === "mapStart") return { count: e.path === "outer" ? 150 : 3, ...junk(e) };
      if (e.action === "conditionalStart") return { branch: e.indexes[0]! % 2 ? "x" : "default", ...junk(e) };
      if (e.action === "task" && e.path.endsWith("cell") && e.indexes[1] === 2) throw aslError(ERRORS.stepFailed, "z".repeat(1000));
      return junk(e);
    });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.calls.filter((c) => c.path.endsWith("fix"))).toHaveLength(150);
    expect(largestStateData(run.events)).toBeLessThan(KB2);
  });
});

const task = (name: string, extra: { onFailure?: Pipeline } = {}) => new FunctionTask({ name, function: () => ({}), returns: [name], ...extra });
const BIG = "x".repeat(300 * 1024);
/** Handlers may answer with large bodies (e.g. a 300 KB return echoed back): the state machine must drop them. */
const junk = (e: { path: string }) => ({ junk: e.path.includes("*") ? "" : BIG }) as object;

/** Size of the largest state input or output (JSON characters) in an event log. */
function largestStateData(events: EmulatedRun["events"]): number {
  let largest = 0;
  for (const ev of events) {
    for (const s of ["state", "parentState"] as const) {
      const data = (ev as unknown as { [k: string]: { input?: unknown; output?: unknown } | undefined })[s];
      if (!data) continue;
      largest = Math.max(largest, JSON.stringify(data.input ?? null).length, JSON.stringify(data.output ?? null).length);
    }
  }
  return largest;
}
