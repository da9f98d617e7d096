import type { RegisterCommand } from "../context.js";

/**
 * Every command of the CLI: its name, the one-line summary `runnable --help` lists, and the module
 * that defines it. A command's module (and what it imports) is loaded only when that command runs
 * or its own help is asked for, so `runnable --help` and every command start without the others.
 * Add a command: a file in this folder exporting a RegisterCommand, and one entry here (the summary
 * must equal the command's `.description()`; a test checks it).
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<RegisterCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: "run", summary: "run a pipeline file (its default export)", load: async () => (await import("./run.js")).registerRun },
  {
    name: "check", summary: "check a pipeline without running it: definition, parameters, and what each step reads ← who provides it",
    load: async () => (await import("./check.js")).registerCheck,
  },
  {
    name: "logs", summary: "show a run: steps in run order with status, attempts, duration, returns, errors (--json: the run log)",
    load: async () => (await import("./logs.js")).registerLogs,
  },
  {
    name: "retry", summary: "re-run a failed run: same pipeline file (refused if its graph changed), succeeded steps skipped",
    load: async () => (await import("./retry.js")).registerRetry,
  },
  { name: "graph", summary: "draw the pipeline: Mermaid flowchart (default), Graphviz dot, or SVG", load: async () => (await import("./graph.js")).registerGraph },
  {
    name: "serve", summary: "serve the runs API locally (same routes as the deployed API), runs executed by the emulator",
    load: async () => (await import("./serve.js")).registerServe,
  },
  {
    name: "runs", summary: "list and compare runs (local, emulator); start and inspect them through the runs API",
    load: async () => {
      // One group, two files: the remote subcommands, and the local list/compare.
      const [{ registerRemote }, { registerRuns }] = await Promise.all([import("./remote.js"), import("./runs.js")]);
      return (program, ctx) => {
        registerRemote(program, ctx);
        registerRuns(program, ctx);
      };
    },
  },
  { name: "ui", summary: "open the web UI: runs, live DAG and timeline, step details, run comparison", load: async () => (await import("./ui.js")).registerUi },
  {
    name: "cost", summary: "estimate what a run costs on AWS (and on Metaflow's one-Batch-job-per-step model)",
    load: async () => (await import("./cost.js")).registerCost,
  },
  {
    name: "init", summary: "create a project: pipeline, parameters, tsconfig, CDK app (never overwrites files)",
    load: async () => (await import("./init.js")).registerInit,
  },
  {
    name: "compile", summary: "compile the pipeline to an AWS Step Functions definition (ASL JSON)",
    load: async () => (await import("./compile.js")).registerCompile,
  },
];

/**
 * The command an argument list names (`runnable [--verbose] <command> …`, `runnable help <command>`),
 * or undefined for the overview (`runnable`, `runnable --help`) and unknown names.
 */
export function commandOf(args: readonly string[]): CommandEntry | undefined {
  const words = args.filter((a) => !a.startsWith("-"));
  const name = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}
