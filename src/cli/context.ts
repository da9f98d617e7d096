import type { Command } from "commander";
import type { CliIo } from "./io.js";

/** What every command module receives when main.ts registers it. */
export interface CommandContext {
  io: CliIo;
  /** `--verbose` was given: stack traces of errors and failed steps. */
  verbose?: boolean;
  /** How to name the CLI in hints the user pastes ("npx runnable", …; see invocation.ts). Default "runnable". */
  cli?: string;
  /** Wraps an async action: the number it resolves to becomes the exit code; errors reach main(). */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void>;
}

/** A command file's export: adds one command (or a group) to the program. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;
