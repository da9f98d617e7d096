import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ProgressEvent } from "../execute/events.js";
import type { RunResult } from "../sdk/runlog.js";
import type { ExecutionSpan } from "../store/types.js";
import { EXIT, type CliIo } from "./io.js";
import { progressView } from "./progress.js";
import { summary } from "./summary.js";

/** How `run` and `retry` present a run. */
export interface ShowOptions {
  /** Print the RunResult as JSON on stdout (and nothing else there). */
  json: boolean;
  /** Store root, for the summary's hints. */
  root: string;
  /** Further options the hinted `logs`/`retry` commands need (e.g. `--s3-endpoint URL`). */
  storeFlags?: string[];
  /** Stack traces of failed steps under their progress lines. */
  verbose?: boolean;
  /** How the hints name the CLI (`npx runnable`). Default "runnable". */
  cli?: string;
  /** The run's executions once it ended (retry: each execution's own duration is shown). */
  executions?: (runId: string) => Promise<ExecutionSpan[]>;
}

/**
 * Runs `start` with a progress view on stderr, then prints the summary (stderr) and, with --json,
 * the RunResult (stdout). Exit code: 0 when the run succeeded, 1 when it failed.
 */
export async function showRun(io: CliIo, options: ShowOptions, start: (onEvent: (e: ProgressEvent) => void) => Promise<RunResult>): Promise<number> {
  const view = progressView(io, { verbose: options.verbose === true });
  // With --json, stdout must hold only the JSON document: whatever steps print goes to stderr.
  const restore = options.json ? divertStdout() : () => {};
  let result: RunResult;
  // Warnings scroll away behind step lines: the summary repeats them.
  const warnings: string[] = [];
  try {
    result = await start((e) => {
      if (e.type === "warning") warnings.push(e.message ?? "");
      view.onEvent(e);
    });
  } finally {
    view.close();
    restore();
  }
  const catalogDir = join(options.root, "catalog", result.runId);
  const executions = (await options.executions?.(result.runId).catch(() => undefined)) ?? [];
  io.err(summary(result, options.root, existsSync(catalogDir) ? catalogDir : undefined, options.storeFlags, options.cli, executions));
  for (const w of warnings) io.err(`warning: ${w}\n`);
  if (options.json) io.out(JSON.stringify(result, null, 2) + "\n");
  return result.status === "SUCCESS" ? EXIT.ok : EXIT.failed;
}

/** Sends process.stdout writes to stderr until the returned function is called. */
function divertStdout(): () => void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back as it was
  const original = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
  return () => {
    process.stdout.write = original;
  };
}

/** The `--s3-endpoint`/`--bucket` a run was made with, for the summary's `logs`/`retry` hints. */
export function storeFlags(flags: { s3Endpoint?: string; bucket?: string }): string[] {
  return [
    ...(flags.s3Endpoint !== undefined ? [`--s3-endpoint ${flags.s3Endpoint}`] : []),
    ...(flags.bucket !== undefined ? [`--bucket ${flags.bucket}`] : []),
  ];
}
