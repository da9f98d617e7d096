import { canonicalJson } from "../graph/hash.js";
import { newRunId } from "../runtime/run-id.js";
import { DefinitionError, RunExistsError, RunNotFoundError, UsageError } from "../sdk/errors.js";
import type { RunLog } from "../sdk/runlog.js";
import type { JsonValue } from "../sdk/types.js";
import type { RunHeader, RunLogStore } from "../store/types.js";
import { HttpRefusal, parseJson } from "./guard.js";
import {
  ListLimit, MAX_BODY_BYTES, PipelineName, type RegisteredPipeline, RunIdParam, type RunSummary, StartRunBody,
  type RetryRunResponse, type StartRunResponse, describeIssues,
} from "./schema.js";

/**
 * The runs API as plain functions of a request: the API Lambda and `runnable serve` are thin
 * transports around `handleApiRequest`, so both answer every request the same way.
 *
 * Repeated run ids (both transports): a POST whose runId exists answers 200 with that run when the
 * request is the same (same pipeline, parameters and tag) and starts nothing new; a different request
 * answers 409. Why: a client that timed out can safely send the same request again (the AWS
 * StartExecution idempotency, extended to our run header), while a different run under a taken id —
 * which would mix two runs' logs — is refused, as the CLI refuses it.
 */

export interface ApiRequest {
  method: string;
  /** Path without the stage, e.g. "/pipelines/ml/runs". */
  path: string;
  query: Record<string, string | undefined>;
  /** Raw body text (undefined when none). */
  body: string | undefined;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** What a transport provides: registered pipelines, the run-log store, and how a run is started. */
export interface RunsBackend {
  pipelines: ReadonlyMap<string, RegisteredPipeline>;
  /** Run logs; `listRuns(pipeline)` may list only that pipeline's runs (a store holding one pipeline's, or all, ignores it). */
  runLog: Pick<RunLogStore, "getHeader" | "readRunLog"> & { listRuns(pipeline?: string): Promise<string[]> };
  /**
   * Validates a run's parameters with the pipeline's parameters schema and returns its output
   * (ParameterError → 400). Absent: parameters are taken as sent.
   */
  validate?(pipeline: string, parameters: Record<string, JsonValue>): Promise<Record<string, JsonValue>>;
  /** Creates the run header and starts it (parameters already validated); throws RunExistsError when the id is taken. */
  start(pipeline: string, run: { runId: string; parameters: Record<string, JsonValue>; tag: string }): Promise<{ executionArn: string }>;
  /** Answers a repeated identical request: makes sure the existing run was started (AWS) and returns its execution. */
  resume(pipeline: string, header: RunHeader): Promise<{ executionArn: string }>;
  /**
   * Retries a failed run (its status checked by the route): the steps that succeeded are not run
   * again. Answers once the retry's execution is started. Absent: the transport cannot retry (501).
   */
  retry?(pipeline: string, header: RunHeader): Promise<Omit<RetryRunResponse, "runId">>;
}

/** How many of the newest run ids `GET /pipelines/{name}/runs` looks at. */
export const LIST_SCAN = 500;

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const routes: { method: string; pattern: RegExp; handle: (b: RunsBackend, m: string[], r: ApiRequest) => Promise<ApiResponse> }[] = [
  { method: "POST", pattern: /^\/pipelines\/([^/]+)\/runs$/, handle: (b, m, r) => startRun(b, m[0]!, r.body) },
  { method: "GET", pattern: /^\/pipelines\/([^/]+)\/runs$/, handle: (b, m, r) => listRuns(b, m[0]!, r.query.limit) },
  { method: "GET", pattern: /^\/runs$/, handle: (b, _m, r) => listRuns(b, r.query.pipeline, r.query.limit) },
  { method: "GET", pattern: /^\/runs\/([^/]+)$/, handle: (b, m) => getRun(b, m[0]!) },
  { method: "POST", pattern: /^\/runs\/([^/]+)\/retry$/, handle: (b, m) => retryRun(b, m[0]!) },
];

/** Routes one request; never throws: every failure becomes a JSON error with its status code. */
export async function handleApiRequest(backend: RunsBackend, request: ApiRequest): Promise<ApiResponse> {
  try {
    const path = request.path.replace(/\/+$/, "") || "/";
    const matching = routes.filter((r) => r.pattern.test(path));
    if (matching.length === 0) throw new ApiError(404, "NotFound", `no route ${path}`);
    const route = matching.find((r) => r.method === request.method.toUpperCase());
    if (!route) throw new ApiError(405, "MethodNotAllowed", `${request.method} is not allowed on ${path} (allowed: ${matching.map((r) => r.method).join(", ")})`);
    return await route.handle(backend, decodePathParams(route.pattern.exec(path)!.slice(1)), request);
  } catch (err) {
    if (err instanceof ApiError || err instanceof HttpRefusal) return errorResponse(err.status, err.code, err.message);
    if (err instanceof RunNotFoundError) return errorResponse(404, "RunNotFound", err.message);
    if (err instanceof RunExistsError) return errorResponse(409, "RunExists", err.message);
    // Parameters that do not fit the pipeline (e.g. a Map's list missing): the request is at fault.
    if (err instanceof DefinitionError || err instanceof UsageError) return errorResponse(400, "BadRequest", err.message);
    return errorResponse(500, "InternalError", err instanceof Error ? err.message : String(err));
  }
}

/** Percent-decoded path parameters; a malformed escape (`%E0%A4%A`) is the request's fault (400). */
function decodePathParams(raw: string[]): string[] {
  return raw.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      throw new ApiError(400, "BadRequest", `the path holds a malformed percent-escape: ${JSON.stringify(p.slice(0, 100))}`);
    }
  });
}

export function errorResponse(status: number, code: string, message: string): ApiResponse {
  return { status, body: { error: { code, message } } };
}

function pipelineOf(backend: RunsBackend, name: string): RegisteredPipeline {
  const p = PipelineName.safeParse(name).success ? backend.pipelines.get(name) : undefined;
  if (!p) throw new ApiError(404, "PipelineNotFound", `no pipeline named ${JSON.stringify(name)} (registered: ${[...backend.pipelines.keys()].join(", ") || "none"})`);
  return p;
}

/** Parses and validates a start body; 413 over 256 KiB, 400 for bad JSON (also nested too deep) or fields. */
export function parseStartBody(body: string | undefined): StartRunBody {
  const text = body ?? "";
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) throw new ApiError(413, "PayloadTooLarge", `request body is larger than ${MAX_BODY_BYTES} bytes`);
  const json: unknown = text.trim() === "" ? {} : parseJson(text);
  const parsed = StartRunBody.safeParse(json);
  if (!parsed.success) throw new ApiError(400, "BadRequest", `invalid request body: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

async function startRun(backend: RunsBackend, name: string, body: string | undefined): Promise<ApiResponse> {
  const pipeline = pipelineOf(backend, name);
  const request = parseStartBody(body);
  const given = { ...pipeline.defaults, ...request.parameters };
  // Validated before the repeat check, so a repeated request compares the same (defaulted, coerced) values.
  const parameters = backend.validate ? await backend.validate(name, given) : given;
  const run = { runId: request.runId ?? newRunId(), parameters, tag: request.tag ?? "" };
  const existing = await backend.runLog.getHeader(run.runId);
  if (existing) return repeat(backend, name, run, existing);
  try {
    const { executionArn } = await backend.start(name, run);
    return { status: 201, body: { runId: run.runId, executionArn, created: true } satisfies StartRunResponse };
  } catch (err) {
    // Lost a race with an identical (or conflicting) request for the same id.
    const header = err instanceof RunExistsError ? await backend.runLog.getHeader(run.runId) : undefined;
    if (header) return repeat(backend, name, run, header);
    throw err;
  }
}

async function repeat(backend: RunsBackend, name: string, run: { runId: string; parameters: Record<string, JsonValue>; tag: string }, header: RunHeader): Promise<ApiResponse> {
  const same = header.pipeline === name && header.tag === run.tag && canonicalJson(header.parameters) === canonicalJson(run.parameters);
  if (!same) {
    throw new ApiError(409, "RunExists", `run "${run.runId}" already exists (pipeline ${header.pipeline}) with a different request: choose another runId`);
  }
  const { executionArn } = await backend.resume(name, header);
  return { status: 200, body: { runId: run.runId, executionArn, created: false } satisfies StartRunResponse };
}

async function existingRun(backend: RunsBackend, runId: string): Promise<RunHeader> {
  if (!RunIdParam.safeParse(runId).success) throw new ApiError(400, "BadRequest", `run id ${JSON.stringify(runId)} is invalid: it must match ^[A-Za-z0-9_-]{1,80}$`);
  const header = await backend.runLog.getHeader(runId);
  if (!header) throw new ApiError(404, "RunNotFound", `run "${runId}" not found`);
  return header;
}

async function getRun(backend: RunsBackend, runId: string): Promise<ApiResponse> {
  await existingRun(backend, runId);
  const log: RunLog = await backend.runLog.readRunLog(runId);
  return { status: 200, body: log };
}

/**
 * `POST /runs/{runId}/retry`: a FAIL run is retried (202); a SUCCESS or RUNNING one is refused (409),
 * as `runnable retry` refuses them — a RUNNING run's execution may still record its steps.
 */
async function retryRun(backend: RunsBackend, runId: string): Promise<ApiResponse> {
  const header = await existingRun(backend, runId);
  if (!backend.retry) throw new ApiError(501, "NotImplemented", "this server does not retry runs");
  if (!backend.pipelines.has(header.pipeline)) throw new ApiError(409, "PipelineNotServed", `run "${runId}" is of pipeline ${header.pipeline}, which this API does not serve`);
  const { status } = await backend.runLog.readRunLog(runId);
  if (status === "SUCCESS") throw new ApiError(409, "RunSucceeded", `run "${runId}" already succeeded: nothing to retry`);
  if (status === "RUNNING") throw new ApiError(409, "RunRunning", `run "${runId}" is still RUNNING: retry it once it has ended (it ends FAIL when its execution fails or is stopped)`);
  const started = await backend.retry(header.pipeline, header);
  return { status: 202, body: { runId, ...started } satisfies RetryRunResponse };
}

/** Newest runs of one pipeline (`GET /pipelines/{name}/runs`), or of every pipeline (`GET /runs`, `?pipeline=` optional). */
async function listRuns(backend: RunsBackend, name: string | undefined, limitText: string | undefined): Promise<ApiResponse> {
  if (name !== undefined) pipelineOf(backend, name);
  const limit = ListLimit.safeParse(limitText);
  if (!limit.success) throw new ApiError(400, "BadRequest", `limit must be an integer from 1 to 100`);
  // Generated ids sort by creation time, supplied ids do not: read the headers of the newest
  // LIST_SCAN ids (bounded cost on a large bucket) and order those by their start time.
  const ids = (await backend.runLog.listRuns(name)).slice(-LIST_SCAN);
  const headers: RunHeader[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    const batch = await Promise.all(ids.slice(i, i + 25).map((id) => backend.runLog.getHeader(id)));
    headers.push(...batch.filter((h): h is RunHeader => h !== undefined && (name === undefined || h.pipeline === name)));
  }
  headers.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  const logs = await Promise.all(headers.slice(0, limit.data).map((h) => backend.runLog.readRunLog(h.runId)));
  const runs: RunSummary[] = logs.map((l) => ({ runId: l.runId, pipeline: l.pipeline, status: l.status, tag: l.tag, startedAt: l.startedAt, endedAt: l.endedAt, parameters: l.parameters }));
  return { status: 200, body: { runs } };
}
