import { existsSync } from "node:fs";
import path from "node:path";
import { RunNotFoundError } from "../sdk/errors.js";
import { newestFirst, openSource, type SourceOptions } from "../ui/source.js";
import { formatTime } from "../view/format.js";
import { table } from "./views/table.js";

/**
 * What `logs`, `retry` and `runs compare` say of a run id that is not there: where they looked, in
 * the words the user would type (`.runnable/runs/`), and the newest runs that are there — most
 * often the id was mistyped, or the command runs in another folder than the run did.
 */

/** Runs listed under the message. */
const SHOWN = 5;

/** A folder as the user would type it: relative to the working directory when inside it. */
function shown(dir: string): string {
  const relative = path.relative(process.cwd(), path.resolve(dir));
  return relative === "" ? "." : relative.startsWith("..") || path.isAbsolute(relative) ? path.resolve(dir) : relative;
}

/** Where runs are looked up for these options. */
export function searchedPlaces(options: SourceOptions): string {
  const root = options.root ?? ".runnable";
  if (options.api !== undefined) return `the runs API at ${options.api}`;
  if (options.s3Endpoint !== undefined) return `s3://${options.bucket ?? "runnable"} at ${options.s3Endpoint}`;
  if (options.bucket !== undefined) return `s3://${options.bucket} of the emulator's store ${shown(path.join(root, "s3"))}/`;
  if (!existsSync(root)) return `${shown(path.join(root, "runs"))}/ (${shown(root)} does not exist here: run the command in the folder the run was started from, or pass --root)`;
  const local = `${shown(path.join(root, "runs"))}/`;
  return existsSync(path.join(root, "s3")) ? `${local} (local runs) or ${shown(path.join(root, "s3"))}/ (emulator runs)` : local;
}

/** The not-found error for `runId`, naming where it was looked for and listing the newest runs there. */
export async function explainNotFound(runId: string, options: SourceOptions, cli = "runnable"): Promise<RunNotFoundError> {
  const where = searchedPlaces(options);
  if (options.api !== undefined || !existsSync(options.root ?? ".runnable") && options.s3Endpoint === undefined) return new RunNotFoundError(runId, where);
  const source = await openSource(options);
  try {
    const runs = (await source.listRuns()).sort(newestFirst);
    if (runs.length === 0) return new RunNotFoundError(runId, `${where}: there are no runs there yet`);
    const rows = runs.slice(0, SHOWN).map((r) => [r.runId, r.pipeline, r.status, formatTime(r.startedAt)]);
    const lines = table([{ title: "RUN ID" }, { title: "PIPELINE" }, { title: "STATUS" }, { title: "STARTED (UTC)" }], rows, "  ");
    const more = runs.length > SHOWN ? `\n  (${runs.length - SHOWN} more: ${[cli, "runs", "list", ...source.storeFlags].join(" ")})` : "";
    return new RunNotFoundError(runId, `${where}. The ${Math.min(SHOWN, runs.length)} most recent runs there:\n${lines.join("\n")}${more}`);
  } catch {
    // Listing failed too (an unreachable endpoint): say at least where it looked.
    return new RunNotFoundError(runId, where);
  } finally {
    await source.close();
  }
}

/** Runs `work`; a run it cannot find is reported with `explainNotFound`. */
export async function explainingNotFound<T>(options: SourceOptions, cli: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof RunNotFoundError) throw await explainNotFound(e.runId, options, cli);
    throw e;
  }
}
