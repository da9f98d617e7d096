// The README's `runnable serve` example, run as written: the server command (with a free port instead
// of 8787, in a scratch folder beside the examples), then each curl / `runs start` line in bash with
// the token the server printed exported as RUNNABLE_API_TOKEN.
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, REPO, runCommand, tempDir } from "../helpers/cli.js";
import { startServe, type ServeHandle } from "../helpers/serve.js";

/** The shell block after "**`runnable serve`** offers the same routes" in the README, as commands (continuations joined). */
function readmeBlock(): string[] {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const start = readme.indexOf("```sh\n", readme.indexOf("**`runnable serve`** offers the same routes"));
  const body = readme.slice(start + 6, readme.indexOf("```", start + 6));
  return body.replace(/\\\n\s*/g, "").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
}

const bash = (command: string, cwd: string, env: Record<string, string>) => runCommand("bash", ["-c", command], { cwd, env });

describe("README: runnable serve", () => {
  let serve: ServeHandle;
  let dir: string;
  let lines: string[];
  beforeAll(async () => {
    ({ dir } = tempDir("readme-serve-"));
    symlinkSync(join(REPO, "examples"), join(dir, "examples"));
    lines = readmeBlock();
    const [command] = lines;
    expect(command).toMatch(/^npx runnable serve .* --port 8787$/);
    serve = await startServe(command!.replace(/^npx runnable serve /, "").replace("--port 8787", "--port 0").split(" "), { cwd: dir });
  }, 60_000);
  afterAll(() => serve?.stop());

  it("the curl lines and `runs start --remote … --wait` work with the printed token", async () => {
    const port = new URL(serve.url).port;
    const env = { RUNNABLE_API_TOKEN: serve.token };
    const commands = lines.slice(1).filter((l) => !l.startsWith("export RUNNABLE_API_TOKEN="))
      .map((l) => l.replaceAll("8787", port).replace(/^npx runnable /, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} `));
    expect(lines.some((l) => l.startsWith("export RUNNABLE_API_TOKEN="))).toBe(true);
    expect(commands).toHaveLength(3);
    const post = await bash(commands[0]!, dir, env);
    expect(JSON.parse(post.stdout)).toMatchObject({ runId: "try-1", created: true });
    const get = await bash(commands[1]!, dir, env);
    expect(JSON.parse(get.stdout)).toMatchObject({ runId: "try-1", pipeline: "map-reduce" });
    const start = await bash(commands[2]!.replace(/\s+#.*$/, ""), dir, env);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toMatch(/run \S+ SUCCESS/);
    // Without the token the same curl is refused.
    expect(JSON.parse((await bash(commands[1]!, dir, { RUNNABLE_API_TOKEN: "" })).stdout)).toMatchObject({ error: { code: "Unauthorized" } });
  }, 180_000);
});
