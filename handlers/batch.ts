import { GetObjectCommand } from "@aws-sdk/client-s3";
import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { handleStepEvent } from "../src/runtime/step-event.js";
import { ERRORS, parseStepEvent, type StepEvent } from "../src/runtime/protocol.js";
import { createS3Client } from "../src/store/index.js";
import { StepFailure } from "../src/sdk/errors.js";
import {
  ENV, cachedPipeline, envFileLoader, fallbackNameFromEnv, inFreshDir, secretFetcherFromEnv, stopSignal, storesFromEnv, type PipelineLoader,
} from "./shared.js";

/**
 * The AWS Batch container entry: `node handlers/batch.js [--request <json | s3://bucket/key>]`
 * (without `--request`, the StepEvent is read from `RUNNABLE_STEP_EVENT`).
 * Same protocol and runtime as the Lambda handler, stores from the same environment variables.
 * Exit code: 0 when the step succeeded, 1 when it failed (the failure is recorded in the run
 * log), 2 when the request itself is bad (nothing ran). The StepResult is printed on stdout, or on
 * the file descriptor named by `RUNNABLE_RESULT_FD` (the emulator reads it there, so that the job's
 * stdout — which it shows as the step's output — holds only what the step printed).
 */

export const EXIT = { success: 0, stepFailed: 1, badRequest: 2 } as const;

/** Environment variable the compiled Batch task puts the StepEvent in (JSON text). */
export const STEP_EVENT_ENV = "RUNNABLE_STEP_EVENT";

/** Environment variable naming a file descriptor (> 2) for the StepResult line instead of stdout. */
export const RESULT_FD_ENV = "RUNNABLE_RESULT_FD";

function writeResult(line: string, env: NodeJS.ProcessEnv): void {
  const fd = Number(env[RESULT_FD_ENV]);
  if (Number.isInteger(fd) && fd > 2) writeSync(fd, line);
  else process.stdout.write(line);
}

/**
 * Reads the request: `--request <json | s3://bucket/key>` from argv, else the `RUNNABLE_STEP_EVENT`
 * environment variable (how the compiled `batch:submitJob.sync` task passes it).
 */
export async function readRequest(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<StepEvent> {
  const i = argv.indexOf("--request");
  const raw = i >= 0 ? argv[i + 1] : env[STEP_EVENT_ENV];
  if (raw === undefined) throw new StepFailure(ERRORS.badEvent, `usage: batch --request <json | s3://bucket/key> (or set ${STEP_EVENT_ENV})`);
  let text = raw;
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(raw);
  if (s3) {
    const endpoint = env[ENV.endpoint] || undefined;
    const region = env.AWS_REGION || undefined;
    const client = createS3Client({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: s3[1], Key: s3[2] }));
      text = (await out.Body?.transformToString("utf8")) ?? "";
    } catch (err) {
      throw new StepFailure(ERRORS.badEvent, `cannot read the request ${raw}: ${(err as Error).message}`, { cause: err });
    } finally {
      client.destroy();
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StepFailure(ERRORS.badEvent, `the request is not JSON: ${text.slice(0, 200)}`);
  }
  return parseStepEvent(json);
}

/** Runs one request; resolves to the exit code. Messages go to stderr, the result to stdout (or RUNNABLE_RESULT_FD). */
export async function main(argv: readonly string[], load: PipelineLoader = envFileLoader(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let event: StepEvent;
  try {
    event = await readRequest(argv, env);
  } catch (err) {
    process.stderr.write(`${(err as Error).name}: ${(err as Error).message}\n`);
    return EXIT.badRequest;
  }
  try {
    const built = await cachedPipeline(load, () => fallbackNameFromEnv(env))();
    const stores = storesFromEnv(env);
    const fetchSecrets = secretFetcherFromEnv(env);
    const result = await inFreshDir((workDir) => handleStepEvent(event, { built, stores, workDir, signal: stopSignal(), ...(fetchSecrets ? { fetchSecrets } : {}) }));
    writeResult(`${JSON.stringify(result)}
`, env);
    return result.status === "SUCCESS" ? EXIT.success : EXIT.stepFailed;
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`${e.name}: ${e.message}\n`);
    const badRequest = err instanceof StepFailure && (err.code === ERRORS.badEvent || err.code === ERRORS.dagMismatch);
    return badRequest ? EXIT.badRequest : EXIT.stepFailed;
  }
}

// Run as a program (not when imported by tests or a bundle entry that calls main itself).
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(EXIT.stepFailed);
  });
}
