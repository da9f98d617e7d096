// Issue 10, repro 5: inputs are bounded before the work that would suffer from them — a parameters
// file over the limit is refused before it is read, .json files go through JSON.parse, and one
// step's run-log record stays bounded whatever its parameters, returns or error text.
import { closeSync, openSync, ftruncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveParameters } from "../../src/runtime/index.js";
import { MAX_ERROR_CHARS, MAX_RECORDED_INPUT_BYTES } from "../../src/runtime/limits.js";
import { FunctionTask, Pipeline, ShellTask, object } from "../../src/index.js";
import { runLocal, tempDir } from "../execute/helpers.js";
import { REPO, runCli } from "../helpers/cli.js";

/** A file of `bytes` bytes made instantly (sparse): reading it would take the time the limit saves. */
function bigFile(file: string, bytes: number): string {
  const fd = openSync(file, "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return file;
}

describe("parameters file", () => {
  it("a 50 MB file: exit 2, the message names the size, the limit and the catalog (checked before reading)", async () => {
    const dir = tempDir("limits-");
    const file = bigFile(join(dir, "huge.yaml"), 50 * 1024 * 1024);
    const r = await runCli(["run", join(REPO, "examples/shell-task/pipeline.ts"), "--parameters", file, "--root", join(dir, "root")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/parameters file .*huge\.yaml is 50 MiB, over the 1 MiB limit: .*big data goes through the catalog.*RUNNABLE_MAX_PARAMETERS_BYTES/);
  }, 30_000);

  it("the limit is configurable with RUNNABLE_MAX_PARAMETERS_BYTES", () => {
    const dir = tempDir("limits-");
    const file = join(dir, "p.yaml");
    writeFileSync(file, `blob: "${"x".repeat(2 * 1024 * 1024)}"\n`);
    expect(() => resolveParameters({ parametersFile: file, env: {} })).toThrow(/over the 1 MiB limit/);
    process.env.RUNNABLE_MAX_PARAMETERS_BYTES = String(4 * 1024 * 1024);
    try {
      expect((resolveParameters({ parametersFile: file, env: {} }).blob as string).length).toBe(2 * 1024 * 1024);
      process.env.RUNNABLE_MAX_PARAMETERS_BYTES = "lots";
      expect(() => resolveParameters({ parametersFile: file, env: {} })).toThrow(/RUNNABLE_MAX_PARAMETERS_BYTES must be a positive number of bytes, got "lots"/);
    } finally {
      delete process.env.RUNNABLE_MAX_PARAMETERS_BYTES;
    }
  });

  it(".json files are read with JSON.parse (JSON errors, not YAML's), .yaml with the YAML parser", () => {
    const dir = tempDir("limits-");
    writeFileSync(join(dir, "p.json"), '{"a": 1, "b": [true, null], "c": {"d": "e"}}');
    expect(resolveParameters({ parametersFile: join(dir, "p.json"), env: {} })).toEqual({ a: 1, b: [true, null], c: { d: "e" } });
    // YAML would accept this (a plain scalar key); JSON does not.
    writeFileSync(join(dir, "bad.json"), "{a: 1}");
    expect(() => resolveParameters({ parametersFile: join(dir, "bad.json"), env: {} })).toThrow(/bad\.json is not valid JSON:/);
    writeFileSync(join(dir, "p.yaml"), "a: 1\n");
    expect(resolveParameters({ parametersFile: join(dir, "p.yaml"), env: {} })).toEqual({ a: 1 });
  });
});

describe("one step's run-log record", () => {
  it("returns over 1 MiB fail the step with a message naming the biggest and pointing to object() and the catalog", async () => {
    const big = "x".repeat(1024 * 1024);
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "fat", function: () => ({ small: 1, blob: big }), returns: ["small", "blob"] }),
      new FunctionTask({ name: "fine", function: () => ({ blob: big }), returns: [object("blob")] }),
    ] }));
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.fat!.attempts[0]!.error!.message).toMatch(/step "fat": its returns are 1\.0 MB as JSON \(largest: "blob".*limited to 1 MiB: return big values with object\(\)/);
    expect(run.log.steps.fat!.attempts[0]!.outputParameters).toEqual({});
    // object() keeps the value in the catalog: the same value passes.
    const ok = await runLocal(new Pipeline({ steps: [new FunctionTask({ name: "fine", function: () => big, returns: [object("blob")] })] }));
    expect(ok.status).toBe("SUCCESS");
  });

  it("a $RUNNABLE_OUTPUT over 1 MiB fails the step", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({ name: "flood", command: 'head -c 2000000 /dev/zero | tr "\\0" x | sed "s/^/v=/" >> "$RUNNABLE_OUTPUT"', returns: ["v"] }),
    ] }));
    expect(run.log.steps.flood!.attempts[0]!.error!.message).toMatch(/\$RUNNABLE_OUTPUT is 2\.0 MB; .*limited to 1 MiB/);
  });

  it("recorded input parameters are abbreviated beyond 256 KiB; the step still gets every value whole", async () => {
    const big = "y".repeat(600 * 1024);
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "read", function: ({ big, small }: { big: string; small: string }) => big.length + small.length - 1, returns: ["n"] }),
    ] }), { parameters: { big, small: "s" } });
    expect(run.status).toBe("SUCCESS");
    expect(run.log.finalParameters.n).toBe(big.length);
    const inputs = run.log.steps.read!.attempts[0]!.inputParameters;
    expect(inputs).toEqual({ big: { $omitted: "614.4 kB (run-log limit)" }, small: "s" });
    expect(JSON.stringify(inputs).length).toBeLessThan(MAX_RECORDED_INPUT_BYTES);
    // The header keeps the run's parameters as given.
    expect(run.log.parameters.big).toBe(big);
  });

  it("a shell step cannot get a parameter over the system's 128 KiB per variable: a clear error instead of E2BIG", async () => {
    const run = await runLocal(new Pipeline({ steps: [new ShellTask({ name: "read", command: "true" })] }), { parameters: { big: "y".repeat(600 * 1024) } });
    expect(run.log.steps.read!.attempts[0]!.error!.message).toMatch(/parameter "big" is 614\.4 kB as an environment variable; .*at most 128 KiB.*through the catalog/);
  });

  it("error messages and stacks are cut to 8 KiB", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "loud", function: () => { throw new Error("e".repeat(1_000_000)); } }),
    ] }));
    const err = run.log.steps.loud!.attempts[0]!.error!;
    expect(err.message.length).toBeLessThan(MAX_ERROR_CHARS + 100);
    expect(err.message).toMatch(/^e{8192}… \(991808 more characters\)$/);
    expect(err.stack!.length).toBeLessThan(MAX_ERROR_CHARS + 100);
  });

  it("a shell step failing after printing 5 MB on one line records a short error", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({ name: "line", command: "head -c 5000000 /dev/zero | tr '\\0' z; echo; echo last words; exit 1" }),
    ] }));
    const message = run.log.steps.line!.attempts[0]!.error!.message;
    expect(message).toMatch(/exited with code 1; last output:\n(z+\n)?last words$/);
    expect(message.length).toBeLessThan(5000);
  });
});
