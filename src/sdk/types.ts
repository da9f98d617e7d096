/** Any value that survives a JSON round trip. Parameters and json/metric returns are JsonValues. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How a returned value is kept: in the run log (`json`, `metric`) or as a catalog object (`object`). */
export type ReturnKind = "json" | "object" | "metric";

/** A declared return of a task. Build with `json()`, `object()`, `metric()` or a bare string (json). */
export interface Return {
  readonly name: string;
  readonly kind: ReturnKind;
}

/** Retry policy of a task step. */
export interface RetryPolicy {
  /** Total attempts including the first one. Default 1 (no retry). Max 100. */
  attempts?: number;
  /** Seconds before the first retry. Default 1. */
  intervalSeconds?: number;
  /** Multiplier applied to the interval after each retry. Default 2. */
  backoffRate?: number;
  /** Upper bound of a single wait, in seconds. Default: unbounded. */
  maxDelaySeconds?: number;
}

/** Where a task runs when deployed: AWS Lambda (≤ 900 s) or AWS Batch on Fargate. */
export type Compute = "lambda" | "batch";

/** Where a deployed step reads a secret: AWS Secrets Manager or SSM Parameter Store. */
export type SecretStore = "secretsmanager" | "ssm";

/**
 * A secret a step needs, by the parameter name it is given as. Locally it comes from the
 * `RUNNABLE_SECRET_<name>` environment variable (or a `.env` file); deployed, from `from` (default
 * Secrets Manager) under `id` (default the name): a Secrets Manager secret name, or an SSM parameter
 * name such as `/prod/db/password`.
 */
/**
 * When a deployed pipeline runs by itself: an EventBridge Scheduler expression — `cron(minutes hours
 * day-of-month month day-of-week year)` or `rate(<n> minutes|hours|days)` — in `timezone` (IANA,
 * default UTC), with these run parameters (over the pipeline's parameters file). Checked when the
 * graph is built; `runnable serve --schedules` fires it locally.
 */
export interface ScheduleOptions {
  expression: string;
  parameters?: Record<string, JsonValue>;
  timezone?: string;
}

export interface SecretSpec {
  name: string;
  from?: SecretStore;
  id?: string;
}

/** Resources of a deployed task (checked against AWS's limits when the pipeline is built; see README "Deploy to AWS"). */
export interface Resources {
  /**
   * Memory in MiB. Lambda: 128–10,240, default 1024 (CPU grows with it). Batch on Fargate: one of the
   * sizes its vCPU takes; default the smallest one for `vcpu`, else 2048.
   */
  memoryMiB?: number;
  /** vCPUs, Batch only: 0.25, 0.5, 1, 2, 4, 8 or 16. Default: the smallest that takes `memoryMiB`, else 1. */
  vcpu?: number;
  /** Scratch space (`/tmp` on Lambda) in MiB. Lambda: 512–10,240, default 512. Batch: 21–200 GiB in whole GiB, default 20 GiB. */
  ephemeralStorageMiB?: number;
  /** CPU architecture. Lambda: "arm64" (default) or "x86_64". Batch: "x86_64" only (the job image is linux/amd64). */
  architecture?: "arm64" | "x86_64";
}

/** A function a FunctionTask calls: one object with every parameter in scope; may be async. */
// Users type their own parameter objects; `any` lets `({ x }: { x: number }) => …` be accepted.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StepFunction = (parameters: any) => unknown;

/** Step names: `^[A-Za-z][A-Za-z0-9_-]{0,63}$`. */
export const STEP_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Parameter (and return) names: `^[A-Za-z_][A-Za-z0-9_]*$`. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Branch keys of Parallel and Conditional: they become step-path segments. */
export const BRANCH_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Path segment reserved for onFailure pipelines. */
export const ON_FAILURE = "onFailure";
