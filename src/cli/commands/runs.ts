import type { Command } from "commander";
import { checkRunId } from "../../runtime/run-id.js";
import { UsageError } from "../../sdk/errors.js";
import type { RunLog } from "../../sdk/runlog.js";
import { newestFirst, openSource, type RunListing, type SourceOptions } from "../../ui/source.js";
import { compareRuns } from "../../view/compare.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";
import { explainingNotFound } from "../not-found.js";
import { compareText, runsText } from "../views/runs.js";
import { remoteClient } from "../../api/connect.js";
import { guarded, print, remoteOptions, type RemoteFlags } from "./remote.js";

interface StoreFlags {
  root: string;
  s3Endpoint?: string;
  bucket?: string;
}

interface ListFlags extends StoreFlags, Partial<RemoteFlags> {
  pipeline?: string;
  status?: string;
  tag?: string;
  limit: string;
  json?: boolean;
}

const STATUSES = ["SUCCESS", "FAIL", "RUNNING"];

function storeOptions(c: Command): Command {
  return c
    .option("--root <dir>", "directory of run logs and catalogs (its emulator runs under <root>/s3 included)", ".runnable")
    .option("--s3-endpoint <url>", "read the runs in a bucket at this S3 endpoint instead (e.g. emulator runs made with --s3-endpoint)")
    .option("--bucket <name>", "bucket of the runs (default \"runnable\"); alone: that bucket of the local emulator store");
}

function sourceOptions(flags: StoreFlags): SourceOptions {
  return {
    root: flags.root,
    ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
  };
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** Runs matching the filters, newest first. */
export function filterRuns(runs: RunListing[], filters: { pipeline?: string; status?: string; tag?: string; limit?: number }): RunListing[] {
  return runs
    .filter((r) => (filters.pipeline === undefined || r.pipeline === filters.pipeline)
      && (filters.status === undefined || r.status === filters.status)
      && (filters.tag === undefined || r.tag === filters.tag))
    .sort(newestFirst)
    .slice(0, filters.limit);
}

/**
 * `runnable runs list` (local and emulator runs; `--remote <pipeline>` asks the runs API) and
 * `runnable runs compare <a> <b> […]`. Added to the `runs` group of remote.ts.
 */
export function registerRuns(program: Command, ctx: CommandContext): void {
  const runs = program.commands.find((c) => c.name() === "runs") ?? program.command("runs");

  remoteOptions(storeOptions(runs.command("list")
    .description("list runs, newest first: local and emulator runs under --root (or a bucket); --remote <pipeline>: from the runs API")
    .option("--pipeline <name>", "only runs of this pipeline")
    .option("--status <status>", "only runs with this status: SUCCESS, FAIL or RUNNING")
    .option("--tag <tag>", "only runs with this tag")
    .option("--limit <n>", "at most this many runs (remote: 1–100)", "20")
    .option("--json", "print the runs as JSON")
    .option("--remote <pipeline>", "list a deployed pipeline's runs through the runs API (prints JSON)")))
    .action(ctx.action(async (flags: ListFlags, command: Command) => {
      const limit = parseLimit(flags.limit);
      if (flags.status !== undefined && !STATUSES.includes(flags.status)) throw new UsageError(`--status must be one of ${STATUSES.join(", ")}, got ${JSON.stringify(flags.status)}`);
      if (flags.remote !== undefined) {
        const local = ["root", "s3Endpoint", "bucket", "pipeline", "status", "tag"].filter((o) => command.getOptionValueSource(o) === "cli");
        if (local.length) throw new UsageError(`--remote lists a deployed pipeline's runs: ${local.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} cannot be used with it`);
        const api = await remoteClient({ ...(flags.api ? { api: flags.api } : {}), ...(flags.region ? { region: flags.region } : {}) });
        const remote = flags.remote;
        return guarded(ctx, async () => {
          print(ctx, await api.listRuns(remote, limit));
          return EXIT.ok;
        });
      }
      if (flags.api !== undefined || flags.region !== undefined) throw new UsageError("--api and --region only apply with --remote");
      const source = await openSource(sourceOptions(flags));
      try {
        const list = filterRuns(await source.listRuns(), {
          limit,
          ...(flags.pipeline !== undefined ? { pipeline: flags.pipeline } : {}),
          ...(flags.status !== undefined ? { status: flags.status } : {}),
          ...(flags.tag !== undefined ? { tag: flags.tag } : {}),
        });
        ctx.io.out(flags.json ? JSON.stringify(list, null, 2) + "\n" : runsText(list));
        return EXIT.ok;
      } finally {
        await source.close();
      }
    }));

  storeOptions(runs.command("compare")
    .description("compare 2–5 runs: parameters and metrics that differ, step durations, catalog files whose md5 changed")
    .argument("<runIds...>", "2 to 5 run ids")
    .option("--all", "also list parameters and metrics that are equal")
    .option("--json", "print the comparison as JSON"))
    .action(ctx.action(async (ids: string[], flags: StoreFlags & { all?: boolean; json?: boolean }) => {
      if (ids.length < 2 || ids.length > 5) throw new UsageError(`runs compare takes 2 to 5 run ids, got ${ids.length}`);
      ids.forEach((id) => checkRunId(id));
      const where = sourceOptions(flags);
      const source = await openSource(where);
      let logs: RunLog[];
      try {
        logs = await explainingNotFound(where, ctx.cli, () => Promise.all(ids.map((id) => source.readRunLog(id))));
      } finally {
        await source.close();
      }
      const comparison = compareRuns(logs);
      ctx.io.out(flags.json ? JSON.stringify(comparison, null, 2) + "\n" : compareText(comparison, { all: flags.all === true }));
      return EXIT.ok;
    }));
}
