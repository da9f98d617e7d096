// The command registry: commands load lazily, so the overview help is built from the registry's
// summaries; they must say what each command's own help says.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS, commandOf } from "../../src/cli/commands/index.js";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { REPO } from "../helpers/cli.js";

function captureIo(): CliIo & { text: () => string } {
  let text = "";
  return { out: (t) => void (text += t), err: (t) => void (text += t), errIsTTY: false, text: () => text };
}

describe("command registry", () => {
  it("each entry registers the command it names, with the summary as its description", async () => {
    for (const entry of COMMANDS) {
      const program = new Command("runnable");
      (await entry.load())(program, { io: captureIo(), action: (fn) => async (...args) => void (await fn(...args)) });
      expect(program.commands.map((c) => [c.name(), c.description()])).toEqual([[entry.name, entry.summary]]);
    }
  });

  it("finds the command past global options and in `help <command>`", () => {
    expect(commandOf(["--verbose", "run", "x.ts"])?.name).toBe("run");
    expect(commandOf(["help", "retry"])?.name).toBe("retry");
    expect(commandOf(["--help"])).toBeUndefined();
    expect(commandOf(["frobnicate"])).toBeUndefined();
  });

  it("`help <command>` shows that command's options; the overview lists every command", async () => {
    const io = captureIo();
    expect(await main(["node", "runnable", "help", "run"], io)).toBe(0);
    expect(io.text()).toContain("--parameters <file>");
    const overview = captureIo();
    expect(await main(["node", "runnable", "--help"], overview)).toBe(0);
    for (const entry of COMMANDS) expect(overview.text()).toContain(`${entry.name} `);
  });
});

describe("bin/runnable.js in a checkout", () => {
  it("runs the TypeScript sources (what contributors edit), passing arguments and the exit code through", () => {
    const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
    expect(execFileSync(process.execPath, [join(REPO, "bin", "runnable.js"), "--version"], { encoding: "utf8" })).toBe(`${version}\n`);
    let code = 0;
    try {
      execFileSync(process.execPath, [join(REPO, "bin", "runnable.js"), "frobnicate"], { stdio: "ignore" });
    } catch (error) {
      code = (error as { status: number }).status;
    }
    expect(code).toBe(2);
  });
});
