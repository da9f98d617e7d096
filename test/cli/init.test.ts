// `runnable init`: what it writes, that its pipeline runs, that a second run changes nothing, and
// that it never overwrites. (test/package runs the scaffold from the installed tarball: npm install,
// tsc, cdk synth.)
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, parseResult, runCli, tempDir } from "../helpers/cli.js";

const FILES = ["package.json", "tsconfig.json", "cdk.json", "pipeline.ts", "parameters.yaml", "cdk/app.ts", ".gitignore"];

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("runnable-init-");
});
afterAll(() => work.cleanup());

describe("runnable init", () => {
  it("creates a project folder whose pipeline runs as it is; a second init changes nothing", async () => {
    const first = await runCli(["init", "my-app"], { cwd: work.dir });
    expect(first.code).toBe(0);
    const dir = join(work.dir, "my-app");
    for (const f of FILES) expect(first.stderr).toContain(`created    ${f}\n`);
    expect(first.stderr).toContain("Next: cd my-app && npm install");
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    expect(pkg.name).toBe("my-app");
    expect(pkg.type).toBe("module");
    expect(Object.keys(pkg.dependencies!)).toEqual(["runnable-ts"]);
    expect(Object.keys(pkg.devDependencies!).sort()).toEqual(["@types/node", "aws-cdk", "aws-cdk-lib", "cdk-nag", "constructs", "tsx", "typescript"]);
    expect(JSON.parse(readFileSync(join(dir, "cdk.json"), "utf8")).app).toBe("node --import tsx cdk/app.ts");
    expect(JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8")).compilerOptions.verbatimModuleSyntax).toBe(true);

    // As after `npm install`: runnable-ts resolvable from the project.
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(REPO, join(dir, "node_modules", "runnable-ts"));
    const run = await runCli(["run", "pipeline.ts", "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(parseResult(run).parameters.loud).toBe("HELLO PIPELINES (2 words)");

    const again = await runCli(["init", "my-app"], { cwd: work.dir });
    expect(again.code).toBe(0);
    for (const f of FILES) expect(again.stderr).toContain(`unchanged  ${f}\n`);
    expect(again.stderr).toContain("Nothing to do");
  });

  it("completes an existing CommonJS package.json without changing what it has", async () => {
    const dir = join(work.dir, "cjs");
    mkdirSync(dir);
    const before = { name: "cjs", version: "1.0.0", type: "commonjs", dependencies: { "aws-cdk-lib": "2.200.0" }, scripts: { test: "x" } };
    writeFileSync(join(dir, "package.json"), JSON.stringify(before));
    const r = await runCli(["init"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("updated (added runnable-ts, aws-cdk, constructs, cdk-nag, typescript, tsx, @types/node) package.json");
    const after = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as typeof before & { devDependencies: object };
    expect(after).toMatchObject(before);
    expect(after.dependencies).toEqual({ "aws-cdk-lib": "2.200.0", "runnable-ts": expect.stringMatching(/^\^\d/) });
    // `import` in a CommonJS package's .ts files is fine for tsc only without verbatimModuleSyntax.
    expect(JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8")).compilerOptions.verbatimModuleSyntax).toBe(false);
  });

  it("refuses to overwrite a file that differs, listing it, and writes nothing", async () => {
    const dir = join(work.dir, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "pipeline.ts"), "// mine\n");
    const r = await runCli(["init"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pipeline.ts: exists with other content");
    expect(r.stderr).toContain("nothing was written");
    expect(readFileSync(join(dir, "pipeline.ts"), "utf8")).toBe("// mine\n");
    for (const f of FILES.filter((f) => f !== "pipeline.ts")) expect(existsSync(join(dir, f)), f).toBe(false);
  });
});
