// The commands a run's summary and `runnable logs` hint at (`… logs <id>`, `… retry <id>`) are the
// ones the user can paste: `npx runnable …` when the CLI was started through npx, `npm run <script> --`
// through a script that only starts it, `runnable` when it is on PATH, else how node was told to run it.
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliCommand } from "../../src/cli/invocation.js";
import { BIN, CLI_HINT, REPO, runCli, runCommand, tempDir, writePipeline } from "../helpers/cli.js";

let work: ReturnType<typeof tempDir>;
let failing: string;
beforeAll(() => {
  work = tempDir("runnable-hints-");
  failing = writePipeline(work.dir, "failing.ts", `
import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ name: "failing", steps: [
  new FunctionTask({ name: "gate", function: () => { throw new Error("not fixed yet"); }, returns: ["x"] }),
] });
`);
});
afterAll(() => work.cleanup());

/** Runs `npx runnable …` in the repository, as the Quick start does. */
const npx = (args: string[]) => runCommand("npx", ["--offline", "runnable", ...args], { cwd: REPO });

describe("hints name the command as the user started it", () => {
  it("started through npx: the summary and `logs` say `npx runnable …`", async () => {
    const store = join(work.dir, "store");
    const run = await npx(["run", failing, "--root", store, "--run-id", "via-npx"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`run log: npx runnable logs via-npx --root ${store}\n`);
    expect(run.stderr).toContain(`re-run what failed: npx runnable retry via-npx --root ${store}\n`);
    const logs = await npx(["logs", "via-npx", "--root", store]);
    expect(logs.stdout).toContain(`re-run what failed: npx runnable retry via-npx --root ${store}\n`);
  }, 60_000);

  it("started as `node <path>`: the same path, relative to the working directory when inside it", async () => {
    const run = await runCli(["run", failing, "--run-id", "via-node"], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`re-run what failed: ${CLI_HINT} retry via-node\n`);
    expect(cliCommand({ env: {}, script: join(REPO, "src", "cli", "bin.ts"), cwd: REPO, bin: BIN })).toBe("node bin/runnable.js");
  }, 60_000);
});

describe("cliCommand", () => {
  const bin = "/p/node_modules/.bin/runnable";
  it("npx / npm exec: `npx <the bin npm ran>`, not a command an npm process further up ran", () => {
    expect(cliCommand({ env: { npm_command: "exec", npm_lifecycle_script: "'runnable'" }, script: bin, cwd: "/p", bin: "/p/node_modules/runnable-ts/bin/runnable.js" })).toBe("npx runnable");
    // `npx vitest` started the tests, which start `node bin/runnable.js`: npm's variables are inherited.
    expect(cliCommand({ env: { npm_command: "exec", npm_lifecycle_script: "vitest run" }, script: join(REPO, "src", "cli", "bin.ts"), cwd: REPO, bin: BIN })).toBe("node bin/runnable.js");
  });

  it("an npm script that only starts the CLI: `npm run <script> --`; one with its own arguments: npx", () => {
    const run = (line: string, event = "runnable") => cliCommand({ env: { npm_command: "run", npm_lifecycle_event: event, npm_lifecycle_script: line, PATH: "/p/node_modules/.bin" }, script: bin, cwd: "/p", bin: "/p/node_modules/runnable-ts/bin/runnable.js" });
    expect(run("node bin/runnable.js")).toBe("npm run runnable --");
    expect(run("runnable", "rn")).toBe("npm run rn --");
    // npm puts node_modules/.bin on the script's PATH, not on the user's: never a bare `runnable` here.
    expect(run("runnable run pipeline.ts", "train")).toBe("npx runnable");
  });

  it("on PATH (a global install): `runnable`; elsewhere in node_modules: npx", () => {
    const dir = tempDir("runnable-path-");
    try {
      mkdirSync(join(dir.dir, "bin"));
      symlinkSync(BIN, join(dir.dir, "bin", "runnable"));
      expect(cliCommand({ env: { PATH: `/nowhere:${join(dir.dir, "bin")}` }, script: join(dir.dir, "bin", "runnable"), cwd: "/", bin: BIN })).toBe("runnable");
      // `npm link` of a checkout: bin/runnable.js starts the sources in a child, whose script is src/cli/bin.ts.
      expect(cliCommand({ env: { PATH: join(dir.dir, "bin") }, script: join(REPO, "src", "cli", "bin.ts"), cwd: "/", bin: BIN })).toBe("runnable");
      expect(cliCommand({ env: { PATH: "/usr/bin" }, script: bin, cwd: "/p", bin: "/p/node_modules/runnable-ts/bin/runnable.js" })).toBe("npx runnable");
    } finally {
      dir.cleanup();
    }
  });
});
