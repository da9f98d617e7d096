// The package as a user gets it: the tarball `npm pack` makes, installed with npm into fresh
// projects — CommonJS (`npm init -y`), ES module, and a folder without package.json — then used
// the ways the README shows: `npx runnable run`, plain `node` scripts, and a strict `tsc`.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import { REPO, tempDir } from "../helpers/cli.js";
import { HELLO_JS, HELLO_TS, LOUD } from "../helpers/hello.js";

const TARBALL = process.env.RUNNABLE_TARBALL ?? "";
const DEV = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;

interface Done { code: number; stdout: string; stderr: string }

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function sh(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Promise<Done> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Promise<Done> {
  const done = await sh(cwd, command, args, env);
  if (done.code !== 0) throw new Error(`${command} ${args.join(" ")} (in ${cwd}) exited ${done.code}:\n${done.stdout}\n${done.stderr}`);
  return done;
}

const npmInstall = (cwd: string, ...specs: string[]) =>
  ok(cwd, "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...specs]);

/** A script that builds the hello pipeline itself and runs it with execute(), printing `loud`. */
function script(kind: "import" | "require"): string {
  const head = kind === "import"
    ? 'import { FunctionTask, Pipeline } from "runnable-ts";'
    : 'const { FunctionTask, Pipeline } = require("runnable-ts");';
  return HELLO_JS
    .replace('import { FunctionTask, Pipeline } from "runnable-ts";', head)
    .replace("export default new Pipeline", "const pipeline = new Pipeline")
    .concat('pipeline.execute({ parameters: { text: "hello pipelines" } }).then((r) => console.log(r.status, r.parameters.loud));\n');
}

let work: ReturnType<typeof tempDir>;
const project: Record<"commonjs" | "esm" | "bare", string> = { commonjs: "", esm: "", bare: "" };

beforeAll(async () => {
  expect(existsSync(TARBALL), `tarball ${TARBALL} (set by test/package/pack.ts)`).toBe(true);
  work = tempDir("runnable-package-");
  project.commonjs = join(work.dir, "cjs-app");
  project.esm = join(work.dir, "esm-app");
  project.bare = join(work.dir, "bare");
  for (const dir of Object.values(project)) mkdirSync(dir);
  await Promise.all([
    ok(project.commonjs, "npm", ["init", "-y"]).then(() => npmInstall(project.commonjs, TARBALL)),
    ok(project.esm, "npm", ["init", "-y"]).then(() => ok(project.esm, "npm", ["pkg", "set", "type=module"])).then(() => npmInstall(project.esm, TARBALL)),
  ]);
  // A folder with no package.json anywhere above it, finding runnable-ts in its node_modules.
  symlinkSync(join(project.commonjs, "node_modules"), join(project.bare, "node_modules"));
});
afterAll(() => work?.cleanup());

describe("the installed package", () => {
  it("holds compiled JS, declarations and their maps, the CLI, and no tests", () => {
    const root = join(project.commonjs, "node_modules", "runnable-ts");
    for (const file of ["dist/src/index.js", "dist/src/index.d.ts", "dist/src/index.d.ts.map", "dist/cdk/index.js", "dist/cdk/index.d.ts", "bin/runnable.js"]) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
    expect(readdirSync(root).sort()).toEqual(["README.md", "bin", "cdk", "cdk.json", "dist", "docs", "handlers", "package.json", "src", "templates"]);
    // The README's links to the longer docs work in the installed package too.
    const linked = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/\]\((docs\/[^)#]+\.md)/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThan(3);
    for (const doc of linked) expect(existsSync(join(root, doc)), doc).toBe(true);
    for (const asset of ["index.html", "app.js", "app.css"]) expect(existsSync(join(root, "dist", "src", "ui", "web", asset)), asset).toBe(true);
    expect(existsSync(join(root, "cdk", "app.ts"))).toBe(false);
  });
});

describe("the README hello pipeline with `npx runnable run`", () => {
  for (const kind of ["commonjs", "esm", "bare"] as const) {
    it(`${kind} project: hello.ts, hello.mts and hello.js`, async () => {
      const dir = project[kind];
      const runs = await Promise.all([".ts", ".mts", ".js"].map(async (ext) => {
        writeFileSync(join(dir, `hello${ext}`), ext === ".js" ? HELLO_JS : HELLO_TS);
        const run = await sh(dir, "npx", ["runnable", "run", `hello${ext}`, "--json"], { RUNNABLE_PRM_text: "hello pipelines" });
        return [ext, run.code, run.code === 0 ? (JSON.parse(run.stdout) as { parameters: { loud: string } }).parameters.loud : run.stderr];
      }));
      expect(runs).toEqual([[".ts", 0, LOUD], [".mts", 0, LOUD], [".js", 0, LOUD]]);
    });
  }
});

describe("plain node scripts run a pipeline with execute()", () => {
  it("import (.mjs, and .js in an ES module package) and require (.cjs, and .js in a CommonJS package)", async () => {
    writeFileSync(join(project.commonjs, "app.mjs"), script("import"));
    writeFileSync(join(project.commonjs, "app.cjs"), script("require"));
    writeFileSync(join(project.commonjs, "app.js"), script("require"));
    writeFileSync(join(project.esm, "app.js"), script("import"));
    // One after another in the same project: runs side by side in one directory are warned about
    // (their steps share its files), and this asserts a quiet stderr.
    const inCommonjs = (async () => {
      const done = [];
      for (const app of ["app.mjs", "app.cjs", "app.js"]) done.push(await ok(project.commonjs, "node", [app]));
      return done;
    })();
    const [commonjs, esm] = await Promise.all([inCommonjs, ok(project.esm, "node", ["app.js"])]);
    const outputs = [...commonjs, esm];
    for (const done of outputs) {
      expect(done.stdout).toBe(`SUCCESS ${LOUD}\n`);
      expect(done.stderr).toBe("");
    }
  });
});

describe("a notebook step (NotebookTask) in an installed project", () => {
  it("runs the notebook example locally and in the emulator (as a Batch job) with the same results", async () => {
    const dir = join(project.commonjs, "notebook");
    mkdirSync(dir);
    for (const file of ["pipeline.ts", "analysis.ipynb", "parameters.yaml"]) copyFileSync(join(REPO, "examples", "notebook", file), join(dir, file));
    const [local, emulated] = await Promise.all([
      sh(dir, "npx", ["runnable", "run", "pipeline.ts", "--json"]),
      sh(dir, "npx", ["runnable", "run", "pipeline.ts", "--json", "--mode", "emulator", "--root", "emulator-store"]),
    ]);
    const logs = [local, emulated].map((run) => {
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { runLog: RunLog }).runLog;
    });
    for (const log of logs) {
      expect(log.finalParameters).toMatchObject({ trend_per_day: 0.048, summary: { days: 60, warm_days: 15 } });
      expect(log.steps.analyse!.catalog.map((c) => c.name)).toEqual(["readings.csv", "analyse/analysis.executed.ipynb", "temperature.png"]);
    }
    const md5s = (log: RunLog) => log.steps.analyse!.catalog.map((c) => c.md5);
    expect(md5s(logs[1]!)).toEqual(md5s(logs[0]!));
  });
});

describe("a strict TypeScript project", () => {
  it("`tsc --init` defaults (nodenext, noUncheckedIndexedAccess, exactOptionalPropertyTypes, verbatimModuleSyntax) typecheck runnable-ts and runnable-ts/cdk with 0 errors", async () => {
    const dir = project.esm;
    await npmInstall(dir, "--save-dev", `typescript@${DEV.typescript}`, `@types/node@${DEV["@types/node"]}`,
      `aws-cdk-lib@${DEV["aws-cdk-lib"]}`, `constructs@${DEV.constructs}`);
    await ok(dir, "npx", ["tsc", "--init"]);
    const config = readFileSync(join(dir, "tsconfig.json"), "utf8");
    for (const flag of ['"noUncheckedIndexedAccess": true', '"exactOptionalPropertyTypes": true', '"verbatimModuleSyntax": true', '"module": "nodenext"', '"strict": true']) {
      expect(config).toContain(flag);
    }
    writeFileSync(join(dir, "tsconfig.json"), config.replace('"types": []', '"types": ["node"]'));
    writeFileSync(join(dir, "pipeline.ts"), HELLO_TS);
    writeFileSync(join(dir, "deploy.ts"), [
      'import { App, Stack } from "aws-cdk-lib";',
      'import { RunnablePipelines, loadPipelineSources, type PipelineSource } from "runnable-ts/cdk";',
      'import { readRunLog, type RunLog, type RunResult } from "runnable-ts";',
      "import pipeline from \"./pipeline.js\";",
      "",
      "const result: RunResult = await pipeline.execute({ parameters: { text: \"a b\" }, root: \".runnable\" });",
      "const log: RunLog = await readRunLog(result.runId);",
      "const first = log.steps[\"count\"]?.attempts[0]?.outputParameters;",
      "console.log(first);",
      "const app = new App();",
      "const sources: PipelineSource[] = await loadPipelineSources([\"pipeline.ts\"]);",
      "new RunnablePipelines(new Stack(app, \"S\"), \"Runs\", { pipelines: sources, projectRoot: process.cwd() });",
      "",
    ].join("\n"));
    const tsc = await sh(dir, "npx", ["tsc", "--noEmit"]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  });
});

describe("a project made by `runnable init`", () => {
  it("installs, runs its pipeline, typechecks and synthesises its CDK app (bundling, cdk-nag) as it is", async () => {
    const dir = join(work.dir, "init-app");
    mkdirSync(dir);
    await ok(dir, "npm", ["init", "-y"]);
    await npmInstall(dir, TARBALL);
    const init = await ok(dir, "npx", ["runnable", "init"]);
    expect(init.stderr).toContain("created    pipeline.ts");
    await npmInstall(dir);
    const run = await ok(dir, "npx", ["runnable", "run", "pipeline.ts", "--json"]);
    expect((JSON.parse(run.stdout) as { parameters: { loud: string } }).parameters.loud).toBe(LOUD);
    const tsc = await sh(dir, "npx", ["tsc", "--noEmit"]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    const synth = await sh(dir, "npx", ["cdk", "synth", "--quiet", "--no-notices"], { CDK_DISABLE_VERSION_CHECK: "true", CDK_DISABLE_CLI_TELEMETRY: "true" });
    expect(synth.code, synth.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(dir, "cdk.out", "RunnablePipelines.template.json"), "utf8")) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).toContain("AWS::StepFunctions::StateMachine");
    expect(types).toContain("AWS::ApiGateway::RestApi");
    const again = await ok(dir, "npx", ["runnable", "init"]);
    expect(again.stderr).toContain("Nothing to do");
  });
});
