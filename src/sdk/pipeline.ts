import { callerFile } from "./caller.js";
import { checkSecretSpecs, fail } from "./check.js";
import { type Node, PIPELINE_BRAND, isNode, setPipelineFactory } from "./node.js";
import type { ExecuteOptions, RunResult } from "./runlog.js";
import type { ScheduleOptions, SecretSpec } from "./types.js";
import { isStandardSchema, type StandardSchemaV1 } from "./schema.js";

/** Options of a Pipeline. */
export interface PipelineOptions {
  /** Steps, run in order. */
  steps: Node[];
  /** Name shown in run logs and used for the deployed state machine. Default: the file's folder name, else "pipeline". */
  name?: string;
  /** Secrets every task of this pipeline (and of its branches) is given, as a task's `secrets`. Default none. */
  secrets?: (string | SecretSpec)[];
  /**
   * Local runs: every step attempt works in a fresh, empty directory (removed after it), so files
   * move between steps only through the catalog — as on Lambda/Batch — and concurrent runs in one
   * directory never see each other's files. In-process functions then take turns. Default false;
   * `execute({ isolate })` and `runnable run|retry --isolate` override it. Not part of the graph.
   */
  isolate?: boolean;
  /**
   * The run's parameters as a Standard Schema (zod, valibot, arktype, …) of an object: validated —
   * defaults applied, text from `-p`/`RUNNABLE_PRM_` coerced — before anything runs; the schema's
   * output is what the steps see. Default: none (parameters are taken as given).
   */
  parameters?: StandardSchemaV1;
  /** Runs started by a schedule once deployed (and by `runnable serve --schedules`). Not part of the dagHash. */
  schedule?: ScheduleOptions;
}

/** Runs a pipeline; registered by the package entry so the SDK itself stays free of fs/AWS imports. */
export type PipelineRunner = (pipeline: Pipeline, options: ExecuteOptions) => Promise<RunResult>;
let runner: PipelineRunner | undefined;

export function setPipelineRunner(run: PipelineRunner): void {
  runner = run;
}

/** An ordered list of steps. The default export of a pipeline file. */
export class Pipeline {
  readonly [PIPELINE_BRAND] = true;
  readonly steps: readonly Node[];
  readonly name: string | undefined;
  /** See PipelineOptions.isolate. */
  readonly isolate: boolean;
  readonly secrets: readonly Required<SecretSpec>[] | undefined;
  /** The parameters schema, if any. */
  readonly parameters: StandardSchemaV1 | undefined;
  /** See PipelineOptions.schedule (checked when the graph is built, where the pipeline's name is known). */
  readonly schedule: ScheduleOptions | undefined;
  /**
   * The file that constructed this Pipeline (absolute path), taken from the call stack; undefined
   * when it cannot be told. `execute({ mode: "emulator" })` and `runnable retry` import it again.
   */
  readonly source: string | undefined;

  constructor(options: PipelineOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Pipeline needs an options object");
    if (!Array.isArray(options.steps)) fail("", "invalid-steps", "Pipeline steps must be an array of steps");
    options.steps.forEach((s, i) => {
      if (!isNode(s)) fail("", "invalid-steps", `Pipeline steps[${i}] is not a step (FunctionTask, ShellTask, Parallel, …)`);
    });
    if (options.name !== undefined && (typeof options.name !== "string" || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(options.name))) {
      fail("", "invalid-name", `Pipeline name ${JSON.stringify(options.name)} is invalid: it must match ^[A-Za-z][A-Za-z0-9_-]{0,63}$`);
    }
    if (options.parameters !== undefined && !isStandardSchema(options.parameters)) {
      fail("", "invalid-parameters-schema", "Pipeline parameters must be a Standard Schema (e.g. a zod, valibot or arktype object schema): it has no ~standard.validate");
    }
    this.steps = Object.freeze([...options.steps]);
    if (options.isolate !== undefined && typeof options.isolate !== "boolean") fail("", "invalid-options", "Pipeline isolate must be true or false");
    this.name = options.name;
    this.isolate = options.isolate === true;
    this.secrets = checkSecretSpecs(options.name ?? "", options.secrets);
    this.parameters = options.parameters;
    this.schedule = options.schedule;
    this.source = callerFile();
  }

  /** Runs the pipeline (locally by default) and resolves to its result, also when it fails. */
  execute(options: ExecuteOptions = {}): Promise<RunResult> {
    if (!runner) throw new Error("runnable-ts: import the pipeline classes from \"runnable-ts\" to execute");
    return runner(this, options);
  }
}

setPipelineFactory((steps) => new Pipeline({ steps }));
