import { DefinitionError, UsageError, type Problem } from "../sdk/errors.js";

/** Exit codes of every command (Contract): 0 success, 1 run failed, 2 invalid pipeline or arguments. */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

/** Where a command writes. Injected so commands never touch `process` streams directly. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** true when stderr is an interactive terminal (live progress line). */
  readonly errIsTTY: boolean;
  /** Width of the terminal, so the live line never wraps (a wrapped line cannot be redrawn in place). */
  readonly columns?: number;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get errIsTTY() {
    // isTTY is undefined (not false) when stderr is a pipe, whatever the type says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
    return process.stderr.isTTY === true;
  },
  get columns() {
    return process.stderr.columns;
  },
};

// Names of errors that mean "your input is wrong, nothing ran". Matched by name as well as class so
// errors from another copy of the package (a user's node_modules) still map to exit code 2.
const INVALID_NAMES = new Set([
  "DefinitionError", "UsageError", "RunExistsError", "RunNotFoundError", "DagMismatchError", "runnable.DagMismatch",
]);

/** Exit code for an error that escaped a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof DefinitionError || error instanceof UsageError) return EXIT.invalid;
  if (error instanceof Error && INVALID_NAMES.has(error.name)) return EXIT.invalid;
  if (error instanceof Error && error.name === "YAMLParseError") return EXIT.invalid;
  return EXIT.failed;
}

/** One clear message; the stack only with --verbose. */
export function formatError(error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return `error: ${String(error)}\n`;
  const head = `error: ${error.message}\n`;
  // The stack's first line repeats the message: show only the frames.
  if (!verbose) return head;
  const frames = (e: Error) => (e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).join("\n");
  const cause = error.cause instanceof Error ? `\ncaused by ${error.cause.name}: ${error.cause.message}\n${frames(error.cause)}` : "";
  return head + frames(error) + cause + "\n";
}

/** Machine-readable codes of errors that escape a command (`--json`: `{ "error": { code, message, problems } }`). */
const CODES: Record<string, string> = {
  DefinitionError: "invalid-pipeline",
  ParameterError: "invalid-parameters",
  RunExistsError: "run-exists",
  RunNotFoundError: "run-not-found",
  UsageError: "invalid-arguments",
  YAMLParseError: "invalid-arguments",
};

/** The `--json` form of an error: on stdout, so a script reading stdout always gets one JSON document. */
export function errorJson(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const problems = (e as { problems?: unknown }).problems;
  const code = CODES[e.name] ?? (exitCodeOf(e) === EXIT.invalid ? "invalid-arguments" : "error");
  const body = { code, message: e.message, ...(Array.isArray(problems) ? { problems: problems as Problem[] } : {}) };
  return JSON.stringify({ error: body }, null, 2) + "\n";
}
