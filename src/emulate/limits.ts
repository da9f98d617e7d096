import type { Json } from "./definition.js";

/** Step Functions' limit on a state's input, output, and an execution's input: 256 KiB of UTF-8 JSON. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/**
 * "No Task timeout" (AWS's default) for the interpreter, which otherwise applies 60 s. ASL allows
 * 99,999,999 s, but the interpreter's setTimeout overflows past 2^31-1 ms (and then fires at once).
 */
export const NO_TASK_TIMEOUT_SECONDS = 2_147_483;

export function payloadBytes(value: Json | undefined): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** The terminal error Step Functions raises for an oversized payload; `States.ALL` does not catch it. */
export class DataLimitExceeded extends Error {
  constructor(what: string, bytes: number) {
    super(`${what} is ${bytes} bytes, over the Step Functions limit of ${PAYLOAD_LIMIT_BYTES} bytes (256 KiB)`);
    this.name = "States.DataLimitExceeded";
  }
}

/** Throws DataLimitExceeded when `value` is over the limit. */
export function checkPayload(value: Json | undefined, what: string): void {
  const bytes = payloadBytes(value);
  if (bytes > PAYLOAD_LIMIT_BYTES) throw new DataLimitExceeded(what, bytes);
}
