import type { Command } from "commander";
import { retryRun } from "../../execute/index.js";
import type { ExecutionSpan } from "../../store/types.js";
import { openSource } from "../../ui/source.js";
import type { CommandContext } from "../context.js";
import { explainingNotFound } from "../not-found.js";
import { showRun, storeFlags } from "../result.js";

interface RetryFlags {
  root: string;
  json?: boolean;
  s3Endpoint?: string;
  bucket?: string;
}

/**
 * `runnable retry <runId>`: re-run a failed run, skipping the steps that succeeded. An emulator run
 * made with `--s3-endpoint`/`--bucket` is retried with the same options (its run log lives there).
 * Runs started on AWS through the runs API are refused (exit 2).
 */
export function registerRetry(program: Command, ctx: CommandContext): void {
  program
    .command("retry")
    .description("re-run a failed run: same pipeline file (refused if its graph changed), succeeded steps skipped")
    .argument("<runId>", "id of the run to retry")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--json", "print the RunResult (with its run log) as JSON on stdout")
    .option("--s3-endpoint <url>", "emulator runs: S3 endpoint the run used (default: the local server over <root>/s3)")
    .option("--bucket <name>", "emulator runs: bucket the run used (default \"runnable\")")
    .action(ctx.action(async (runId: string, flags: RetryFlags) => {
      const where = {
        root: flags.root,
        ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
        ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
      };
      // After the retry: every execution's own duration (the run's wall time includes the wait before it).
      const executions = async (id: string): Promise<ExecutionSpan[]> => {
        const source = await openSource(where);
        try {
          return (await source.executions?.(id)) ?? [];
        } finally {
          await source.close();
        }
      };
      const options = { json: flags.json === true, root: flags.root, storeFlags: storeFlags(flags), verbose: ctx.verbose === true, executions, ...(ctx.cli ? { cli: ctx.cli } : {}) };
      return showRun(ctx.io, options, (onEvent) => explainingNotFound(where, ctx.cli, () => retryRun(runId, { ...where, onEvent })));
    }));
}
