import type { Catalog } from "./catalog.js";
import {
  checkCatalog, checkCompute, checkName, checkReads, checkResources, checkRetry, checkReturns, checkSecretSpecs, checkTimeout, fail,
} from "./check.js";
import { Node, isPipeline } from "./node.js";
import type { Pipeline } from "./pipeline.js";
import type { Compute, Resources, RetryPolicy, Return, SecretSpec, StepFunction } from "./types.js";

/** Options shared by FunctionTask and ShellTask. */
export interface TaskOptions {
  /** Step name, unique within its pipeline. */
  name: string;
  /** Names bound from the step's result; bare strings are json(). Default none. */
  returns?: (Return | string)[];
  /** Files taken from / given to the run's catalog. Default none. */
  catalog?: Catalog;
  /** Pipeline run when the step fails after its retries. Default: the run fails. */
  onFailure?: Pipeline;
  /** Retry policy. Default: one attempt. */
  retry?: RetryPolicy;
  /** Time limit of one attempt, in seconds. Default: none locally, 900 on Lambda. */
  timeoutSeconds?: number;
  /** Where the step runs when deployed. Default "lambda". */
  compute?: Compute;
  /** Memory/vCPU when deployed. */
  resources?: Resources;
  /** Secrets the step is given as parameters (names, or `{ name, from, id }` for where they live on AWS). Default none. */
  secrets?: (string | SecretSpec)[];
}

export abstract class TaskBase extends Node {
  readonly returns: readonly Return[];
  readonly catalog: Catalog | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly timeoutSeconds: number | undefined;
  readonly compute: Compute;
  readonly resources: Resources | undefined;
  readonly secrets: readonly Required<SecretSpec>[] | undefined;

  protected constructor(options: TaskOptions, kind: string) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", `${kind} needs an options object`);
    const name = checkName(options.name, kind);
    super(name, checkOnFailure(name, options.onFailure));
    this.returns = Object.freeze(checkReturns(name, options.returns));
    this.catalog = checkCatalog(name, options.catalog);
    this.retry = checkRetry(name, options.retry);
    this.timeoutSeconds = checkTimeout(name, options.timeoutSeconds);
    this.compute = checkCompute(name, options.compute);
    this.resources = checkResources(name, options.resources);
    this.secrets = checkSecretSpecs(name, options.secrets);
  }
}

export function checkOnFailure(step: string, onFailure: unknown): Pipeline | undefined {
  if (onFailure === undefined) return undefined;
  if (!isPipeline(onFailure)) fail(step, "invalid-on-failure", "onFailure must be a Pipeline (use step.asPipeline() for one step)");
  return onFailure;
}

/** Options of a FunctionTask. */
export interface FunctionTaskOptions extends TaskOptions {
  /** The domain function, called with one object holding every parameter in scope. May be async. */
  function: StepFunction;
  /**
   * The parameters the function reads, when they cannot be inferred from its source (or to
   * override what is inferred): names, `"name?"` for one it can do without. Default: inferred from
   * the function's destructuring / member accesses; a function whose reads cannot be told is not checked.
   */
  reads?: string[];
}

/** A step that calls a TypeScript function in-process (locally) or in the step handler (deployed). */
export class FunctionTask extends TaskBase {
  readonly kind = "function" as const;
  readonly function: StepFunction;
  /** `reads` as given (undefined: inferred from the function). */
  readonly reads: readonly string[] | undefined;
  constructor(options: FunctionTaskOptions) {
    super(options, "FunctionTask");
    if (typeof options.function !== "function") fail(this.name, "invalid-function", "function must be a function");
    this.function = options.function;
    this.reads = checkReads(this.name, options.reads);
  }
}

/** Options of a ShellTask. */
export interface ShellTaskOptions extends TaskOptions {
  /**
   * Command run with `bash -c`. Parameters are environment variables of their own names — never
   * interpolated into the text. Returns: `name=value` lines written to the file `$RUNNABLE_OUTPUT`.
   */
  command: string;
}

/** A step that runs a shell command. */
export class ShellTask extends TaskBase {
  readonly kind = "shell" as const;
  readonly command: string;
  constructor(options: ShellTaskOptions) {
    super(options, "ShellTask");
    if (typeof options.command !== "string" || options.command.trim() === "") {
      fail(this.name, "invalid-command", "command must be a non-empty string");
    }
    this.command = options.command;
  }
}

/** Options of a Stub. */
export interface StubOptions {
  /** Step name, unique within its pipeline. */
  name: string;
  /** Names bound to null, so later steps that expect them still resolve. Default none. */
  returns?: (Return | string)[];
}

/** A placeholder step: records success, runs nothing. */
export class Stub extends Node {
  readonly kind = "stub" as const;
  readonly returns: readonly Return[];
  constructor(options: StubOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Stub needs an options object");
    const name = checkName(options.name, "Stub");
    super(name, undefined);
    this.returns = Object.freeze(checkReturns(name, options.returns));
  }
}
