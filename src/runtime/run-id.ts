import { randomBytes } from "node:crypto";
import { UsageError } from "../sdk/errors.js";
import { RUN_ID } from "../core/protocol.js";

let lastStamp = "";
let counter = 0;

/**
 * A new run id: `YYYYMMDD-HHMMSS-mmm-<seq><random>`, sortable by creation time (a per-process
 * counter orders ids made in the same millisecond), unique across processes (6 random hex chars),
 * and a valid Step Functions execution name.
 */
export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-28T12:34:56.789Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}-${iso.slice(20, 23)}`;
  if (stamp === lastStamp) counter++;
  else {
    lastStamp = stamp;
    counter = 0;
  }
  return `${stamp}-${counter.toString(36).padStart(3, "0")}${randomBytes(3).toString("hex")}`;
}

/** Checks a user-supplied run id; throws UsageError when it is not execution-name-safe. */
export function checkRunId(id: unknown): string {
  if (typeof id !== "string" || !RUN_ID.test(id)) {
    throw new UsageError(`run id ${JSON.stringify(id)} is invalid: it must match ${RUN_ID.source} (letters, digits, _ and -, at most 80)`);
  }
  return id;
}
