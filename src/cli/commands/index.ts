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
    name: "logs", summary: "print a run's log as JSON (local, emulator, or with --remote from the runs API)",
    load: async () => (await import("./logs.js")).registerLogs,
  },
  {
    name: "retry", summary: "re-run a failed run: same pipeline file (refused if its graph changed), succeeded steps skipped",
    load: async () => (await import("./retry.js")).registerRetry,
  },
  { name: "graph", summary: "print the pipeline as a Mermaid flowchart", load: async () => (await import("./graph.js")).registerGraph },
  {
    name: "serve", summary: "serve the runs API locally (same routes as the deployed API), runs executed by the emulator",
    load: async () => (await import("./serve.js")).registerServe,
  },
  {
    name: "runs", summary: "start and inspect runs through the runs API (deployed, or `runnable serve`)",
    load: async () => (await import("./remote.js")).registerRemote,
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
