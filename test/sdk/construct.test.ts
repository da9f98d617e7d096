import { describe, expect, it } from "vitest";
import {
  Catalog, Conditional, DefinitionError, Fail, FunctionTask, MapNode, Parallel, Pipeline, ShellTask, Stub, Success,
  json, metric, object,
} from "../../src/sdk/index.js";

const noop = () => undefined;
const one = () => new Pipeline({ steps: [new Stub({ name: "s" })] });

function thrown(make: () => unknown): DefinitionError {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return e as DefinitionError;
  }
  throw new Error("expected a DefinitionError");
}

describe("construction-time option checks name the step and the option", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["bad step name", () => new FunctionTask({ name: "1abc", function: noop }), /name "1abc" is invalid/],
    ["name with a dot", () => new Stub({ name: "a.b" }), /name "a\.b" is invalid/],
    ["missing function", () => new FunctionTask({ name: "train", function: 42 as never }), /step "train": function must be a function/],
    ["empty command", () => new ShellTask({ name: "sh", command: "  " }), /step "sh": command must be a non-empty string/],
    ["bad return name", () => new FunctionTask({ name: "t", function: noop, returns: ["ok", "not-valid"] }), /step "t": returns\[1\] "not-valid"/],
    ["duplicate return", () => new FunctionTask({ name: "t", function: noop, returns: ["a", json("a")] }), /step "t": return "a" is declared twice/],
    ["retry attempts", () => new FunctionTask({ name: "t", function: noop, retry: { attempts: 0 } }), /step "t": retry.attempts/],
    ["retry backoff", () => new FunctionTask({ name: "t", function: noop, retry: { backoffRate: 0.5 } }), /step "t": retry.backoffRate/],
    ["timeout", () => new FunctionTask({ name: "t", function: noop, timeoutSeconds: 1.5 }), /step "t": timeoutSeconds/],
    ["compute", () => new FunctionTask({ name: "t", function: noop, compute: "ec2" as never }), /step "t": compute must be/],
    ["memory", () => new ShellTask({ name: "t", command: "true", resources: { memoryMiB: 64 } }), /step "t": resources.memoryMiB/],
    ["catalog type", () => new FunctionTask({ name: "t", function: noop, catalog: { get: [] } as never }), /step "t": catalog must be/],
    ["onFailure type", () => new FunctionTask({ name: "t", function: noop, onFailure: new Stub({ name: "x" }) as never }), /step "t": onFailure must be a Pipeline/],
    ["parallel branch value", () => new Parallel({ name: "p", branches: { a: new Stub({ name: "x" }) as never } }), /step "p\.a": branch "a" must be a Pipeline/],
    ["parallel reserved key", () => new Parallel({ name: "p", branches: { onFailure: one() } }), /step "p": branch key "onFailure"/],
    ["conditional reserved key", () => new Conditional({ name: "c", parameter: "x", branches: { default: one() } }), /step "c": branch key "default"/],
    ["branch key with a dot", () => new Parallel({ name: "p", branches: { "a.b": one() } }), /step "p": branch key "a\.b"/],
    ["map iterateOn", () => new MapNode({ name: "m", iterateOn: "1x", iterateAs: "x", branch: one() }), /step "m": iterateOn "1x"/],
    ["map concurrency", () => new MapNode({ name: "m", iterateOn: "xs", iterateAs: "x", branch: one(), maxConcurrency: 41 }), /step "m": maxConcurrency must be an integer from 1 to 40/],
    ["conditional parameter", () => new Conditional({ name: "c", parameter: "", branches: {} }), /step "c": parameter ""/],
    ["pipeline steps", () => new Pipeline({ steps: [noop as never] }), /steps\[0\] is not a step/],
    ["pipeline name", () => new Pipeline({ name: "my pipeline", steps: [] }), /Pipeline name "my pipeline" is invalid/],
  ];
  for (const [title, make, message] of cases) {
    it(title, () => expect(thrown(make).message).toMatch(message));
  }
});

describe("valid construction", () => {
  it("normalises bare-string returns to json and keeps kinds", () => {
    const t = new FunctionTask({ name: "t", function: noop, returns: ["a", object("b"), metric("c")] });
    expect(t.returns).toEqual([{ name: "a", kind: "json" }, { name: "b", kind: "object" }, { name: "c", kind: "metric" }]);
    expect(t.compute).toBe("lambda");
  });

  it("asPipeline wraps a step into a one-step Pipeline", () => {
    const t = new ShellTask({ name: "sh", command: "echo hi" });
    const p = t.asPipeline();
    expect(p).toBeInstanceOf(Pipeline);
    expect(p.steps).toEqual([t]);
  });

  it("catalog defaults to storing copies", () => {
    expect(new Catalog({ put: ["a.csv"] })).toMatchObject({ get: [], put: ["a.csv"], storeCopy: true });
  });

  it("terminals and composites construct", () => {
    const p = new Pipeline({
      name: "all-kinds",
      steps: [
        new Parallel({ name: "p", branches: { a: one(), b: one() } }),
        new MapNode({ name: "m", iterateOn: "xs", iterateAs: "x", branch: one(), reducer: (v) => v.length }),
        new Conditional({ name: "c", parameter: "x", branches: { yes: one() }, default: one() }),
        new Success({ name: "done" }),
      ],
    });
    expect(p.steps.map((s) => s.kind)).toEqual(["parallel", "map", "conditional", "success"]);
    expect(new Fail({ name: "f" }).kind).toBe("fail");
  });
});
