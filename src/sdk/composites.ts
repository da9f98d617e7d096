import { checkName, checkParameterName, fail } from "./check.js";
import { Node, isPipeline } from "./node.js";
import type { Pipeline } from "./pipeline.js";
import { checkOnFailure } from "./tasks.js";
import { BRANCH_KEY, ON_FAILURE, type JsonValue } from "./types.js";

function checkBranches(step: string, branches: unknown, reserved: string[]): Readonly<Record<string, Pipeline>> {
  if (typeof branches !== "object" || branches === null || Array.isArray(branches)) {
    fail(step, "invalid-branches", "branches must be an object of { key: Pipeline }");
  }
  const out: Record<string, Pipeline> = {};
  for (const [key, value] of Object.entries(branches)) {
    if (!BRANCH_KEY.test(key) || reserved.includes(key)) {
      fail(step, "invalid-branch-key",
        `branch key ${JSON.stringify(key)} is invalid: it must match ${BRANCH_KEY.source} and not be ${reserved.map((r) => `"${r}"`).join(" or ")}`);
    }
    if (!isPipeline(value)) fail(`${step}.${key}`, "invalid-branch", `branch "${key}" must be a Pipeline (use step.asPipeline())`);
    out[key] = value;
  }
  return Object.freeze(out);
}

/** Options of a Parallel step. */
export interface ParallelOptions {
  /** Step name, unique within its pipeline. */
  name: string;
  /** Branches run concurrently, keyed by branch name; each sees the scope at the fork. */
  branches: Record<string, Pipeline>;
  /** Pipeline run when a branch fails. */
  onFailure?: Pipeline;
}

/** Runs branches concurrently; their returns merge into the scope after all succeed. */
export class Parallel extends Node {
  readonly kind = "parallel" as const;
  readonly branches: Readonly<Record<string, Pipeline>>;
  constructor(options: ParallelOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Parallel needs an options object");
    const name = checkName(options.name, "Parallel");
    super(name, checkOnFailure(name, options.onFailure));
    this.branches = checkBranches(name, options.branches, [ON_FAILURE]);
  }
}

/** Options of a Map step. */
export interface MapOptions {
  /** Step name, unique within its pipeline. */
  name: string;
  /** Name of a list parameter in scope to iterate over. */
  iterateOn: string;
  /** Name under which iteration i sees `list[i]`. */
  iterateAs: string;
  /** Pipeline run once per item. */
  branch: Pipeline;
  /** Folds the values a returned name took across iterations (index order). Default: the list itself. */
  reducer?: (values: JsonValue[]) => JsonValue;
  /** Iterations run at once. Default 10; at most 40 unless `distributed`. */
  maxConcurrency?: number;
  /** Compile to a Step Functions Distributed Map reading its items from S3 (large fan-outs). Default false. */
  distributed?: boolean;
  /**
   * Distributed only: the Map still succeeds while at most this percentage (0–100) of its iterations
   * fail (Step Functions' ToleratedFailurePercentage); failed iterations give `null` returns.
   * Default 0: one failed iteration fails the Map.
   */
  toleratedFailurePercentage?: number;
  /** Distributed only: the Map still succeeds while at most this many iterations fail (ToleratedFailureCount). Default 0. */
  toleratedFailureCount?: number;
  /** Pipeline run when an iteration fails. */
  onFailure?: Pipeline;
}

/** Runs a branch once per item of a list parameter; returned names are collected and reduced. */
export class MapNode extends Node {
  readonly kind = "map" as const;
  readonly iterateOn: string;
  readonly iterateAs: string;
  readonly branch: Pipeline;
  readonly reducer: ((values: JsonValue[]) => JsonValue) | undefined;
  readonly maxConcurrency: number;
  readonly distributed: boolean;
  readonly toleratedFailurePercentage: number | undefined;
  readonly toleratedFailureCount: number | undefined;
  constructor(options: MapOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Map needs an options object");
    const name = checkName(options.name, "Map");
    super(name, checkOnFailure(name, options.onFailure));
    this.iterateOn = checkParameterName(name, "iterateOn", options.iterateOn);
    this.iterateAs = checkParameterName(name, "iterateAs", options.iterateAs);
    if (!isPipeline(options.branch)) fail(name, "invalid-branch", "branch must be a Pipeline (use step.asPipeline())");
    this.branch = options.branch;
    if (options.reducer !== undefined && typeof options.reducer !== "function") {
      fail(name, "invalid-reducer", "reducer must be a function (values) => value");
    }
    this.reducer = options.reducer;
    this.distributed = options.distributed ?? false;
    const limit = this.distributed ? 10_000 : 40;
    const mc = options.maxConcurrency ?? 10;
    if (!Number.isInteger(mc) || mc < 1 || mc > limit) {
      fail(name, "invalid-max-concurrency", `maxConcurrency must be an integer from 1 to ${limit}, got ${mc}`);
    }
    this.maxConcurrency = mc;
    const { toleratedFailurePercentage: pct, toleratedFailureCount: cnt } = options;
    if (pct !== undefined && (typeof pct !== "number" || !Number.isFinite(pct) || pct < 0 || pct > 100)) {
      fail(name, "invalid-tolerated-failure", `toleratedFailurePercentage must be a number from 0 to 100, got ${String(pct)}`);
    }
    if (cnt !== undefined && (!Number.isInteger(cnt) || cnt < 0)) {
      fail(name, "invalid-tolerated-failure", `toleratedFailureCount must be an integer ≥ 0, got ${String(cnt)}`);
    }
    if ((pct !== undefined || cnt !== undefined) && !this.distributed) {
      fail(name, "invalid-tolerated-failure", "toleratedFailurePercentage/toleratedFailureCount need distributed: true (Step Functions tolerates failures in Distributed Maps only)");
    }
    this.toleratedFailurePercentage = pct;
    this.toleratedFailureCount = cnt;
  }
}

/** Options of a Conditional step. */
export interface ConditionalOptions {
  /** Name of the parameter whose `String(value)` selects the branch. */
  parameter: string;
  /** Step name, unique within its pipeline. */
  name: string;
  /** Branches keyed by the parameter's string value. */
  branches: Record<string, Pipeline>;
  /** Branch taken when no key matches. Without it, no match fails the run. */
  default?: Pipeline;
  /** Pipeline run when the chosen branch fails. */
  onFailure?: Pipeline;
}

/** Runs the branch selected by a parameter's value; its returns merge into the scope. */
export class Conditional extends Node {
  readonly kind = "conditional" as const;
  readonly parameter: string;
  readonly branches: Readonly<Record<string, Pipeline>>;
  readonly default: Pipeline | undefined;
  constructor(options: ConditionalOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Conditional needs an options object");
    const name = checkName(options.name, "Conditional");
    super(name, checkOnFailure(name, options.onFailure));
    this.parameter = checkParameterName(name, "parameter", options.parameter);
    this.branches = checkBranches(name, options.branches, [ON_FAILURE, "default"]);
    if (options.default !== undefined && !isPipeline(options.default)) {
      fail(name, "invalid-branch", "default must be a Pipeline (use step.asPipeline())");
    }
    this.default = options.default;
  }
}
