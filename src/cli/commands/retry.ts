import type { Command } from "commander";
import { retryRun } from "../../execute/index.js";
import type { ExecutionSpan } from "../../store/types.js";
import { openSource } from "../../ui/source.js";
import type { CommandContext } from "../context.js";
import { explainingNotFound } from "../not-found.js";
import { showRun, storeFlags } from "../result.js";
import { interruptible } from "../interrupt.js";
import { EXIT } from "../io.js";
import { guarded, print, remoteClient, remoteOptions, waitForRun } from "./remote.js";

interface RetryFlags {
  root: string;
  json?: boolean;
  s3Endpoint?: string;
  bucket?: string;
  force?: boolean;
  isolate?: boolean;
  from?: string;
  parameters?: string;
  remote?: boolean;
  wait?: boolean;
  api?: string;
  region?: string;
  token?: string;
}

/**
 * `runnable retry <runId>`: re-run a failed run, skipping the steps that succeeded. An emulator run
 * made with `--s3-endpoint`/`--bucket` is retried with the same options (its run log lives there).
 * Runs started through the runs API (AWS, or `runnable serve`) are retried there with `--remote`
 * (`POST /runs/{runId}/retry`); without it an AWS run is refused (exit 2). A RUNNING run is taken over when
 * its owner is gone (stale, see store/lease.ts) or with --force; refused while its owner is alive.
 */
export function registerRetry(program: Command, ctx: CommandContext): void {
  remoteOptions(program
    .command("retry")
    .description("re-run a failed run: same pipeline file (refused if its graph changed), succeeded steps skipped")
    .argument("<runId>", "id of the run to retry")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--json", "print the RunResult (with its run log) as JSON on stdout")
    .option("--s3-endpoint <url>", "emulator runs: S3 endpoint the run used (default: the local server over <root>/s3)")
    .option("--bucket <name>", "emulator runs: bucket the run used (default \"runnable\")")
    .option("--from <step>", "re-run from this step (as `runnable logs` shows it; fanout.score = every iteration): it and everything after it run again, even if they succeeded")
    .option("--parameters <file>", "YAML/JSON file of parameters to change for the steps that re-run (local runs; RUNNABLE_PRM_* apply too); the run's own stay recorded")
    .option("--isolate", "local runs: each step attempt in a fresh directory, files only through the catalog (as on AWS)")
    .option("--force", "take over a RUNNING run whose owner looks alive (another host's lease, not yet expired): only when you know it is gone")
    .option("--remote", "retry a run started through the runs API (deployed on AWS, or `runnable serve`): Step Functions redrives it where it can, else a new execution skips what succeeded")
    .option("--wait", "with --remote: poll until the run ends; exit 0 on SUCCESS, 1 on FAIL"))
    .action(ctx.action(async (runId: string, flags: RetryFlags) => {
      if (flags.remote) {
        const api = await remoteClient(flags);
        return guarded(ctx, async () => {
          print(ctx, await api.retryRun(runId));
          return flags.wait ? waitForRun(ctx, api, runId) : EXIT.ok;
        });
      }
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
      return interruptible(ctx.io, (signal) => showRun(ctx.io, options, (onEvent) => explainingNotFound(where, ctx.cli, () => retryRun(runId, {
        ...where, onEvent, signal,
        ...(flags.force ? { force: true } : {}),
        ...(flags.isolate ? { isolate: true } : {}),
        ...(flags.from !== undefined ? { from: flags.from } : {}),
        ...(flags.parameters !== undefined ? { parametersFile: flags.parameters } : {}),
      }))));
    }));
}
