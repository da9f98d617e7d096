// Issue 10, repro 1 and 6: parameters named like variables that bash, the dynamic loader or a
// language runtime read (BASH_ENV runs code at start-up, PATH picks binaries, …) are refused before
// anything runs — as parameters, RUNNABLE_PRM_ overrides, secrets, returns — in local and emulator
// mode; the inherited environment loses BASH_ENV/ENV; $RUNNABLE_OUTPUT values cannot set other returns.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorSession, runInEmulator } from "../../src/emulate/index.js";
import { runPipeline } from "../../src/execute/index.js";
import { buildGraph } from "../../src/graph/index.js";
import { resolveParameters } from "../../src/runtime/index.js";
import { shellEnvironment } from "../../src/runtime/shell.js";
import { FunctionTask, Map as MapStep, Pipeline, ShellTask, type RunResult } from "../../src/index.js";
import { load, tempDir } from "../emulate/compare.js";
import { REPO, runCli } from "../helpers/cli.js";

/** The names issue 10 lists, each prefix with an example. */
const DENIED = [
  "BASH_ENV", "ENV", "PATH", "IFS", "LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS",
  "PYTHONPATH", "PYTHONSTARTUP", "PS4", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "HOME", "RUNNABLE_OUTPUT", "RUNNABLE_X",
];
const FIXTURE = join(import.meta.dirname, "fixtures", "shell-canary.ts");
const OUTPUT_FIXTURE = join(import.meta.dirname, "fixtures", "shell-output.ts");
/** Text a user passes on (say, a commit message or a scraped title) that tries to set another return. */
const SMUGGLED = "fine\nverified=true\n  x = y";

/** Issue 10, repro 6, as the run log shows it: the block step keeps the text whole, the naive step fails. */
function expectOutputsNotConfused(r: RunResult): void {
  expect(r.status).toBe("FAIL");
  const block = r.runLog.steps.block!;
  expect(block.status).toBe("SUCCESS");
  expect(block.attempts[0]!.outputParameters).toEqual({ verified: false, note: SMUGGLED });
  const naive = r.runLog.steps.naive!;
  expect(naive.status).toBe("FAIL");
  expect(naive.attempts.at(-1)!.error!.message).toMatch(/line 3 of \$RUNNABLE_OUTPUT sets "verified" again \(first set on line 1\)/);
  expect(naive.attempts.every((a) => a.status === "FAIL" && Object.keys(a.outputParameters).length === 0)).toBe(true);
  expect(r.runLog.finalParameters.verified).toBe(false);
}
/** What each denied parameter is set to: harmful if it ever reached bash. */
const payload = (canary: string) => `$(touch ${canary})`;

const withEnv = async <T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> => {
  const before = { ...process.env };
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const k of Object.keys(vars)) if (before[k] === undefined) delete process.env[k];
    Object.assign(process.env, before);
  }
};

describe("reserved parameter names, local mode", () => {
  it("a harmless name runs the step (the marker appears): the refusals below are not vacuous", async () => {
    const dir = tempDir("shell-ok-");
    const p = await load(FIXTURE);
    const r = await runPipeline(p.pipeline, { root: join(dir, "root"), parameters: { marker: join(dir, "ran"), bash_env: "x", path: "x" }, source: p.source });
    expect(r.status).toBe("SUCCESS");
    expect(existsSync(join(dir, "ran"))).toBe(true);
  });

  it.each(DENIED)("%s as a parameter: refused before anything runs, naming it", async (name) => {
    const dir = tempDir("shell-deny-");
    const p = await load(FIXTURE);
    const run = runPipeline(p.pipeline, { root: join(dir, "root"), parameters: { marker: join(dir, "ran"), [name]: payload(join(dir, "canary")) }, source: p.source });
    await expect(run).rejects.toThrow(new RegExp(`parameter "${name}" cannot be used: .*reserved.*rename it`));
    expect(existsSync(join(dir, "ran"))).toBe(false);
    expect(existsSync(join(dir, "canary"))).toBe(false);
    expect(existsSync(join(dir, "root"))).toBe(false);
  });

  it.each(DENIED)("%s as a RUNNABLE_PRM_ override: refused, naming the variable", async (name) => {
    const dir = tempDir("shell-deny-");
    const p = await load(FIXTURE);
    await withEnv({ [`RUNNABLE_PRM_${name}`]: payload(join(dir, "canary")) }, async () => {
      const run = runPipeline(p.pipeline, { root: join(dir, "root"), parameters: { marker: join(dir, "ran") }, source: p.source });
      await expect(run).rejects.toThrow(new RegExp(`environment variable RUNNABLE_PRM_${name}: parameter "${name}" cannot be used`));
    });
    expect(existsSync(join(dir, "ran"))).toBe(false);
    expect(existsSync(join(dir, "canary"))).toBe(false);
  });

  it("a parameters file holding a reserved name is refused, naming the file", () => {
    const dir = tempDir("shell-deny-");
    writeFileSync(join(dir, "p.yaml"), "LD_PRELOAD: /tmp/evil.so\n");
    expect(() => resolveParameters({ parametersFile: join(dir, "p.yaml"), env: {} })).toThrow(/parameters file .*p\.yaml: parameter "LD_PRELOAD" cannot be used/);
  });

  it("secrets with reserved names are refused (RUNNABLE_SECRET_PATH would become PATH)", () => {
    expect(() => resolveParameters({ env: { RUNNABLE_SECRET_PATH: "/tmp/evil" } }))
      .toThrow(/environment variable RUNNABLE_SECRET_PATH: secret "PATH" cannot be used/);
  });

  it("returns and Map iterateAs with reserved names are definition errors", () => {
    const ret = new Pipeline({ steps: [new FunctionTask({ name: "t", function: () => "/tmp", returns: ["PATH"] })] });
    expect(() => buildGraph(ret)).toThrow(/return "PATH" cannot be used/);
    const map = new Pipeline({ steps: [new MapStep({ name: "m", iterateOn: "xs", iterateAs: "IFS", branch: new ShellTask({ name: "s", command: "true" }).asPipeline() })] });
    expect(() => buildGraph(map)).toThrow(/iterateAs "IFS" cannot be used/);
  });

  it("the shell never gets a reserved name, even from a run created before the rule (last line of defence)", () => {
    expect(() => shellEnvironment({ BASH_ENV: "/tmp/x" }, {})).toThrow(/parameter "BASH_ENV" cannot be used/);
  });

  it("the inherited BASH_ENV and ENV do not reach the command (bash runs with --noprofile --norc)", async () => {
    const dir = tempDir("shell-env-");
    const hook = join(dir, "hook.sh");
    writeFileSync(hook, `touch ${join(dir, "canary")}\n`);
    const p = await load(FIXTURE);
    const r = await withEnv({ BASH_ENV: hook, ENV: hook }, () =>
      runPipeline(p.pipeline, { root: join(dir, "root"), parameters: { marker: join(dir, "ran") }, source: p.source }));
    expect(r.status).toBe("SUCCESS");
    expect(existsSync(join(dir, "ran"))).toBe(true);
    expect(existsSync(join(dir, "canary"))).toBe(false);
    expect(shellEnvironment({}, {}, { BASH_ENV: hook, ENV: hook, KEEP: "1" })).toEqual({ KEEP: "1" });
  });

  it("$RUNNABLE_OUTPUT: a value with a newline cannot set another return; name<<DELIMITER blocks round-trip it", async () => {
    const dir = tempDir("shell-output-");
    const p = await load(OUTPUT_FIXTURE);
    expectOutputsNotConfused(await runPipeline(p.pipeline, { root: join(dir, "root"), parameters: { comment: SMUGGLED }, source: p.source }));
  });
});

describe("reserved parameter names, emulator mode", () => {
  let session: EmulatorSession;
  let root: string;
  beforeAll(async () => {
    root = tempDir("shell-emu-");
    session = await EmulatorSession.open({ root, maxWorkers: 1, echo: false });
  }, 60_000);
  afterAll(async () => {
    await session?.close();
  });

  it("a harmless name runs the step in a handler process (the marker appears)", async () => {
    const dir = tempDir("shell-emu-ok-");
    const p = await load(FIXTURE);
    const r = await runInEmulator({ built: p.built, source: p.source, parameters: { marker: join(dir, "ran") }, session });
    expect(r.status).toBe("SUCCESS");
    expect(existsSync(join(dir, "ran"))).toBe(true);
  }, 60_000);

  it("$RUNNABLE_OUTPUT in a handler process: a newline cannot set another return; blocks round-trip", async () => {
    const p = await load(OUTPUT_FIXTURE);
    expectOutputsNotConfused(await runInEmulator({ built: p.built, source: p.source, parameters: { comment: SMUGGLED }, session }));
  }, 60_000);

  it.each(DENIED)("%s: refused at run creation (the path serve and the runs API share), nothing recorded or run", async (name) => {
    const dir = tempDir("shell-emu-deny-");
    const p = await load(FIXTURE);
    const before = await session.storage.stores.runLog.listRuns();
    const run = runInEmulator({ built: p.built, source: p.source, parameters: { marker: join(dir, "ran"), [name]: payload(join(dir, "canary")) }, session });
    await expect(run).rejects.toThrow(new RegExp(`parameter "${name}" cannot be used`));
    expect(await session.storage.stores.runLog.listRuns()).toEqual(before);
    expect(existsSync(join(dir, "ran"))).toBe(false);
    expect(existsSync(join(dir, "canary"))).toBe(false);
  });

  it.each(DENIED)("%s as a RUNNABLE_PRM_ override with --mode emulator: refused before the emulator starts", async (name) => {
    const dir = tempDir("shell-emu-deny-");
    const p = await load(FIXTURE);
    await withEnv({ [`RUNNABLE_PRM_${name}`]: payload(join(dir, "canary")) }, async () => {
      const run = runPipeline(p.pipeline, { mode: "emulator", root: join(dir, "root"), parameters: { marker: join(dir, "ran") }, source: p.source });
      await expect(run).rejects.toThrow(new RegExp(`RUNNABLE_PRM_${name}: parameter "${name}" cannot be used`));
    });
    expect(existsSync(join(dir, "root"))).toBe(false);
    expect(existsSync(join(dir, "canary"))).toBe(false);
  });
});

describe("the issue's repro through the CLI", () => {
  it.each(["local", "emulator"])("RUNNABLE_PRM_BASH_ENV='$(touch canary)' runnable run examples/shell-task (--mode %s) exits 2, nothing runs", async (mode) => {
    const dir = tempDir("shell-cli-");
    const canary = join(dir, "canary");
    const r = await runCli(["run", join(REPO, "examples/shell-task/pipeline.ts"), "--mode", mode, "--root", join(dir, "root")], {
      cwd: dir, env: { RUNNABLE_PRM_BASH_ENV: `$(touch ${canary})` },
    });
    expect(r.stderr).toMatch(/environment variable RUNNABLE_PRM_BASH_ENV: parameter "BASH_ENV" cannot be used/);
    expect(r.code).toBe(2);
    expect(existsSync(canary)).toBe(false);
    expect(existsSync(join(dir, "root")) ? readdirSync(join(dir, "root")) : []).toEqual([]);
  }, 60_000);
});
