import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { RootGraph } from "../graph/types.js";
import type { JsonValue } from "../sdk/types.js";
import { createRun } from "../runtime/index.js";
import { RunNotFoundError } from "../sdk/errors.js";
import type { RunLog } from "../sdk/runlog.js";
import { runKeys } from "../store/runlog.js";
import type { RunHeader, Stores } from "../store/types.js";
import type { RunsBackend } from "./routes.js";
import type { RegisteredPipeline } from "./schema.js";
import { executionArnOf, retryOnAws } from "./aws-retry.js";

/** A deployed pipeline as the API Lambda sees it: its graph (embedded at synth time) and its state machine. */
export interface DeployedPipeline extends RegisteredPipeline {
  graph: RootGraph;
  stateMachineArn: string;
  /**
   * Validates parameters with the pipeline's schema — which lives in the pipeline module, bundled
   * only in its step Lambda, so this asks that Lambda. Needed when `graph.parameters` is set.
   */
  validateParameters?: (parameters: Record<string, JsonValue>) => Promise<Record<string, JsonValue>>;
}

export { executionArnOf } from "./aws-retry.js";

/** The stores of one pipeline's key scope (`<prefix>pipelines/<name>/`, see src/store/keys.ts). */
export type StoresOf = (pipeline: string) => Stores;

/**
 * The run logs of several pipelines, each in its own key scope, seen as one: a run id is looked up
 * in every scope (the API serves `GET /runs/{runId}` without a pipeline name). Ids are unique
 * across pipelines because the API refuses one that any pipeline has; should two first requests
 * for one id reach two pipelines at the same instant, the older run is the one answered.
 */
export class PipelineRunLogs {
  constructor(private readonly names: readonly string[], private readonly storesOf: StoresOf) {}

  private async find(runId: string): Promise<{ pipeline: string; header: RunHeader } | undefined> {
    const found = await Promise.all(this.names.map(async (pipeline) => ({ pipeline, header: await this.storesOf(pipeline).runLog.getHeader(runId) })));
    const hits = found.filter((f): f is { pipeline: string; header: RunHeader } => f.header !== undefined);
    hits.sort((a, b) => (a.header.startedAt < b.header.startedAt ? -1 : a.header.startedAt > b.header.startedAt ? 1 : 0));
    return hits[0];
  }

  async getHeader(runId: string): Promise<RunHeader | undefined> {
    return (await this.find(runId))?.header;
  }

  async readRunLog(runId: string): Promise<RunLog> {
    const hit = await this.find(runId);
    if (!hit) throw new RunNotFoundError(runId, "the runs API's bucket");
    return this.storesOf(hit.pipeline).runLog.readRunLog(runId);
  }

  /** Run ids of one pipeline (or of all), sorted. */
  async listRuns(pipeline?: string): Promise<string[]> {
    const names = pipeline === undefined ? this.names : this.names.filter((n) => n === pipeline);
    return (await Promise.all(names.map((n) => this.storesOf(n).runLog.listRuns()))).flat().sort();
  }
}

/**
 * The AWS backend of the runs API: the run header goes to S3 first (so the run log exists from the
 * first moment and the step handler finds the parameters), then StartExecution with name = runId and
 * input `{ runId }`. StartExecution is itself idempotent for a running execution with the same name
 * and input; `ExecutionAlreadyExists` (closed execution) means it was started before — also fine.
 */
export function awsBackend(pipelines: ReadonlyMap<string, DeployedPipeline>, storesOf: StoresOf, sfn: Pick<SFNClient, "send">): RunsBackend {
  async function startExecution(p: DeployedPipeline, runId: string): Promise<{ executionArn: string }> {
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: p.stateMachineArn, name: runId, input: JSON.stringify({ runId }) }));
      return { executionArn: out.executionArn ?? executionArnOf(p.stateMachineArn, runId) };
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists || (err as Error).name === "ExecutionAlreadyExists") return { executionArn: executionArnOf(p.stateMachineArn, runId) };
      throw err;
    }
  }
  const get = (name: string): DeployedPipeline => {
    const p = pipelines.get(name);
    if (!p) throw new Error(`pipeline ${name} is not registered`);
    return p;
  };
  return {
    pipelines,
    runLog: new PipelineRunLogs([...pipelines.keys()], storesOf),
    async validate(name, parameters) {
      const p = get(name);
      if (!p.graph.parameters) return parameters;
      if (!p.validateParameters) throw new Error(`pipeline ${name} has a parameters schema but this API has no step Lambda to validate with`);
      return p.validateParameters(parameters);
    },
    async start(name, run) {
      const p = get(name);
      const stores = storesOf(name);
      // The header needs the graph only (name, dagHash, parameter-flow checks), never the functions;
      // the parameters were validated by `validate` (routes call it first).
      // mode "aws": the run executes the deployed state machine (`runnable serve` records "emulator"); `runnable retry` refuses it.
      await createRun(stores, {
        built: { graph: p.graph, nodes: new Map() }, parameters: run.parameters, parametersValidated: true, runId: run.runId, tag: run.tag, mode: "aws",
      });
      return startExecution(p, run.runId);
    },
    // A repeated identical request may follow a crash between the header write and StartExecution:
    // start it then. Once the execution has recorded its start it is never started again (Step
    // Functions forgets execution names after 90 days; an old run must not be re-run by a retry).
    async resume(name, header) {
      const p = get(name);
      const started = (await storesOf(name).blob.list(`${runKeys.run(header.runId)}executions/`)).length > 0;
      return started ? { executionArn: executionArnOf(p.stateMachineArn, header.runId) } : startExecution(p, header.runId);
    },
    retry: (name, header) => retryOnAws(get(name), storesOf(name), sfn, header),
  };
}
