import type { StepError } from "../sdk/runlog.js";
import type { JsonValue } from "../sdk/types.js";

/**
 * Size limits on what enters a run, checked before the work that would suffer from it: parameters
 * and returns are JSON kept in the run log and handed to every later step, so big data belongs in
 * the catalog (files, streamed, hashed) or in `object()` returns — never in parameters.
 */

const MiB = 1024 * 1024;

/** Default largest parameters file (`--parameters`, `parameters.yaml`). */
export const DEFAULT_MAX_PARAMETERS_BYTES = MiB;

/** Environment variable that raises (or lowers) the parameters-file limit, in bytes. */
export const MAX_PARAMETERS_ENV = "RUNNABLE_MAX_PARAMETERS_BYTES";

/** Largest `$RUNNABLE_OUTPUT` file a shell step may write. */
export const MAX_OUTPUT_FILE_BYTES = MiB;

/** Largest JSON of one attempt's returns (json and metric values; object() returns are references). */
export const MAX_RETURNS_BYTES = MiB;

/** Largest JSON of the input parameters an attempt's record keeps (larger values are abbreviated). */
export const MAX_RECORDED_INPUT_BYTES = 256 * 1024;

/** Longest error message or stack kept in an attempt's record. */
export const MAX_ERROR_CHARS = 8 * 1024;

/** The parameters-file limit in force: `RUNNABLE_MAX_PARAMETERS_BYTES` when set to a positive integer. */
export function maxParametersBytes(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[MAX_PARAMETERS_ENV];
  if (text === undefined || text === "") return DEFAULT_MAX_PARAMETERS_BYTES;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${MAX_PARAMETERS_ENV} must be a positive number of bytes, got ${JSON.stringify(text)}`);
  return n;
}

/** "1 MiB", "47.6 MB"-style sizes for messages. */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0 && n < MiB) return `${n / 1024} KiB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

/** Throws when the returns of an attempt are larger than MAX_RETURNS_BYTES as JSON. */
export function checkReturnsSize(step: string, outputs: Record<string, JsonValue>, metrics: Record<string, JsonValue>): void {
  const bytes = Buffer.byteLength(JSON.stringify(outputs)) + Buffer.byteLength(JSON.stringify(metrics));
  if (bytes <= MAX_RETURNS_BYTES) return;
  const sizes = Object.entries(outputs).map(([k, v]) => [k, Buffer.byteLength(JSON.stringify(v))] as const).sort((a, b) => b[1] - a[1]);
  throw new Error(`step "${step}": its returns are ${formatBytes(bytes)} as JSON (largest: "${sizes[0]?.[0]}", ${formatBytes(sizes[0]?.[1] ?? 0)}); ` +
    `a step's returns are kept in the run log and limited to ${formatBytes(MAX_RETURNS_BYTES)}: ` +
    "return big values with object() (stored in the catalog) or write them to a file the catalog stores");
}

/**
 * The input parameters as the attempt's record keeps them: when their JSON is over
 * MAX_RECORDED_INPUT_BYTES, the largest values are replaced by `{"$omitted": "<size> (run-log limit)"}`
 * until it fits. What the step received is unchanged — this is the record only (the run header
 * and earlier steps' records hold the full values).
 */
export function boundInputs(inputs: Record<string, JsonValue>): Record<string, JsonValue> {
  const sizes = Object.entries(inputs).map(([k, v]) => [k, Buffer.byteLength(JSON.stringify(v) ?? "")] as const);
  let total = sizes.reduce((sum, [, n]) => sum + n, 0);
  if (total <= MAX_RECORDED_INPUT_BYTES) return inputs;
  const out = { ...inputs };
  for (const [name, bytes] of [...sizes].sort((a, b) => b[1] - a[1])) {
    if (total <= MAX_RECORDED_INPUT_BYTES) break;
    out[name] = { $omitted: `${formatBytes(bytes)} (run-log limit)` };
    total -= bytes;
  }
  return out;
}

/** The error with message and stack cut to MAX_ERROR_CHARS (a step can throw any text). */
export function boundError(error: StepError): StepError {
  const cut = (text: string): string => text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS)}… (${text.length - MAX_ERROR_CHARS} more characters)`;
  return { name: cut(error.name), message: cut(error.message), ...(error.stack !== undefined ? { stack: cut(error.stack) } : {}) };
}
