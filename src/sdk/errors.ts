import type { ERRORS } from "../core/protocol.js";

/** One problem found in a pipeline definition, located by its step path. */
export interface Problem {
  /** Definition path of the offending step ("" for the pipeline itself); map iterations appear as `*`. */
  path: string;
  /** Stable machine-readable code, e.g. `duplicate-name`. */
  code: string;
  message: string;
}

/** Base class of every error runnable-ts throws on purpose. */
export class RunnableError extends Error {
  override name = "RunnableError";
}

/** The pipeline definition is invalid; nothing ran. Carries every problem found. */
export class DefinitionError extends RunnableError {
  override name = "DefinitionError";
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(DefinitionError.format(problems));
    this.problems = problems;
  }
  static one(path: string, code: string, message: string): DefinitionError {
    return new DefinitionError([{ path, code, message }]);
  }
  private static format(problems: Problem[]): string {
    if (problems.length === 1) return where(problems[0]!);
    return `invalid pipeline (${problems.length} problems):\n` + problems.map((p) => `  - ${where(p)}`).join("\n");
  }
}

function where(p: Problem): string {
  return p.path ? `step "${p.path}": ${p.message}` : p.message;
}

/** Invalid user input outside the definition (arguments, parameters file, run id). Exit code 2. */
export class UsageError extends RunnableError {
  override name = "UsageError";
}

/** The run's parameters do not fit the pipeline's parameters schema. Exit code 2; `problems` name each parameter. */
export class ParameterError extends UsageError {
  override name = "ParameterError";
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.length === 1 ? problems[0]!.message : `invalid parameters (${problems.length} problems):\n${problems.map((p) => `  - ${p.message}`).join("\n")}`);
    this.problems = problems;
  }
}

/** A run with this id already exists (ids are never reused). Exit code 2. */
export class RunExistsError extends UsageError {
  override name = "RunExistsError";
  constructor(runId: string) {
    super(`run "${runId}" already exists: choose another --run-id, or use \`runnable retry ${runId}\``);
  }
}

/** No run with this id in the store. */
export class RunNotFoundError extends UsageError {
  override name = "RunNotFoundError";
  constructor(readonly runId: string, where: string) {
    super(`run "${runId}" not found in ${where}`);
  }
}

/** The ASL error names runnable-ts raises for a failed step (`ERRORS` in core/protocol.ts). */
export type StepErrorCode = (typeof ERRORS)[keyof typeof ERRORS];

/**
 * A step failed, with an error Step Functions' Retry/Catch (and the local executor) match on. `code`
 * is the ASL error name (`runnable.StepFailed`, `runnable.Timeout`, …) and `name` is the same string:
 * a Lambda reports an error by its name (`errorType`), and the run log records it as `error.name`.
 * Code deciding what a failure means checks `instanceof StepFailure` and `code`, never name strings.
 */
export class StepFailure extends RunnableError {
  readonly code: StepErrorCode;
  constructor(code: StepErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = code;
  }
}

/** A catalog name or path that could leave the working directory (or is otherwise unsafe). */
export class UnsafePathError extends RunnableError {
  override name = "UnsafePathError";
}
