// The one pipeline loader: every file kind in every project kind, the pipeline name rule, and
// located syntax errors. Projects are temp folders that resolve `runnable-ts` through
// node_modules, as an installed package would.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../src/execute/index.js";
import { loadPipelineFile } from "../../src/load/index.js";
import type { UsageError } from "../../src/sdk/errors.js";
import { REPO, runCli, tempDir } from "../helpers/cli.js";
import { HELLO_JS, HELLO_TS, LOUD } from "../helpers/hello.js";

const HELLO_CJS = HELLO_JS
  .replace('import { FunctionTask, Pipeline } from "runnable-ts";', 'const { FunctionTask, Pipeline } = require("runnable-ts");')
  .replace("export default new Pipeline", "module.exports = new Pipeline");

/** Source of the hello pipeline for a file extension: ESM syntax, or CommonJS for .cjs/.cts. */
function hello(ext: string): string {
  if (ext === ".cjs") return HELLO_CJS;
  if (ext === ".cts") return HELLO_CJS.replace("({ text })", "({ text }: { text: string })");
  return ext.endsWith("ts") ? HELLO_TS : HELLO_JS;
}

const PROJECTS: Record<string, string | undefined> = {
  commonjs: '{ "name": "cjs-project", "type": "commonjs" }\n',
  esm: '{ "name": "esm-project", "type": "module" }\n',
  bare: undefined,
};
const EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("runnable-load-");
});
afterAll(() => work.cleanup());

/** A project folder whose node_modules/runnable-ts is this checkout. */
function project(kind: string): string {
  const dir = join(work.dir, kind);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(REPO, join(dir, "node_modules", "runnable-ts"));
  const pkg = PROJECTS[kind];
  if (pkg !== undefined) writeFileSync(join(dir, "package.json"), pkg);
  return dir;
}

describe("pipeline files load in every kind of project", () => {
  for (const kind of Object.keys(PROJECTS)) {
    it(`${kind} project: .ts .mts .cts .js .mjs .cjs files run the README's hello pipeline`, async () => {
      const dir = project(kind);
      for (const ext of EXTENSIONS) {
        const file = join(dir, `hello${ext}`);
        writeFileSync(file, hello(ext));
        const loaded = await loadPipelineFile(file);
        expect(loaded.fallbackName, ext).toBe("hello");
        const result = await runPipeline(loaded.pipeline, {
          root: join(dir, ".runnable"), source: loaded.source, fallbackName: loaded.fallbackName, parameters: { text: "hello pipelines" },
        });
        expect([ext, result.status, result.parameters.loud]).toEqual([ext, "SUCCESS", LOUD]);
      }
    });
  }
});

describe("one pipeline name rule", () => {
  it("execute() and the CLI give flows/nightly.ts the same name (it feeds the dagHash)", async () => {
    const dir = project("names");
    mkdirSync(join(dir, "flows"));
    const file = join(dir, "flows", "nightly.ts");
    writeFileSync(file, HELLO_TS);
    const { pipeline } = await loadPipelineFile(file);
    const viaExecute = await runPipeline(pipeline, { root: join(dir, ".runnable"), source: file, parameters: { text: "a b" } });
    const viaCli = await runCli(["run", file, "--json"], { cwd: dir, env: { RUNNABLE_PRM_text: "a b" } });
    expect(viaCli.code).toBe(0);
    const cliLog = (JSON.parse(viaCli.stdout) as { runLog: { pipeline: string; dagHash: string } }).runLog;
    expect([viaExecute.runLog.pipeline, cliLog.pipeline]).toEqual(["nightly", "nightly"]);
    expect(cliLog.dagHash).toBe(viaExecute.runLog.dagHash);
  });
});

describe("syntax errors are located", () => {
  const BROKEN = ['import { Pipeline } from "runnable-ts";', "const options = {", "  steps: [],,", "};", "export default new Pipeline(options);", ""].join("\n");

  it("file:line:column, the message, the source line and a caret under the column", async () => {
    const dir = project("syntax");
    writeFileSync(join(dir, "broken.ts"), BROKEN);
    const error = await loadPipelineFile(join(dir, "broken.ts")).then(() => undefined, (e: unknown) => e as UsageError);
    expect(error?.name).toBe("UsageError");
    const lines = error!.message.split("\n");
    expect(lines[0]).toBe(`cannot load ${join(dir, "broken.ts")}: syntax error`);
    expect(lines[1]).toMatch(/broken\.ts:3:13: Expected identifier but found ","$/);
    expect(lines.slice(2)).toEqual(["  3 |   steps: [],,", "    |             ^"]);
  });

  it("in a module the pipeline imports, and in plain .mjs, as the CLI prints them (exit 2)", async () => {
    const dir = project("syntax-cli");
    writeFileSync(join(dir, "steps.mjs"), "export const x = 1;\nfunction (a) {}\n");
    writeFileSync(join(dir, "pipeline.ts"), 'import { x } from "./steps.mjs";\nimport { Pipeline, Stub } from "runnable-ts";\nexport default new Pipeline({ steps: [new Stub({ name: `s${x}` })] });\n');
    const viaImport = await runCli(["run", "pipeline.ts"], { cwd: dir });
    expect(viaImport.code).toBe(2);
    expect(viaImport.stderr).toBe([
      "error: cannot load pipeline.ts: syntax error",
      'steps.mjs:2:10: Expected identifier but found "("',
      "  2 | function (a) {}",
      "    |          ^",
      "",
    ].join("\n"));
    const direct = await runCli(["run", "steps.mjs"], { cwd: dir });
    expect(direct.code).toBe(2);
    expect(direct.stderr).toContain('steps.mjs:2:10: Expected identifier but found "("\n  2 | function (a) {}\n    |          ^\n');
  });
});
