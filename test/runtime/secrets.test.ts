// Secrets (RUNNABLE_SECRET_<name>) reach FunctionTask arguments and ShellTask environments, but
// never the store: not the run header, not any attempt, not error texts, not the shell execution log
// — checked byte for byte over every file a run leaves, locally (fs root) and in the emulator (s3rver).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runInEmulator } from "../../src/emulate/index.js";
import { runPipeline } from "../../src/execute/index.js";
import { resolveParameters } from "../../src/runtime/index.js";
import { maskParameters, readSecrets } from "../../src/runtime/secrets.js";
import { UsageError } from "../../src/sdk/errors.js";
import { buildGraph } from "../../src/graph/index.js";
import { Pipeline, Stub } from "../../src/index.js";
import { createRun } from "../../src/runtime/create-run.js";
import { fsStores, memoryStores } from "../../src/store/index.js";
import { load, tempDir, useEmulator } from "../emulate/compare.js";

const SECRET = "tok-9f8e7d6c5b4a-SECRET";
// Set before any handler process is forked: the emulator's handlers inherit this environment.
process.env.RUNNABLE_SECRET_api_token = SECRET;

const fixture = join(import.meta.dirname, "fixtures", "secrets-pipeline.ts");

/** Every file under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(text)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

function fileCount(dir: string): number {
  return readdirSync(dir, { recursive: true }).filter((n) => statSync(join(dir, String(n))).isFile()).length;
}

async function runLocally(parameters: Record<string, string | boolean>) {
  const p = await load(fixture);
  const root = tempDir("secrets-root-");
  const result = await runPipeline(p.pipeline, {
    root, parameters, source: p.source, fallbackName: p.fallbackName, workDir: tempDir("secrets-work-"), sleep: async () => undefined,
  });
  return { result, root };
}

describe("secrets, locally", () => {
  it("reach the function and the shell command, and nothing under the store's root", async () => {
    const { result, root } = await runLocally({ label: "L", fail: false });
    expect(result.status).toBe("SUCCESS");
    const log = result.runLog;
    // The steps saw the real value…
    expect(log.finalParameters).toMatchObject({ token_length: SECRET.length, shell_length: SECRET.length, labelled: `L:${SECRET.length}` });
    // …the log shows it was used, not what it is; a returned text holding it is masked.
    expect(log.steps.use!.attempts[0]!.inputParameters).toEqual({ api_token: "***", label: "L" });
    expect(log.steps.use!.attempts[0]!.outputParameters.header).toBe("Bearer ***");
    expect(log.steps.shell!.attempts[0]!.inputParameters).toMatchObject({ api_token: "***", label: "L" });
    expect(log.parameters).toEqual({ label: "L", fail: false });

    const stores = fsStores(root);
    const copy = join(tempDir("secrets-log-"), "shell.log");
    await stores.catalog.get(result.runId, "shell.execution.log", copy);
    expect(readFileSync(copy, "utf8")).toBe("token is ***\ntoken again: ***\n");

    expect(fileCount(root)).toBeGreaterThan(3);
    expect(filesContaining(root, SECRET)).toEqual([]);
  });

  it("records a failing step's error masked: message, stack and a shell command's output", async () => {
    const { result, root } = await runLocally({ label: "L", fail: true });
    expect(result.status).toBe("FAIL");
    const leak = result.runLog.steps["check.true.leak"]!.attempts[0]!.error!;
    expect(leak.message).toBe("login refused for token ***");
    expect(leak.stack).toContain("login refused for token ***");
    const shellLeak = result.runLog.steps["check.true.leak.onFailure.shell_leak"]!.attempts[0]!.error!;
    expect(shellLeak.message).toMatch(/exited with code 3; last output:\nstill refused: \*\*\*$/);
    expect(filesContaining(root, SECRET)).toEqual([]);
  });

  it("wins over a parameter of the same name, whose value the run log keeps out too", async () => {
    const { result, root } = await runLocally({ label: "L", fail: false, api_token: "parameter-value" });
    expect(result.status).toBe("SUCCESS");
    expect(result.runLog.finalParameters.token_length).toBe(SECRET.length);
    expect(result.runLog.parameters.api_token).toBe("***");
    expect(filesContaining(root, SECRET)).toEqual([]);
    expect(filesContaining(root, "parameter-value")).toEqual([]);
  });
});

describe("secret masking rules", () => {
  it("keeps a secret out of the run header also when parameters arrive unfolded (runs API, serve)", async () => {
    const stores = memoryStores();
    const built = buildGraph(new Pipeline({ steps: [new Stub({ name: "s" })] }));
    const header = await createRun(stores, { built, parameters: { api_token: SECRET, note: `uses ${SECRET}` }, mode: "emulator" });
    expect((await stores.runLog.getHeader(header.runId))!.parameters).toEqual({ api_token: "***", note: "uses ***" });
  });

  it("masks short secrets by name only, and refuses an ill-formed secret name before anything runs", () => {
    const secrets = readSecrets({ RUNNABLE_SECRET_pin: "12", RUNNABLE_SECRET_key: "abcd" });
    expect(maskParameters({ pin: "12", note: "pin 12", list: ["xabcdx", 1], key: "other" }, secrets))
      .toEqual({ pin: "***", note: "pin 12", list: ["x***x", 1], key: "***" });
    expect(() => resolveParameters({ env: { "RUNNABLE_SECRET_bad-name": "value" } })).toThrow(UsageError);
    expect(() => resolveParameters({ env: { "RUNNABLE_SECRET_bad-name": "value" } })).toThrow(/RUNNABLE_SECRET_bad-name/);
  });
});

describe("secrets, in the emulator", () => {
  const emulator = useEmulator(2);

  it("reach the handler processes, and no object in the S3 store holds them", async () => {
    const p = await load(fixture);
    const result = await runInEmulator({ built: p.built, source: p.source, parameters: { label: "E", fail: true }, session: emulator.session(), retryIntervalMs: 0 });
    expect(result.status).toBe("FAIL");
    const log = result.runLog;
    expect(log.finalParameters).toMatchObject({ token_length: SECRET.length, shell_length: SECRET.length });
    expect(log.steps.use!.attempts[0]!.inputParameters).toEqual({ api_token: "***", label: "E" });
    expect(log.steps["check.true.leak"]!.attempts[0]!.error!.message).toBe("login refused for token ***");
    // Every object of the bucket (run log, catalog, execution logs, the event log with the Lambda error envelopes).
    const dir = emulator.s3().directory;
    expect(fileCount(dir)).toBeGreaterThan(10);
    expect(filesContaining(dir, SECRET)).toEqual([]);
  }, 120_000);
});
