// execute({ mode: "emulator" }) from a script: handler processes import the pipeline's source file
// to find its functions. When that file is the script being run, importing it would call execute()
// again in every handler process (runs started recursively, forever): refused at once, nothing
// written. A pipeline module that starts a run when it is imported is caught in the handler process
// (the step fails with a clear message instead of recursing).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = join(import.meta.dirname, "..", "..");
const INDEX = pathToFileURL(join(REPO, "src", "index.ts")).href;

/** A temp folder of ES modules (its own package.json says "type": "module"). */
function scripts(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "emulator-entry-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx [...preload] <script>` from the repository (where tsx resolves); killed after `limitMs`. */
function run(args: string[], limitMs = 40_000): Promise<Exit> {
  const env = { ...process.env };
  delete env.RUNNABLE_HANDLER_PROCESS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on("data", (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs recorded under an emulator root: its local S3 server keeps objects under <root>/s3/<bucket>/runs/. */
function runsUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === "runs") found.push(...readdirSync(join(dir, e.name)));
      else walk(join(dir, e.name));
    }
  };
  walk(root);
  return found;
}

const STEPS = `
  new FunctionTask({ name: "load", function: () => ({ items: [1, 2, 3], label: "abc" }), returns: ["items", "label"] }),
  new Map({
    name: "fanout", iterateOn: "items", iterateAs: "item",
    branch: new FunctionTask({ name: "square", function: ({ item }) => item * item, returns: ["sq"] }).asPipeline(),
  }),
  new FunctionTask({ name: "total", function: ({ sq, label }) => \`\${label}:\${sq.reduce((a, b) => a + b, 0)}\`, returns: ["total"] }),
`;

const MESSAGE = /execute\(\{ mode: "emulator" \}\) needs the pipeline in a module of its own that default-exports it: handler processes import ".*inline\.ts" to find its functions, and that file is the script being run\. Move the Pipeline to e\.g\. pipeline\.ts, default-export it, and import it here\./;

describe("execute({ mode: \"emulator\" }) and the script being run", () => {
  it("refuses at once, creating no run, when the pipeline is built in the script that calls execute", async () => {
    const dir = scripts({});
    const root = join(dir, ".runnable");
    writeFileSync(join(dir, "inline.ts"), `import { FunctionTask, Map, Pipeline } from ${JSON.stringify(INDEX)};
const pipeline = new Pipeline({ name: "inline", steps: [${STEPS}] });
await pipeline.execute({ mode: "emulator", root: ${JSON.stringify(root)} });
console.log("UNREACHABLE");
`);
    const exit = await run([join(dir, "inline.ts")]);
    // 1: the script's unhandled UsageError (null would mean it was still running at the limit and was killed).
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(MESSAGE);
    expect(exit.stderr).toContain("UsageError");
    expect(exit.stdout).not.toContain("UNREACHABLE");
    // Refused before anything started: no emulator root (no local S3 server, no handler process).
    expect(existsSync(root)).toBe(false);
    expect(runsUnder(root)).toEqual([]);
  }, 60_000);

  it("refuses too when the script that builds and runs the pipeline is preloaded with --import", async () => {
    const dir = scripts({ "main.ts": "console.log('main ran');\n" });
    const root = join(dir, ".runnable");
    writeFileSync(join(dir, "inline.ts"), `import { FunctionTask, Map, Pipeline } from ${JSON.stringify(INDEX)};
const pipeline = new Pipeline({ name: "inline", steps: [${STEPS}] });
await pipeline.execute({ mode: "emulator", root: ${JSON.stringify(root)} });
`);
    const exit = await run(["--import", pathToFileURL(join(dir, "inline.ts")).href, join(dir, "main.ts")]);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(MESSAGE);
    expect(existsSync(root)).toBe(false);
    expect(runsUnder(root)).toEqual([]);
  }, 60_000);

  it("runs a pipeline imported from its own module: SUCCESS with the final parameters of local mode", async () => {
    const dir = scripts({
      "pipeline.ts": `import { FunctionTask, Map, Pipeline } from ${JSON.stringify(INDEX)};
export default new Pipeline({ name: "own_module", steps: [${STEPS}] });
`,
    });
    writeFileSync(join(dir, "main.ts"), `import pipeline from "./pipeline.ts";
const local = await pipeline.execute({ root: ${JSON.stringify(join(dir, "local"))} });
const emulated = await pipeline.execute({ mode: "emulator", root: ${JSON.stringify(join(dir, "emulated"))} });
console.log("RESULT " + JSON.stringify({ local: [local.status, local.parameters], emulated: [emulated.status, emulated.parameters] }));
`);
    const exit = await run([join(dir, "main.ts")]);
    expect(exit.stderr).not.toMatch(/Error/);
    expect(exit.code).toBe(0);
    const line = exit.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    const { local, emulated } = JSON.parse(line!.slice("RESULT ".length)) as { local: [string, unknown]; emulated: [string, unknown] };
    expect(local[0]).toBe("SUCCESS");
    expect(emulated[0]).toBe("SUCCESS");
    expect(emulated[1]).toEqual(local[1]);
    expect(local[1]).toMatchObject({ items: [1, 2, 3], label: "abc", sq: [1, 4, 9], total: "abc:14" });
    expect(runsUnder(join(dir, "emulated"))).toHaveLength(1);
  }, 90_000);

  it("a pipeline module that starts a run when imported: the step fails in the handler process instead of recursing", async () => {
    const dir = scripts({});
    const root = join(dir, ".runnable");
    writeFileSync(join(dir, "pipeline.ts"), `import { FunctionTask, Map, Pipeline } from ${JSON.stringify(INDEX)};
const pipeline = new Pipeline({ name: "self_starting", steps: [${STEPS}] });
export default pipeline;
// Starts a run whenever the module is imported — also in every handler process.
export const started = await pipeline.execute({ mode: "emulator", root: ${JSON.stringify(root)} });
`);
    writeFileSync(join(dir, "main.ts"), `import { started } from "./pipeline.ts";
const steps = Object.fromEntries(Object.entries(started.runLog.steps).map(([k, v]) => [k, { status: v.status }]));
console.log("RESULT " + JSON.stringify({ status: started.status, steps }));
`);
    const exit = await run([join(dir, "main.ts")]);
    // 0: it finished by itself (a recursing script would still be running at the limit and be killed).
    expect(exit.code).toBe(0);
    const line = exit.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    expect(line, exit.stderr).toBeDefined();
    const result = JSON.parse(line!.slice("RESULT ".length)) as { status: string; steps: Record<string, { status: string }> };
    // What the user sees instead of a run that never ends: the script exits by itself (not killed by
    // run()'s limit: code 0 above), the run FAILs and no step after the refused one ran.
    expect(result.status).toBe("FAIL");
    expect(Object.values(result.steps).filter((s) => s.status === "SUCCESS")).toEqual([]);
    expect(Object.keys(result.steps).filter((k) => k.startsWith("fanout") || k === "total")).toEqual([]);
    // The handler process's refusal, shown through the emulator's echo of handler output (also the execution's Cause).
    expect(exit.stderr).toMatch(/execute\(\) was called inside an emulator handler process \(pipeline file ".*pipeline\.ts"\): runs are not started from handler processes/);
    // One run: the one started by main.ts; none from handler processes.
    expect(runsUnder(root)).toHaveLength(1);
  }, 60_000);
});
