import type { Command } from "commander";
import { retryRun } from "../../execute/index.js";
import type { CommandContext } from "../context.js";
import { showRun } from "../result.js";

/** `runnable retry <runId>`: re-run a failed run, skipping the steps that succeeded. */
export function registerRetry(program: Command, ctx: CommandContext): void {
  program
    .command("retry")
    .description("re-run a failed run: same pipeline file (refused if its graph changed), succeeded steps skipped")
    .argument("<runId>", "id of the run to retry")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--json", "print the RunResult (with its run log) as JSON on stdout")
    .action(ctx.action(async (runId: string, flags: { root: string; json?: boolean }) =>
      showRun(ctx.io, { json: flags.json === true, root: flags.root }, (onEvent) => retryRun(runId, { root: flags.root, onEvent }))));
}
