import { StringDecoder } from "node:string_decoder";
import { UsageError } from "../../sdk/errors.js";
import type { RunLog } from "../../sdk/runlog.js";
import type { RunSource } from "../../ui/source.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

/** Which step's output `runnable logs --output` prints. */
export interface OutputRequest {
  step: string;
  /** Only this attempt (1-based); default every attempt. */
  attempt?: number;
}

/** A few step paths of the run that start like `wanted`, for the "no such step" message. */
function nearby(log: RunLog, wanted: string): string[] {
  const paths = Object.keys(log.steps);
  const head = wanted.split(".")[0]!;
  return paths.filter((p) => p.startsWith(head)).slice(0, 5);
}

/**
 * Prints what a step printed, attempt by attempt, from the run's catalog: a header line per attempt
 * on stderr (so stdout holds exactly the stored bytes), the bytes on stdout.
 */
export async function printOutput(ctx: CommandContext, source: RunSource, log: RunLog, request: OutputRequest): Promise<number> {
  const step = log.steps[request.step];
  if (!step) {
    const close = nearby(log, request.step);
    throw new UsageError(`run ${log.runId} has no step "${request.step}"${close.length ? ` (steps: ${close.join(", ")}${close.length === 5 ? ", …" : ""})` : ""}`);
  }
  const attempts = step.attempts.filter((a) => request.attempt === undefined || a.attempt === request.attempt);
  if (attempts.length === 0) throw new UsageError(`step "${request.step}" has no attempt ${request.attempt} (it has ${step.attempts.length})`);
  if (!source.openFile) throw new UsageError(`${source.location} cannot serve catalog files: the output cannot be read from it`);
  for (const a of attempts) {
    const head = `── ${request.step}  attempt ${a.attempt}  ${a.status}${a.output?.dropped ? `  (${a.output.dropped} earlier bytes not kept)` : ""}`;
    if (!a.output) {
      ctx.io.err(`${head}  (printed nothing)\n`);
      continue;
    }
    const file = await source.openFile(log.runId, a.output.name);
    if (!file) {
      ctx.io.err(`${head}  (output ${a.output.name} is missing from the catalog)\n`);
      continue;
    }
    ctx.io.err(`${head}\n`);
    // One decoder per file: a UTF-8 character split between two chunks still prints whole.
    const decoder = new StringDecoder("utf8");
    for await (const chunk of file.body) ctx.io.out(decoder.write(Buffer.from(chunk as Uint8Array)));
    ctx.io.out(decoder.end());
  }
  return EXIT.ok;
}
