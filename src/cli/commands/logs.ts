import type { Command } from "commander";
import { readRunLog } from "../../execute/index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

/** `runnable logs <runId>`: print the assembled run log as JSON. */
export function registerLogs(program: Command, ctx: CommandContext): void {
  program
    .command("logs")
    .description("print a run's log as JSON")
    .argument("<runId>", "run id")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .action(ctx.action(async (runId: string, flags: { root: string }) => {
      const log = await readRunLog(runId, { root: flags.root });
      ctx.io.out(JSON.stringify(log, null, 2) + "\n");
      return EXIT.ok;
    }));
}
