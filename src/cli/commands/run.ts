import { existsSync } from "node:fs";
import { Option, type Command } from "commander";
import { runPipeline } from "../../execute/index.js";
import { buildGraph } from "../../graph/index.js";
import { RUN_ID } from "../../core/protocol.js";
import { notebookParameters } from "../../runtime/notebook/preflight.js";
import { checkParametersFileSize, resolveParameters } from "../../runtime/parameters.js";
import { UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { defaultParametersFile, loadPipelineFile } from "../../load/index.js";
import { EXIT } from "../io.js";
import { loadMocks } from "../mocks.js";
import { collect, parametersHelp, parseAssignments } from "../parameters.js";
import { showRun, storeFlags } from "../result.js";
import { interruptible } from "../interrupt.js";

/** The pipeline's parameters, for `run <file> --help`. */
async function describeParameters(file: string): Promise<string> {
  const { pipeline, source, fallbackName } = await loadPipelineFile(file);
  const defaultsFile = defaultParametersFile(source);
  const defaults = defaultsFile ? resolveParameters({ parametersFile: defaultsFile, env: {} }) : {};
  const built = buildGraph(pipeline, { fallbackName });
  return parametersHelp(built.graph, file, defaults, await notebookParameters(built));
}

interface RunFlags {
  parameters?: string;
  param?: string[];
  mock?: string[];
  help?: boolean;
  mode: "local" | "emulator";
  runId?: string;
  tag?: string;
  root: string;
  json?: boolean;
  s3Endpoint?: string;
  bucket?: string;
  maxConcurrency?: string;
  isolate?: boolean;
}

/** `runnable run <file>`: load the pipeline, validate it, run it. With `--help`, list its parameters. */
export function registerRun(program: Command, ctx: CommandContext): void {
  const command = program
    .command("run")
    .description("run a pipeline file (its default export)")
    .argument("[file]", "pipeline file, e.g. examples/ml-pipeline/pipeline.ts")
    // Our own --help: with a file it also lists the pipeline's parameters.
    .helpOption(false)
    .option("-h, --help", "show this help; with a file, also the pipeline's parameters (types, defaults, descriptions)")
    .option("--parameters <file>", "YAML/JSON file of initial parameters (default: parameters.yaml beside the pipeline file, if any)")
    .option("--mock <step=file.ts:fn>", "run this function instead of the step (local mode; repeatable; or step=result.json for a fixed result); marked mocked in the run log", collect)
    .option("-p, --param <name=value>", "set a parameter (repeatable; parsed per the parameters schema, else as a YAML scalar); overrides the file and RUNNABLE_PRM_<name>", collect)
    .addOption(new Option("--mode <mode>", "where to run").choices(["local", "emulator"]).default("local"))
    .option("--run-id <id>", "run id (^[A-Za-z0-9_-]{1,80}$, must be new); default: generated, sortable by time")
    .option("--tag <tag>", "label recorded in the run log")
    .option("--root <dir>", "directory of run logs and catalogs", ".runnable")
    .option("--json", "print the RunResult (with its run log) as JSON on stdout")
    .option("--s3-endpoint <url>", "emulator mode: S3 endpoint to use (e.g. MinIO)")
    .option("--bucket <name>", "emulator mode: bucket name at --s3-endpoint")
    .option("--max-concurrency <n>", "Parallel branches / Map iterations at once (local mode)")
    .option("--isolate", "local mode: each step attempt in a fresh directory under <root>/work/<runId>, files only through the catalog (as on AWS)")
    .action(ctx.action(async (file: string | undefined, flags: RunFlags) => {
      if (flags.help) {
        ctx.io.out(command.helpInformation());
        if (file !== undefined) ctx.io.out(await describeParameters(file));
        return EXIT.ok;
      }
      if (file === undefined) throw new UsageError("missing required argument 'file': runnable run <file> (runnable run --help lists the options; with a file, its parameters)");
      // A parameters file over the size limit is refused before the pipeline is even loaded.
      if (flags.parameters !== undefined) checkParametersFileSize(flags.parameters);
      const assignments = parseAssignments(flags.param);
      const { pipeline, source, fallbackName } = await loadPipelineFile(file);
      // Validate before anything is created: a bad definition must leave no run behind.
      buildGraph(pipeline, { fallbackName });
      if (flags.runId !== undefined && !RUN_ID.test(flags.runId)) {
        throw new UsageError(`--run-id ${JSON.stringify(flags.runId)} is invalid: it must match ${RUN_ID.source}`);
      }
      if (flags.parameters !== undefined && !existsSync(flags.parameters)) {
        throw new UsageError(`--parameters: file ${flags.parameters} does not exist`);
      }
      if ((flags.s3Endpoint !== undefined || flags.bucket !== undefined) && flags.mode !== "emulator") {
        throw new UsageError("--s3-endpoint and --bucket only apply with --mode emulator");
      }
      const maxConcurrency = flags.maxConcurrency === undefined ? undefined : Number(flags.maxConcurrency);
      if (maxConcurrency !== undefined && !(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
        throw new UsageError(`--max-concurrency must be a positive integer, got ${flags.maxConcurrency}`);
      }
      const mocks = flags.mock?.length ? await loadMocks(flags.mock) : undefined;
      const parametersFile = flags.parameters ?? defaultParametersFile(source);
      return interruptible(ctx.io, (signal) => showRun(ctx.io, { json: flags.json === true, root: flags.root, storeFlags: storeFlags(flags), verbose: ctx.verbose === true, ...(ctx.cli ? { cli: ctx.cli } : {}) }, (onEvent) =>
        runPipeline(pipeline, {
          signal,
          mode: flags.mode,
          root: flags.root,
          source,
          fallbackName,
          onEvent,
          ...(parametersFile !== undefined ? { parametersFile } : {}),
          ...(Object.keys(assignments).length ? { assignments } : {}),
          ...(mocks ? { mocks } : {}),
          ...(flags.runId !== undefined ? { runId: flags.runId } : {}),
          ...(flags.tag !== undefined ? { tag: flags.tag } : {}),
          ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
          ...(flags.isolate ? { isolate: true } : {}),
          ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
          ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
        })));
    }));
}
