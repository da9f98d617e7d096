import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, validateAsl } from "../../src/compile/index.js";
import {
  Conditional, Fail, FunctionTask, MapNode, Parallel, Pipeline, ShellTask, Stub, Success, type Node,
} from "../../src/sdk/index.js";
import { emulate } from "./emulator.js";
import { ALLOWED_PATHS, pathsRead } from "./refs.js";

// Random valid pipelines: a tree of step specs turned into SDK objects (names s0, s1, … per pipeline).
type Leaf = { kind: "function" | "shell" | "batch" | "stub" | "success" | "fail"; attempts: number; recover: Spec[] | null };
type Spec =
  | Leaf
  | { kind: "parallel"; branches: Spec[][]; recover: Spec[] | null }
  | { kind: "map"; branch: Spec[]; distributed: boolean; recover: Spec[] | null }
  | { kind: "conditional"; branches: Spec[][]; fallback: Spec[] | null; recover: Spec[] | null };

/** Pipelines of 1–3 steps, composites nested at most `depth` levels (so sizes stay small). */
function pipelineSpec(depth: number, allowDistributed: boolean): fc.Arbitrary<Spec[]> {
  return fc.array(nodeSpec(depth, allowDistributed), { minLength: 1, maxLength: 3 });
}

function nodeSpec(depth: number, allowDistributed: boolean): fc.Arbitrary<Spec> {
  const recover = depth > 0 ? fc.option(pipelineSpec(depth - 1, allowDistributed), { freq: 4 }) : fc.constant(null);
  const leaf = fc.record({
    kind: fc.constantFrom("function", "shell", "batch", "stub", "success", "fail"), attempts: fc.integer({ min: 1, max: 3 }), recover,
  }) as fc.Arbitrary<Spec>;
  if (depth === 0) return leaf;
  const inner = pipelineSpec(depth - 1, allowDistributed);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("parallel" as const), branches: fc.array(inner, { minLength: 1, maxLength: 3 }), recover }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("map" as const), branch: inner, distributed: allowDistributed ? fc.boolean() : fc.constant(false), recover }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("conditional" as const), branches: fc.array(inner, { maxLength: 2 }), fallback: fc.option(inner), recover }) },
  );
}

const specs = (allowDistributed: boolean) => pipelineSpec(3, allowDistributed);

function toPipeline(list: Spec[]): Pipeline {
  const steps = list.map((spec, i) => toNode(spec, `s${i}`, i === list.length - 1));
  return new Pipeline({ steps });
}

function toNode(spec: Spec, name: string, last: boolean): Node {
  const onFailure = spec.recover ? { onFailure: toPipeline(spec.recover) } : {};
  switch (spec.kind) {
    case "success": case "fail":
      if (last) return spec.kind === "success" ? new Success({ name }) : new Fail({ name });
      return new Stub({ name });
    case "stub": return new Stub({ name });
    case "function": case "batch":
      return new FunctionTask({ name, function: () => 1, retry: { attempts: spec.attempts }, ...(spec.kind === "batch" ? { compute: "batch" } : {}), ...onFailure });
    case "shell": return new ShellTask({ name, command: "true", ...onFailure });
    case "parallel":
      return new Parallel({ name, branches: Object.fromEntries(spec.branches.map((b, k) => [`b${k}`, toPipeline(b)])), ...onFailure });
    case "map":
      return new MapNode({ name, iterateOn: "xs", iterateAs: "x", branch: toPipeline(spec.branch), distributed: spec.distributed, ...onFailure });
    case "conditional": {
      const fallback = spec.fallback ?? (spec.branches.length ? null : [{ kind: "stub", attempts: 1, recover: null }]);
      return new Conditional({
        name, parameter: "p", branches: Object.fromEntries(spec.branches.map((b, k) => [`k${k}`, toPipeline(b)])),
        ...(fallback ? { default: toPipeline(fallback) } : {}), ...onFailure,
      });
    }
  }
}

describe("random valid pipelines (fast-check)", () => {
  it("compile to valid, deterministic ASL that reads only references (200 pipelines)", () => {
    fc.assert(fc.property(specs(true), (list) => {
      const pipeline = new Pipeline({ name: "random", steps: toPipeline(list).steps as Node[] });
      const result = compile(pipeline);
      const v = validateAsl(result.definition);
      expect(v.errors).toEqual([]);
      expect(JSON.stringify(compile(pipeline).definition)).toBe(JSON.stringify(result.definition));
      expect(Object.keys(result.states).every((n) => n.length <= 80)).toBe(true);
      expect(pathsRead(result.definition).filter((p) => !ALLOWED_PATHS.some((re) => re.test(p)))).toEqual([]);
    }), { numRuns: 200, seed: 20261128 });
  }, 300_000);

  it("always finalise the run exactly once, last, with the execution's outcome (40 emulated runs, every step may fail)", async () => {
    await fc.assert(fc.asyncProperty(specs(false), fc.integer({ min: 0, max: 2 ** 30 }), async (list, seed) => {
      const result = compile(new Pipeline({ name: "random", steps: toPipeline(list).steps as Node[] }));
      let x = seed;
      const coin = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) & 7) === 0; // fails ~1 call in 8
      const run = await emulate(result.definition, (e) => {
        if (e.action === "mapStart") return { count: 2 };
        if (e.action === "conditionalStart") return { branch: "k0" };
        if (e.action === "task" && coin()) {
          const err = new Error("boom");
          err.name = "runnable.StepFailed";
          throw err;
        }
        return {};
      });
      const finals = run.calls.filter((c) => c.action === "finalise");
      expect(finals).toHaveLength(1);
      expect(run.calls.at(-1)).toBe(finals[0]);
      expect(finals[0]!.status).toBe(run.status === "SUCCEEDED" ? "SUCCESS" : "FAIL");
    }), { numRuns: 40, seed: 7 });
  }, 300_000);
});
