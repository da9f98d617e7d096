// Notebook steps need Python with Jupyter and the step's kernel on the machine that runs them: the
// CLI checks before the run starts and exits 2 with what to install (nothing is created).
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("notebook-setup-");
  copyFileSync(join(REPO, "test", "notebook", "fixtures", "consume.ipynb"), join(work.dir, "consume.ipynb"));
});
afterAll(() => work.cleanup());

function pipelineWith(options: string): string {
  return writePipeline(work.dir, `p${Math.random().toString(36).slice(2)}.ts`, [
    'import { NotebookTask, Pipeline } from "runnable-ts";',
    `export default new Pipeline({ name: "nb", steps: [new NotebookTask({ name: "analyse", ${options} })] });`,
  ].join("\n"));
}

describe("before a run with notebook steps starts", () => {
  it("no Python with Jupyter: exit 2 with the install command, no run created", async () => {
    // A real Python that cannot import nbclient: site-packages switched off.
    const python = join(work.dir, "python-without-jupyter");
    writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
    const run = await runCli(["run", join(REPO, "examples", "notebook", "pipeline.ts")], { cwd: work.dir, env: { RUNNABLE_JUPYTER_PYTHON: python } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`error: step "analyse" is a NotebookTask, and no Python with Jupyter was found (tried ${python} (no module nbclient, nbformat, jupyter_client, jupyter_core)): `
      + "install Jupyter with `apt-get install -y python3-nbclient python3-ipykernel python3-nbformat` (Debian/Ubuntu) "
      + "or `pip install nbclient nbformat ipykernel`, or set RUNNABLE_JUPYTER_PYTHON to a Python that has them");
    expect(runsIn(work.dir)).toEqual([]);
  });

  it("a mocked notebook step needs no Jupyter: the run (here a one-task job) goes on with the mock's result", async () => {
    // A one-task job: the file default-exports the NotebookTask itself.
    const file = writePipeline(work.dir, "analyse-job.ts", [
      'import { NotebookTask } from "runnable-ts";',
      'export default new NotebookTask({ name: "analyse", notebook: "consume.ipynb", kernel: "no-such-kernel", returns: ["summary"] });',
    ].join("\n"));
    // Its own folder: the other cases assert that no run was created in theirs.
    const elsewhere = tempDir("notebook-mocked-");
    writeFileSync(join(elsewhere.dir, "summary.json"), JSON.stringify({ rows: 3 }));
    const run = await runCli(["run", file, "--mock", "analyse=summary.json", "--json"], { cwd: elsewhere.dir });
    elsewhere.cleanup();
    expect(run.code, run.stderr).toBe(0);
    const { runLog } = JSON.parse(run.stdout) as { runLog: { finalParameters: Record<string, unknown>; steps: Record<string, { attempts: Array<{ mocked?: boolean }> }> } };
    expect(runLog.finalParameters.summary).toEqual({ rows: 3 });
    expect(runLog.steps.analyse!.attempts[0]!.mocked).toBe(true);
  });

  it("a kernel that is not installed: exit 2 naming it and the installed ones", async () => {
    const run = await runCli(["run", pipelineWith('notebook: "consume.ipynb", kernel: "no-such-kernel"')], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/error: step "analyse" is a NotebookTask on Jupyter kernel "no-such-kernel", which is not installed \(installed kernels: [^)]*python3[^)]*\): install it/);
    expect(runsIn(work.dir)).toEqual([]);
  });

  it("a notebook that does not exist: exit 2 naming the step and the file", async () => {
    const run = await runCli(["run", pipelineWith('notebook: "nowhere/missing.ipynb"')], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`error: step "analyse": notebook ${join(work.dir, "nowhere", "missing.ipynb")} does not exist`);
    expect(runsIn(work.dir)).toEqual([]);
  });
});

describe("what a notebook step takes, before anything runs", () => {
  const example = join(REPO, "examples", "notebook", "pipeline.ts");

  it("`runnable check` lists its parameters cell's names as optional reads of the step", async () => {
    const check = await runCli(["check", example], { cwd: work.dir });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^ {2}analyse +threshold\? \(notebook\) +parameter$/m);
    expect(check.stdout).toMatch(/^ {2}analyse +title\? \(notebook\) +parameter$/m);
  });

  it("`runnable run <file> --help` lists them as the notebook's, with what the parameters file gives", async () => {
    const help = await runCli(["run", example, "--help"], { cwd: work.dir });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^ {2}threshold +20\.5 \(parameters file\) +analyse$/m);
    expect(help.stdout).toMatch(/^ {2}title +"Greenhouse temperature" \(parameters file\) +analyse, report$/m);
    // Given by no parameters file, a name only the notebook takes has the notebook's own default.
    const bare = await runCli(["run", pipelineWith('notebook: "consume.ipynb"'), "--help"], { cwd: work.dir });
    expect(bare.stdout).toMatch(/^ {2}model +\(the notebook's\) +analyse$/m);
  });
});
