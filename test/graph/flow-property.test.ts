// Property: over 10,000 random pipelines the parameter-flow checker never crashes, and every pipeline
// it accepts whose reads are all known runs — in-process, on the memory store — without any step
// reading a parameter it was not given. Step functions are built from the generated reads, in the
// three ways users write them (declared `reads`, member accesses, destructuring).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { executeLocal } from "../../src/execute/local.js";
import { buildGraph, parameterFlow, walk } from "../../src/graph/index.js";
import { createRun } from "../../src/runtime/create-run.js";
import { Conditional, DefinitionError, Fail, FunctionTask, Map as MapStep, Parallel, Pipeline, Stub, Success } from "../../src/index.js";
import type { Node as SdkNode } from "../../src/sdk/node.js";
import type { JsonValue } from "../../src/sdk/types.js";
import { memoryStores } from "../../src/store/index.js";

type Style = "declared" | "member" | "destructure" | "opaque";
type Spec =
  | { k: "task"; name: string; reads: string[]; returns: string[]; style: Style; fails: boolean; onFailure: Spec[] | null }
  | { k: "stub"; name: string; returns: string[] }
  | { k: "parallel"; name: string; branches: Spec[][]; onFailure: Spec[] | null }
  | { k: "map"; name: string; iterateOn: string; iterateAs: string; branch: Spec[]; onFailure: Spec[] | null }
  | { k: "conditional"; name: string; parameter: string; branches: Spec[][]; withDefault: Spec[] | null; onFailure: Spec[] | null }
  | { k: "terminal"; name: string; ok: boolean };

// A small name pool, so that reads often meet names provided on some paths only; step names are
// given by position (toPipeline), so few pipelines are refused for reasons other than their flow.
const POOL = ["p", "q", "r", "s"];
const param = fc.constantFrom(...POOL);
const names = fc.uniqueArray(param, { maxLength: 2 });
// Map items are called "x" (never a parameter or a return, so an iterateAs rarely hides one);
// steps sometimes read it — inside a Map branch that is provided, elsewhere not.
const reads = fc.uniqueArray(fc.constantFrom(...POOL, ...POOL, "x"), { maxLength: 2 });
const stepName = fc.constant("");
// One step in five has an onFailure pipeline (fc.option's freq gives the share of *null*s instead).
const onFailure = (tie: (k: "pipeline") => fc.Arbitrary<Spec[]>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: tie("pipeline") });

const { pipeline: pipelineArb } = fc.letrec<{ pipeline: Spec[]; node: Spec }>((tie) => ({
  pipeline: fc.array(tie("node"), { minLength: 1, maxLength: 3 }),
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: fc.record({ k: fc.constant("task" as const), name: stepName, reads, returns: names, style: fc.constantFrom<Style>("declared", "member", "destructure", "declared", "opaque"), fails: fc.constantFrom(false, false, false, true), onFailure: onFailure(tie) }) },
    fc.record({ k: fc.constant("stub" as const), name: stepName, returns: names }),
    fc.record({ k: fc.constant("terminal" as const), name: stepName, ok: fc.boolean() }),
    { weight: 2, arbitrary: fc.record({ k: fc.constant("parallel" as const), name: stepName, branches: fc.array(tie("pipeline"), { minLength: 1, maxLength: 2 }), onFailure: onFailure(tie) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("map" as const), name: stepName, iterateOn: param, iterateAs: fc.constantFrom("x", "x", "x", "p"), branch: tie("pipeline"), onFailure: onFailure(tie) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant("conditional" as const), name: stepName, parameter: param, branches: fc.array(tie("pipeline"), { minLength: 1, maxLength: 2 }), withDefault: fc.option(tie("pipeline"), { nil: null }), onFailure: onFailure(tie) }) },
  ),
}));

// Every value is a one-item list ["k0"] / ["k1"] or []: a Map iterates it, String() of it picks a Conditional branch.
const VALUES: JsonValue[] = [["k0"], ["k1"], []];
const valueOf = (seed: string) => VALUES[seed.charCodeAt(0) % VALUES.length]!;

/** What the stub functions report: reads of names they were not given (must stay empty). */
const violations: string[] = [];
const probe = (got: Record<string, unknown>, returns: string[], fails: boolean): unknown => {
  if (fails) throw new Error("planned failure");
  if (returns.length === 0) return undefined;
  return Object.fromEntries(returns.map((r) => [r, valueOf(r + Object.keys(got).length)]));
};
(globalThis as Record<string, unknown>).__flowProbe = probe;

// One function per distinct (style, reads, returns, fails), as a codebase reuses its functions: the
// reads of each are inferred once (cached per function object), the checker runs on every pipeline.
const functions = new Map<string, (p: Record<string, unknown>) => unknown>();

function stepFunction(s: Extract<Spec, { k: "task" }>): (p: Record<string, unknown>) => unknown {
  const key = JSON.stringify([s.style, s.reads, s.returns, s.fails]);
  let fn = functions.get(key);
  if (!fn) functions.set(key, (fn = makeFunction(s)));
  return fn;
}

function makeFunction(s: Extract<Spec, { k: "task" }>): (p: Record<string, unknown>) => unknown {
  const list = JSON.stringify(s.reads);
  const tail = `, ${JSON.stringify(s.returns)}, ${s.fails})`;
  switch (s.style) {
    case "declared":
      return (p) => {
        for (const n of s.reads) if (!(n in p)) violations.push(n);
        return probe(Object.fromEntries(s.reads.map((n) => [n, p[n]])), s.returns, s.fails);
      };
    case "member":
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      return new Function("p", `return globalThis.__flowProbe({ ${s.reads.map((n) => `${n}: p.${n}`).join(", ")} }${tail};`) as never;
    case "destructure":
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      return new Function(`{ ${s.reads.join(", ")} }`, `return globalThis.__flowProbe({ ${s.reads.join(", ")} }${tail};`) as never;
    case "opaque":
      return (p) => probe(JSON.parse(JSON.stringify(Object.fromEntries(JSON.parse(list).map((n: string) => [n, p[n] ?? null])))), s.returns, s.fails);
  }
}

function toPipeline(specs: Spec[]): Pipeline {
  return new Pipeline({ steps: specs.map((s, i) => toNode({ ...s, name: `s${i}` })) });
}

function toNode(s: Spec): SdkNode {
  const recovery = "onFailure" in s && s.onFailure ? { onFailure: toPipeline(s.onFailure) } : {};
  switch (s.k) {
    case "task":
      return new FunctionTask({ name: s.name, returns: s.returns, function: stepFunction(s), ...(s.style === "declared" ? { reads: s.reads } : {}), ...recovery });
    case "stub":
      return new Stub({ name: s.name, returns: s.returns });
    case "terminal":
      return s.ok ? new Success({ name: s.name }) : new Fail({ name: s.name });
    case "parallel":
      return new Parallel({ name: s.name, branches: Object.fromEntries(s.branches.map((b, i) => [`b${i}`, toPipeline(b)])), ...recovery });
    case "map":
      return new MapStep({ name: s.name, iterateOn: s.iterateOn, iterateAs: s.iterateAs, branch: toPipeline(s.branch), maxConcurrency: 4, ...recovery });
    case "conditional":
      return new Conditional({
        name: s.name, parameter: s.parameter, branches: Object.fromEntries(s.branches.map((b, i) => [`k${i}`, toPipeline(b)])),
        ...(s.withDefault ? { default: toPipeline(s.withDefault) } : {}), ...recovery,
      });
  }
}

function returnedNames(specs: Spec[]): string[] {
  return specs.flatMap((s) => [
    ...("returns" in s ? s.returns : []),
    ...("branches" in s ? s.branches.flat() : []).flatMap((x) => returnedNames([x])),
    ...(s.k === "map" ? returnedNames(s.branch) : []),
    ...(s.k === "conditional" && s.withDefault ? returnedNames(s.withDefault) : []),
    ...("onFailure" in s && s.onFailure ? returnedNames(s.onFailure) : []),
  ]);
}

describe("parameter-flow checker property", () => {
  it("never crashes; accepted pipelines with known reads never read an unprovided parameter", async () => {
    const counts = { built: 0, rejected: 0, unknown: 0, ran: 0, refusedByCreateRun: 0 };
    // Under vitest every stack trace is source-mapped (~1 ms each), and each Pipeline takes one to
    // find its file, each planned failure another: without stacks the 10,000 cases cost seconds, not minutes.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
    await fc.assert(fc.asyncProperty(pipelineArb, fc.array(fc.boolean(), { minLength: POOL.length, maxLength: POOL.length }), async (specs, extra) => {
      // Names no step returns are given (else nearly every pipeline would fail on them alone); a
      // name some step returns is given only sometimes — so reads meet names provided on some paths only.
      const returned = new Set(returnedNames(specs));
      const given = POOL.filter((n, i) => !returned.has(n) || extra[i]);
      let built;
      try {
        built = buildGraph(toPipeline(specs), { fallbackName: "prop" });
      } catch (e) {
        expect(e).toBeInstanceOf(DefinitionError);
        return;
      }
      counts.built++;
      // Names read where nothing provides them at all are given too (a few rounds), so that what
      // remains refused is mostly reads provided on some paths only — the subtle part of the checker.
      let report = parameterFlow(built.graph, { parameters: given, secrets: [] });
      for (let round = 0; round < 3; round++) {
        const absent = report.rows.filter((r) => r.problem?.includes("nothing provides")).map((r) => r.name);
        if (absent.length === 0) break;
        given.push(...new Set(absent));
        report = parameterFlow(built.graph, { parameters: given, secrets: [] });
      }
      let opaque = false;
      walk(built.graph, (n) => {
        if (n.kind === "function" && (!n.reads || n.reads.open)) opaque = true;
      });
      const parameters = Object.fromEntries(given.map((n) => [n, valueOf(n)]));
      const stores = memoryStores();
      if (report.problems.length) {
        counts.rejected++;
        // createRun applies the same check: nothing is written.
        if (counts.rejected % 20 === 1) {
          await expect(createRun(stores, { built, parameters, mode: "local", secrets: [] })).rejects.toThrow(DefinitionError);
          expect(await stores.runLog.listRuns()).toEqual([]);
          counts.refusedByCreateRun++;
        }
        return;
      }
      if (opaque) {
        counts.unknown++;
        return;
      }
      violations.length = 0;
      const header = await createRun(stores, { built, parameters, mode: "local", secrets: [] });
      await executeLocal(built, stores, header, { execution: "local", workDir: process.cwd(), sleep: async () => {} });
      const log = await stores.runLog.readRunLog(header.runId);
      const unprovided = Object.entries(log.steps).flatMap(([path, s]) => s.attempts.filter((a) => a.unprovided).map((a) => `${path}: ${a.unprovided!.join(", ")}`));
      expect(unprovided).toEqual([]);
      expect(violations).toEqual([]);
      counts.ran++;
    }), { numRuns: 10_000 });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    // The generator must exercise every outcome, not just rejections.
    expect(counts.ran).toBeGreaterThan(1_000);
    expect(counts.rejected).toBeGreaterThan(700);
    expect(counts.unknown).toBeGreaterThan(200);
    expect(counts.refusedByCreateRun).toBeGreaterThan(30);
  }, 600_000); // ≈ 15 s of CPU; generous for a shared machine
});
