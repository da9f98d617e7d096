import type { Command } from "commander";
import { readRunLog } from "../../execute/index.js";
import { checkRunId } from "../../runtime/run-id.js";
import { UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";
import { API_TOKEN_ENV, API_URL_ENV, guarded, remoteClient } from "./remote.js";

interface LogsFlags {
  root: string;
  events?: boolean;
  s3Endpoint?: string;
  bucket?: string;
  remote?: boolean;
  api?: string;
  region?: string;
  token?: string;
}

/**
 * `runnable logs <runId>`: print the assembled run log (or, with --events, an emulator run's execution
 * event log) as JSON. With `--remote` the log comes from the runs API (deployed, or `runnable serve`),
 * through the same SigV4 client as `runnable runs logs --remote`.
 */
export function registerLogs(program: Command, ctx: CommandContext): void {
  program
    .command("logs")
    .description("print a run's log as JSON (local, emulator, or with --remote from the runs API)")
    .argument("<runId>", "run id")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--events", "emulator runs: print the execution event log (states entered/exited, retries, catches) instead")
    .option("--s3-endpoint <url>", "emulator runs: S3 endpoint the run used (default: the local server over <root>/s3)")
    .option("--bucket <name>", "emulator runs: bucket at --s3-endpoint (default \"runnable\")")
    .option("--remote", "read the run log from the runs API (deployed, or `runnable serve`), requests SigV4-signed with your AWS credentials")
    .option("--api <url>", `with --remote: base URL of the runs API (default: $${API_URL_ENV})`)
    .option("--region <region>", "with --remote: region for the SigV4 signature (default: from the URL, else AWS_REGION)")
    .option("--token <token>", `with --remote: bearer token of \`runnable serve\` (default: $${API_TOKEN_ENV}); without one, requests are SigV4-signed`)
    .action(ctx.action(async (runId: string, flags: LogsFlags, command: Command) => {
      const storeOptions = {
        ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
        ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
      };
      if (flags.remote) {
        const local = ["events", "s3Endpoint", "bucket", "root"].filter((o) => command.getOptionValueSource(o) === "cli");
        if (local.length) {
          throw new UsageError(`--remote reads the log from the runs API: ${local.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} cannot be used with it`);
        }
        // Checked here, before any request: the message is the same as the local one.
        checkRunId(runId);
        const api = await remoteClient(flags);
        return guarded(ctx, async () => {
          ctx.io.out(JSON.stringify(await api.runLog(runId), null, 2) + "\n");
          return EXIT.ok;
        });
      }
      if (flags.api !== undefined || flags.region !== undefined || flags.token !== undefined) throw new UsageError("--api, --region and --token only apply with --remote");
      if (flags.events) {
        // Loaded on use: only emulator runs have an event log.
        const { readEventLog } = await import("../../emulate/index.js");
        const logs = await readEventLog(runId, { root: flags.root, ...storeOptions });
        ctx.io.out(JSON.stringify(logs, null, 2) + "\n");
        return EXIT.ok;
      }
      const log = await readRunLog(runId, { root: flags.root, ...storeOptions });
      ctx.io.out(JSON.stringify(log, null, 2) + "\n");
      return EXIT.ok;
    }));
}
