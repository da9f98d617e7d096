import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { z } from "zod";
import { type DeployedPipeline, awsBackend } from "../src/api/aws.js";
import { type ApiResponse, type RunsBackend, handleApiRequest } from "../src/api/routes.js";
import { type ScheduledRunEvent, isScheduledRunEvent, startScheduledRun } from "../src/api/schedules.js";
import type { RootGraph } from "../src/graph/types.js";
import { fromValidateAnswer, type ValidateParametersEvent } from "../src/runtime/typed-parameters.js";
import type { JsonValue } from "../src/sdk/types.js";
import { ENV, pipelineStoresFromEnv } from "./shared.js";

/**
 * The API Lambda behind the REST API (IAM auth): `POST /pipelines/{name}/runs`,
 * `GET /pipelines/{name}/runs`, `GET /runs/{runId}` — the routes of `src/api/routes.ts`, shared with
 * `runnable serve`. It never runs user code: the pipelines' graphs are embedded by the CDK stack at
 * synth time; their state machine ARNs come from `RUNNABLE_STATE_MACHINES` (JSON name → ARN).
 */

/** Environment variable holding the JSON map pipeline name → state machine ARN. */
export const STATE_MACHINES_ENV = ENV.stateMachines;
/** Environment variable holding the JSON map pipeline name → step Lambda ARN, for pipelines with a parameters schema. */
export const STEP_FUNCTIONS_ENV = "RUNNABLE_STEP_FUNCTIONS";

/** Calls a step Lambda with an event and resolves to its JSON answer. */
export type InvokeJson = (functionArn: string, event: unknown) => Promise<unknown>;

/** What the CDK stack embeds per pipeline. */
export interface EmbeddedPipeline {
  graph: RootGraph;
  defaults: Record<string, JsonValue>;
}

const Arns = z.record(z.string(), z.string().startsWith("arn:"));

/**
 * Builds the registered pipelines from the embedded graphs and the ARN maps; only names in both the
 * graphs and the state machines are served. A pipeline with a parameters schema validates through
 * its step Lambda (`stepFunctionsJson`, called with `invoke`).
 */
export function deployedPipelines(
  embedded: Record<string, EmbeddedPipeline>, arnsJson: string | undefined, stepFunctionsJson?: string, invoke?: InvokeJson,
): Map<string, DeployedPipeline> {
  const arns = Arns.safeParse(JSON.parse(arnsJson ?? "{}"));
  if (!arns.success) throw new Error(`${STATE_MACHINES_ENV} must be a JSON object of pipeline name → state machine ARN`);
  const steps = Arns.safeParse(JSON.parse(stepFunctionsJson ?? "{}"));
  if (!steps.success) throw new Error(`${STEP_FUNCTIONS_ENV} must be a JSON object of pipeline name → step Lambda ARN`);
  const out = new Map<string, DeployedPipeline>();
  for (const [name, e] of Object.entries(embedded)) {
    const arn = arns.data[name];
    if (!arn) continue;
    const stepArn = steps.data[name];
    const validateParameters = stepArn && invoke
      ? async (parameters: Record<string, JsonValue>) => fromValidateAnswer(await invoke(stepArn, { runnable: "validateParameters", parameters } satisfies ValidateParametersEvent))
      : undefined;
    out.set(name, { name, graph: e.graph, defaults: e.defaults, stateMachineArn: arn, ...(validateParameters ? { validateParameters } : {}) });
  }
  return out;
}

/** Invokes a Lambda synchronously and parses its JSON answer; a function error becomes an Error. */
export function lambdaInvoker(client: Pick<LambdaClient, "send">): InvokeJson {
  return async (functionArn, event) => {
    const out = await client.send(new InvokeCommand({ FunctionName: functionArn, Payload: new TextEncoder().encode(JSON.stringify(event)) }));
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "null";
    if (out.FunctionError) throw new Error(`step Lambda failed to validate the parameters: ${text.slice(0, 500)}`);
    return JSON.parse(text) as unknown;
  };
}

/** Translates an API Gateway proxy event into the shared router and back. */
export async function handleProxyEvent(backend: RunsBackend, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const body = event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  const query: Record<string, string | undefined> = { ...(event.queryStringParameters ?? {}) };
  const res = await handleApiRequest(backend, { method: event.httpMethod, path: event.path, query, body });
  return { statusCode: res.status, headers: { "content-type": "application/json" }, body: JSON.stringify(res.body) };
}

/**
 * A scheduled run (EventBridge Scheduler's event, see src/api/schedules.ts): started like
 * `POST /pipelines/{name}/runs`; one log line says what happened. A refusal (4xx) is logged, not
 * thrown — the same event would be refused again —; a 5xx throws, so the scheduler retries.
 */
export async function handleScheduledEvent(backend: RunsBackend, graphs: ReadonlyMap<string, RootGraph>, event: ScheduledRunEvent): Promise<ApiResponse> {
  const res = await startScheduledRun(backend, graphs, event);
  console.log(JSON.stringify({ schedule: event.pipeline, scheduledTime: event.scheduledTime, status: res.status, body: res.body }));
  return res;
}

/** The Lambda handler for the given embedded pipelines; clients and stores are made once per container. */
export function makeApiHandler(embedded: Record<string, EmbeddedPipeline>): (event: APIGatewayProxyEvent | ScheduledRunEvent) => Promise<APIGatewayProxyResult | ApiResponse> {
  let backend: RunsBackend | undefined;
  const graphs = new Map(Object.entries(embedded).map(([name, e]) => [name, e.graph]));
  return (event) => {
    backend ??= awsBackend(
      deployedPipelines(embedded, process.env[STATE_MACHINES_ENV], process.env[STEP_FUNCTIONS_ENV], lambdaInvoker(new LambdaClient({}))),
      pipelineStoresFromEnv(), new SFNClient({}),
    );
    return isScheduledRunEvent(event) ? handleScheduledEvent(backend, graphs, event) : handleProxyEvent(backend, event);
  };
}
