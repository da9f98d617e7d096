import type { Command } from "commander";
import { checkRunId } from "../../runtime/run-id.js";
import { UsageError } from "../../sdk/errors.js";
import { openSource } from "../../ui/source.js";
import type { CommandContext } from "../context.js";
import { explainingNotFound } from "../not-found.js";
import { logsText, type LogsViewOptions } from "../views/logs.js";
import { EXIT } from "../io.js";
import { API_TOKEN_ENV, API_URL_ENV, remoteClient } from "../../api/connect.js";
import { guarded } from "./remote.js";
import { printOutput, type OutputRequest } from "../views/output.js";

interface LogsFlags {
  root: string;
  json?: boolean;
  expand?: boolean;
  events?: boolean;
  s3Endpoint?: string;
  bucket?: string;
  remote?: boolean;
  api?: string;
  region?: string;
  token?: string;
  step?: string;
  output?: boolean;
  attempt?: string;
}

/**
 * `runnable logs <runId>`: the run as a readable table (steps in run order, Map iterations summed),
 * or with `--json` the assembled run log (with `--events`, an emulator run's execution event log).
 * With `--remote` the log comes from the runs API (deployed, or `runnable serve`), through the same
 * SigV4 client as `runnable runs logs --remote`.
 */
export function registerLogs(program: Command, ctx: CommandContext): void {
  program
    .command("logs")
    .description("show a run: steps in run order with status, attempts, duration, returns, errors (--json: the run log)")
    .argument("<runId>", "run id")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--json", "print the run log as JSON (the Contract's shape) instead of the table")
    .option("--expand", "one row per Map iteration instead of one per body step")
    .option("--step <path>", "with --output: the step (full path, e.g. fanout.2.score)")
    .option("--output", "print what the step printed (stdout and stderr), attempt by attempt")
    .option("--attempt <n>", "with --output: only this attempt")
    .option("--events", "emulator runs: print the execution event log (states entered/exited, retries, catches) instead")
    .option("--s3-endpoint <url>", "emulator runs: S3 endpoint the run used (default: the local server over <root>/s3)")
    .option("--bucket <name>", "emulator runs: bucket at --s3-endpoint (default \"runnable\")")
    .option("--remote", "read the run log from the runs API (deployed, or `runnable serve`), requests SigV4-signed with your AWS credentials (placeholder ones for a loopback --api)")
    .option("--api <url>", `with --remote: base URL of the runs API (default: $${API_URL_ENV})`)
    .option("--region <region>", "with --remote: region for the SigV4 signature (default: from the URL, else AWS_REGION)")
    .option("--token <token>", `with --remote: bearer token of \`runnable serve\` (default: $${API_TOKEN_ENV}); without one, requests are SigV4-signed`)
    .action(ctx.action(async (runId: string, flags: LogsFlags, command: Command) => {
      const storeOptions = {
        ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
        ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
      };
      if (flags.remote) {
        const local = ["events", "s3Endpoint", "bucket", "root", "output", "step", "attempt"].filter((o) => command.getOptionValueSource(o) === "cli");
        if (local.length) {
          throw new UsageError(`--remote reads the log from the runs API: ${local.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} cannot be used with it`);
        }
        // Checked here, before any request: the message is the same as the local one.
        checkRunId(runId);
        const api = await remoteClient(flags);
        return guarded(ctx, async () => {
          const log = await api.runLog(runId);
          ctx.io.out(flags.json ? JSON.stringify(log, null, 2) + "\n" : logsText(log, viewOptions(flags, ctx)));
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
      checkRunId(runId);
      const outputOf = outputRequest(flags);
      const where = { root: flags.root, ...storeOptions };
      const source = await openSource(where);
      try {
        const log = await explainingNotFound(where, ctx.cli, () => source.readRunLog(runId));
        if (outputOf) return await printOutput(ctx, source, log, outputOf);
        if (flags.json) {
          ctx.io.out(JSON.stringify(log, null, 2) + "\n");
          return EXIT.ok;
        }
        const [graph, executions] = await Promise.all([source.readGraph(runId), source.executions?.(runId)]);
        ctx.io.out(logsText(log, { ...viewOptions(flags, ctx), ...(graph ? { graph } : {}), ...(executions ? { executions } : {}), storeFlags: source.storeFlags }));
        // Loaded on use: the price model is not needed for the table itself.
        const cost = graph ? (await import("../../compile/cost.js")).runCostLine(graph, log) : undefined;
        if (cost) ctx.io.out(cost);
        return EXIT.ok;
      } finally {
        await source.close();
      }
    }));
}

/** `--step`/`--output`/`--attempt`, checked before anything is read. */
function outputRequest(flags: LogsFlags): OutputRequest | undefined {
  if (!flags.output) {
    if (flags.step !== undefined || flags.attempt !== undefined) throw new UsageError("--step and --attempt go with --output (print what a step printed)");
    return undefined;
  }
  if (flags.step === undefined) throw new UsageError("--output needs --step <path>: the step whose output to print");
  if (flags.json || flags.events || flags.expand) throw new UsageError("--output prints a step's output: --json, --events and --expand cannot be used with it");
  const attempt = flags.attempt === undefined ? undefined : Number(flags.attempt);
  if (attempt !== undefined && !(Number.isInteger(attempt) && attempt >= 1)) throw new UsageError(`--attempt must be a positive integer, got ${flags.attempt}`);
  return { step: flags.step, ...(attempt !== undefined ? { attempt } : {}) };
}

function viewOptions(flags: LogsFlags, ctx: CommandContext): LogsViewOptions {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  return { ...(flags.expand ? { expand: true } : {}), ...(columns ? { columns } : {}), ...(ctx.cli ? { cli: ctx.cli } : {}) };
}
