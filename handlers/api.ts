import { SFNClient } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { z } from "zod";
import { type DeployedPipeline, awsBackend } from "../src/api/aws.js";
import { type RunsBackend, handleApiRequest } from "../src/api/routes.js";
import type { RootGraph } from "../src/graph/types.js";
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

/** What the CDK stack embeds per pipeline. */
export interface EmbeddedPipeline {
  graph: RootGraph;
  defaults: Record<string, JsonValue>;
}

const StateMachines = z.record(z.string(), z.string().startsWith("arn:"));

/** Builds the registered pipelines from the embedded graphs and the ARN map; only names in both are served. */
export function deployedPipelines(embedded: Record<string, EmbeddedPipeline>, arnsJson: string | undefined): Map<string, DeployedPipeline> {
  const arns = StateMachines.safeParse(JSON.parse(arnsJson ?? "{}"));
  if (!arns.success) throw new Error(`${STATE_MACHINES_ENV} must be a JSON object of pipeline name → state machine ARN`);
  const out = new Map<string, DeployedPipeline>();
  for (const [name, e] of Object.entries(embedded)) {
    const arn = arns.data[name];
    if (arn) out.set(name, { name, graph: e.graph, defaults: e.defaults, stateMachineArn: arn });
  }
  return out;
}

/** Translates an API Gateway proxy event into the shared router and back. */
export async function handleProxyEvent(backend: RunsBackend, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const body = event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  const query: Record<string, string | undefined> = { ...(event.queryStringParameters ?? {}) };
  const res = await handleApiRequest(backend, { method: event.httpMethod, path: event.path, query, body });
  return { statusCode: res.status, headers: { "content-type": "application/json" }, body: JSON.stringify(res.body) };
}

/** The Lambda handler for the given embedded pipelines; clients and stores are made once per container. */
export function makeApiHandler(embedded: Record<string, EmbeddedPipeline>): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  let backend: RunsBackend | undefined;
  return (event) => {
    backend ??= awsBackend(deployedPipelines(embedded, process.env[STATE_MACHINES_ENV]), pipelineStoresFromEnv(), new SFNClient({}));
    return handleProxyEvent(backend, event);
  };
}
