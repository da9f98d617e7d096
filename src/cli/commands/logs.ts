import type { Command } from "commander";
import { readRunLog } from "../../execute/index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

/** `runnable logs <runId> [--events]`: print the assembled run log (or an emulator run's execution event log) as JSON. */
export function registerLogs(program: Command, ctx: CommandContext): void {
  program
    .command("logs")
    .description("print a run's log as JSON")
    .argument("<runId>", "run id")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--events", "emulator runs: print the execution event log (states entered/exited, retries, catches) instead")
    .option("--s3-endpoint <url>", "with --events: S3 endpoint the emulator run used (default: the local server over <root>/s3)")
    .option("--bucket <name>", "with --events: bucket at --s3-endpoint")
    .action(ctx.action(async (runId: string, flags: { root: string; events?: boolean; s3Endpoint?: string; bucket?: string }) => {
      if (flags.events) {
        // Loaded on use: only emulator runs have an event log.
        const { readEventLog } = await import("../../emulate/index.js");
        const logs = await readEventLog(runId, {
          root: flags.root,
          ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
          ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
        });
        ctx.io.out(JSON.stringify(logs, null, 2) + "\n");
        return EXIT.ok;
      }
      const log = await readRunLog(runId, { root: flags.root });
      ctx.io.out(JSON.stringify(log, null, 2) + "\n");
      return EXIT.ok;
    }));
}
