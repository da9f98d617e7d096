// Declared secrets (`secrets` on a task or pipeline): checked when the pipeline is defined, merged
// into each task of the graph, required before a local run starts, and read from a `.env` file of
// the working directory with dotenv semantics (the environment wins; only RUNNABLE_SECRET_* lines).
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPipeline } from "../../src/execute/index.js";
import { buildGraph } from "../../src/graph/index.js";
import { walk } from "../../src/graph/paths.js";
import type { TaskNode } from "../../src/graph/types.js";
import { FunctionTask, Parallel, Pipeline } from "../../src/index.js";
import { loadDotEnvSecrets } from "../../src/runtime/secrets.js";
import { DefinitionError, UsageError } from "../../src/sdk/errors.js";
import { parseResult, runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

const fn = (name: string, extra: Record<string, unknown> = {}) => new FunctionTask({ name, function: () => 1, ...extra });

function definitionError(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return (e as Error).message;
  }
  throw new Error("no DefinitionError");
}

describe("declaring secrets", () => {
  it("refuses bad declarations naming the step: wildcards in ids, unknown stores and fields, bad names, duplicates", () => {
    expect(definitionError(() => fn("a", { secrets: [{ name: "db", id: "prod/*" }] }))).toMatch(/a.*secret "db": id "prod\/\*" is not a valid Secrets Manager secret name/);
    expect(definitionError(() => fn("a", { secrets: [{ name: "db", from: "ssm", id: "/prod/db?" }] }))).toMatch(/secret "db": id "\/prod\/db\?" is not a valid SSM parameter name/);
    expect(definitionError(() => fn("a", { secrets: [{ name: "db", from: "vault" }] }))).toMatch(/secret "db": from must be "secretsmanager" or "ssm", got "vault"/);
    expect(definitionError(() => fn("a", { secrets: [{ name: "db", arn: "x" }] }))).toMatch(/secrets\[0\] has unknown field "arn"/);
    expect(definitionError(() => fn("a", { secrets: ["db-password"] }))).toMatch(/secrets\[0\] name "db-password" is not a valid parameter name/);
    expect(definitionError(() => fn("a", { secrets: ["db", { name: "db", from: "ssm" }] }))).toMatch(/secret "db" is listed twice/);
    expect(definitionError(() => fn("a", { secrets: "db" }))).toMatch(/secrets must be an array/);
    expect(definitionError(() => new Pipeline({ name: "p", secrets: [{ name: "x", id: "" }], steps: [fn("a")] }))).toMatch(/secret "x": id "" is not a valid/);
  });

  it("gives every task its pipelines' secrets and its own, the innermost declaration of a name winning; none when none", () => {
    const branch = new Pipeline({ secrets: [{ name: "token", from: "ssm", id: "/branch/token" }], steps: [fn("inner", { secrets: ["extra"] })] });
    const p = new Pipeline({
      name: "s", secrets: ["db", { name: "token", from: "ssm", id: "/root/token" }],
      steps: [fn("plain"), fn("own", { secrets: [{ name: "db", id: "prod/db" }] }), new Parallel({ name: "par", branches: { b: branch } })],
    });
    const tasks: Record<string, TaskNode> = {};
    walk(buildGraph(p).graph, (n) => { if (n.kind === "function") tasks[n.path] = n; });
    expect(tasks.plain!.secrets).toEqual([{ name: "db", from: "secretsmanager", id: "db" }, { name: "token", from: "ssm", id: "/root/token" }]);
    expect(tasks.own!.secrets).toEqual([{ name: "db", from: "secretsmanager", id: "prod/db" }, { name: "token", from: "ssm", id: "/root/token" }]);
    expect(tasks["par.b.inner"]!.secrets).toEqual([
      { name: "db", from: "secretsmanager", id: "db" }, { name: "extra", from: "secretsmanager", id: "extra" }, { name: "token", from: "ssm", id: "/branch/token" },
    ]);
    // Pipelines without secrets keep the graph (and dagHash) they had.
    expect("secrets" in buildGraph(new Pipeline({ name: "n", steps: [fn("a")] })).graph.steps[0]!).toBe(false);
  });
});

describe("declared secrets, locally", () => {
  it("reads RUNNABLE_SECRET_* lines of .env where the environment does not set them, nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "dotenv-"));
    writeFileSync(join(dir, ".env"), [
      "# a comment", "RUNNABLE_SECRET_db=from-file", 'RUNNABLE_SECRET_quoted="a b # not a comment"', "RUNNABLE_SECRET_kept=file-value",
      "OTHER=ignored", "export RUNNABLE_SECRET_exported=yes", "",
    ].join("\n"));
    const env: NodeJS.ProcessEnv = { RUNNABLE_SECRET_kept: "env-value" };
    expect(loadDotEnvSecrets(dir, env).sort()).toEqual(["RUNNABLE_SECRET_db", "RUNNABLE_SECRET_exported", "RUNNABLE_SECRET_quoted"]);
    expect(env).toEqual({
      RUNNABLE_SECRET_kept: "env-value", RUNNABLE_SECRET_db: "from-file", RUNNABLE_SECRET_quoted: "a b # not a comment", RUNNABLE_SECRET_exported: "yes",
    });
    expect(loadDotEnvSecrets(mkdtempSync(join(tmpdir(), "no-dotenv-")), env)).toEqual([]);
  });

  it("refuses a run whose declared secret is not set, naming the step and the variable, before anything is written", async () => {
    const root = join(mkdtempSync(join(tmpdir(), "secret-run-")), ".runnable");
    const p = new Pipeline({ name: "needs", steps: [fn("first"), fn("connect", { secrets: ["zz_unset_password"] })] });
    const err = await runPipeline(p, { root }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('step "connect" needs secret "zz_unset_password", which is not set: set RUNNABLE_SECRET_zz_unset_password in the environment or in a .env file of the working directory');
    expect(existsSync(root)).toBe(false);
  });

  it("runs with a declared secret from the environment, kept out of the store", async () => {
    const root = join(mkdtempSync(join(tmpdir(), "secret-run-")), ".runnable");
    process.env.RUNNABLE_SECRET_zz_declared = "declared-value-123";
    try {
      const p = new Pipeline({ name: "has", steps: [new FunctionTask({ name: "use", secrets: ["zz_declared"], function: ({ zz_declared }: { zz_declared: string }) => `len ${zz_declared.length}: ${zz_declared}`, returns: ["out"] })] });
      const result = await runPipeline(p, { root });
      expect(result.status).toBe("SUCCESS");
      expect(result.parameters.out).toBe("len 18: ***");
      const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
      expect(files.length).toBeGreaterThan(2);
      for (const f of files) expect(readFileSync(f, "utf8"), f).not.toContain("declared-value-123");
    } finally {
      delete process.env.RUNNABLE_SECRET_zz_declared;
    }
  });

  it("`runnable run`: exit 2 naming the variable when the declared secret is nowhere, SUCCESS with it in .env, masked", async () => {
    const { dir, cleanup } = tempDir("secret-cli-");
    try {
      writePipeline(dir, "pipeline.ts", `import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ name: "sec", steps: [new FunctionTask({ name: "use", secrets: ["zz_cli_password"], function: ({ zz_cli_password }) => "got " + zz_cli_password, returns: ["out"] })] });
`);
      const refused = await runCli(["run", "pipeline.ts"], { cwd: dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('step "use" needs secret "zz_cli_password", which is not set: set RUNNABLE_SECRET_zz_cli_password');
      expect(runsIn(dir)).toEqual([]);
      // `runnable check` says the same, after its report (and --json has it as the error).
      const checked = await runCli(["check", "pipeline.ts", "--json"], { cwd: dir });
      expect(checked.code).toBe(2);
      expect(JSON.parse(checked.stdout)).toMatchObject({ pipeline: "sec", error: { message: expect.stringContaining('step "use" needs secret "zz_cli_password", which is not set') } });
      writeFileSync(join(dir, ".env"), 'RUNNABLE_SECRET_zz_cli_password="hunter2-from-dotenv"\n');
      const ok = await runCli(["check", "pipeline.ts"], { cwd: dir });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/use +zz_cli_password +secret\n/);
      const ran = await runCli(["run", "pipeline.ts", "--json"], { cwd: dir });
      expect(parseResult(ran).parameters).toEqual({ out: "got ***" });
      expect(ran.stdout).not.toContain("hunter2");
    } finally {
      cleanup();
    }
  }, 60_000);
});
