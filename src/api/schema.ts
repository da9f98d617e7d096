import { z } from "zod";
import { RUN_ID } from "../core/protocol.js";
import type { JsonValue } from "../sdk/types.js";
import { PARAMETER_NAME, STEP_NAME } from "../sdk/types.js";

/**
 * Request shapes of the runs API, shared by the API Lambda (`handlers/api.ts`) and `runnable serve`.
 * The CDK stack mirrors `StartRunBody` as an API Gateway JSON-schema model (`cdk/api.ts`), so a bad
 * body is refused at the gateway already; the zod check here is the authority in both places.
 */

/** Largest accepted request body: the Step Functions input limit, so nothing larger is ever stored. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Longest accepted tag. */
export const MAX_TAG_LENGTH = 256;

/** Body of `POST /pipelines/{name}/runs`. */
export const StartRunBody = z.object({
  /** Initial parameters, over the pipeline's default parameters file. Default {}. */
  parameters: z.record(z.string().regex(PARAMETER_NAME, "parameter names must match ^[A-Za-z_][A-Za-z0-9_]*$"), z.json()).optional(),
  /** Run id (also the execution name). Default: generated, sortable by time. */
  runId: z.string().regex(RUN_ID, "runId must match ^[A-Za-z0-9_-]{1,80}$").optional(),
  /** Free-form label recorded in the run log. Default "". */
  tag: z.string().max(MAX_TAG_LENGTH).optional(),
}).strict();
export type StartRunBody = z.infer<typeof StartRunBody>;

/** Path parameters. */
export const PipelineName = z.string().regex(STEP_NAME);
export const RunIdParam = z.string().regex(RUN_ID);

/** `?limit=` of `GET /pipelines/{name}/runs`: 1–100, default 20. */
export const ListLimit = z.coerce.number().int().min(1).max(100).default(20);

/** Response of `POST /pipelines/{name}/runs`. */
export interface StartRunResponse {
  runId: string;
  executionArn: string;
  /** false when the request repeated an existing run's id with the same body (nothing new started). */
  created: boolean;
}

/**
 * What `POST /runs/{runId}/retry` answers (202): the execution that retries the run. `how`:
 * "redrive" — Step Functions' RedriveExecution resumed the run's execution where it stopped;
 * "new-execution" — a new execution of the same state machine, whose handlers skip every step that
 * already succeeded (the rule of `runnable retry`). `execution` is the id its records carry.
 */
export interface RetryRunResponse {
  runId: string;
  executionArn: string;
  execution: string;
  how: "redrive" | "new-execution";
}

/** One entry of `GET /pipelines/{name}/runs` and `GET /runs`, newest first. */
export interface RunSummary {
  runId: string;
  pipeline: string;
  status: "SUCCESS" | "FAIL" | "RUNNING";
  tag: string;
  startedAt: string;
  endedAt: string | null;
  /** Initial parameters of the run. */
  parameters: Record<string, JsonValue>;
}

/** JSON error body of every non-2xx response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** What the API knows about a registered pipeline (no user code: name, graph hash, default parameters). */
export interface RegisteredPipeline {
  name: string;
  /** Parameters from the pipeline's default parameters file (`parameters.yaml` beside it), if any. */
  defaults: Record<string, JsonValue>;
}

/** Formats zod issues as `field: message; …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`).join("; ");
}
