import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveParameters } from "../../src/runtime/parameters.js";
import { checkRunId, newRunId } from "../../src/runtime/run-id.js";
import { codeIdentity } from "../../src/runtime/identity.js";
import { UsageError } from "../../src/sdk/errors.js";

const dir = mkdtempSync(join(tmpdir(), "runnable-params-"));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe("resolveParameters", () => {
  it("folds file ← options ← RUNNABLE_PRM_ environment", () => {
    const f = file("p.yaml", "a: 1\nb: from-file\nc: [1, 2]\nd: {x: true}\n");
    const out = resolveParameters({
      parametersFile: f,
      parameters: { b: "from-options", e: 5 },
      env: { RUNNABLE_PRM_c: "[3]", RUNNABLE_PRM_e: "text", RUNNABLE_PRM_f: "\"quoted\"", OTHER: "x" },
    });
    expect(out).toEqual({ a: 1, b: "from-options", c: [3], d: { x: true }, e: "text", f: "quoted" });
  });

  it("reads JSON files too, and an empty file is no parameters", () => {
    expect(resolveParameters({ parametersFile: file("p.json", '{"n": 2}'), env: {} })).toEqual({ n: 2 });
    expect(resolveParameters({ parametersFile: file("empty.yaml", ""), env: {} })).toEqual({});
  });

  it("uses process.env by default", () => {
    process.env.RUNNABLE_PRM_from_process = "7";
    try {
      expect(resolveParameters({}).from_process).toBe(7);
    } finally {
      delete process.env.RUNNABLE_PRM_from_process;
    }
  });

  it.each([
    [() => resolveParameters({ parametersFile: join(dir, "missing.yaml"), env: {} }), /cannot read parameters file .*missing\.yaml/],
    [() => resolveParameters({ parametersFile: file("list.yaml", "- 1\n- 2\n"), env: {} }), /list\.yaml must hold a mapping/],
    [() => resolveParameters({ parametersFile: file("bad.yaml", "a: [1,\n"), env: {} }), /bad\.yaml is not valid YAML/],
    [() => resolveParameters({ parametersFile: file("name.yaml", "bad-name: 1\n"), env: {} }), /name\.yaml: parameter name "bad-name" is invalid/],
    [() => resolveParameters({ parameters: { "1x": 1 }, env: {} }), /parameters: parameter name "1x" is invalid/],
    [() => resolveParameters({ env: { "RUNNABLE_PRM_a-b": "1" } }), /environment variable RUNNABLE_PRM_a-b: parameter name "a-b"/],
    [() => resolveParameters({ parameters: { d: new Date() as never }, env: {} }), /parameters\.d is not a JSON value \(a Date\)/],
  ])("rejects bad input with a UsageError naming the file or field (%#)", (call, message) => {
    expect(call).toThrow(UsageError);
    expect(call).toThrow(message);
  });
});

describe("run ids", () => {
  it("are unique, execution-name-safe and sort by creation time", () => {
    const ids = Array.from({ length: 500 }, () => newRunId());
    expect(new Set(ids).size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect([...ids].sort()).toEqual(ids);
    const earlier = newRunId(new Date("2020-01-01T00:00:00Z"));
    const later = newRunId(new Date("2020-01-01T00:00:01Z"));
    expect(earlier < later).toBe(true);
  });

  it("refuses supplied ids that are not execution-name-safe", () => {
    expect(checkRunId("ok_id-1")).toBe("ok_id-1");
    for (const bad of ["", "has space", "a/b", "x".repeat(81), "dot.dot"]) {
      expect(() => checkRunId(bad)).toThrow(UsageError);
    }
  });
});

describe("codeIdentity", () => {
  it("reports the git commit inside a repository and none outside", () => {
    const id = codeIdentity(process.cwd());
    expect(id.type).toBe("git");
    expect(id.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(typeof id.dirty).toBe("boolean");
    expect(codeIdentity(mkdtempSync(join(tmpdir(), "runnable-nogit-")))).toEqual({ type: "none" });
  });
});

describe("loose parsing of environment values", () => {
  it("keeps text whose JSON would not be a JSON value (1e400 → Infinity)", () => {
    expect(resolveParameters({ env: { RUNNABLE_PRM_big: "1e400", RUNNABLE_PRM_n: "1e3" } })).toEqual({ big: "1e400", n: 1000 });
  });
});
