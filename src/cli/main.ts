import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { PACKAGE_ROOT } from "../core/package.js";
import { UsageError } from "../sdk/errors.js";
import { COMMANDS, commandOf } from "./commands/index.js";
import type { CommandContext } from "./context.js";
import { cliCommand } from "./invocation.js";
import { EXIT, errorJson, exitCodeOf, formatError, processIo, type CliIo } from "./io.js";

/**
 * The `runnable` CLI. Takes `process.argv`-style arguments and resolves to the exit code: 0 success,
 * 1 run failed, 2 invalid pipeline or arguments. Never calls process.exit (tests and the bin call it).
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const verbose = argv.includes("--verbose");
  const ctx: CommandContext = {
    io,
    verbose,
    cli: cliCommand(),
    action: (fn) => async (...args) => {
      code = await fn(...args);
    },
  };
  const program = new Command("runnable")
    .description("Run TypeScript pipelines locally, in a Step Functions emulator, or on AWS.")
    .version(packageVersion(), "-V, --version", "print the runnable-ts version")
    .option("--verbose", "show stack traces of errors")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError(`(run \`${ctx.cli} --help\` for usage)`);
  // With --json, stdout holds one JSON document also when the command fails before producing one.
  const json = argv.includes("--json");
  try {
    // Only the command being run is loaded; the overview help and unknown-command suggestions need
    // just the names and summaries.
    const chosen = commandOf(argv.slice(2));
    if (chosen) (await chosen.load())(program, ctx);
    else for (const c of COMMANDS) program.command(c.name).description(c.summary);
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its one-line message (or the help).
      // Help or the version printed as asked exits 0 (`runnable` alone prints the help as an error).
      if (error.exitCode === 0) return EXIT.ok;
      if (json) io.out(errorJson(new UsageError(error.message.replace(/^error: /, ""))));
      return EXIT.invalid;
    }
    io.err(formatError(error, verbose));
    if (json) io.out(errorJson(error));
    return exitCodeOf(error);
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}
