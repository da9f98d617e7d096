import { createHash } from "node:crypto";
import { DefinitionError } from "../../sdk/errors.js";

/** Step Functions' limit on state names. */
export const MAX_STATE_NAME = 80;
/** Characters of a long path kept before the hash. */
const HEAD = 20;

/** What a state does for its step; recorded in `CompileResult.states` and shown by `--explain`. */
export type StateRole =
  | "run-start" | "run-succeeded" | "run-failed" | "run-fail"
  | "task" | "stub" | "node-end" | "node-failed" | "raise"
  | "parallel" | "map-start" | "map-empty" | "map-too-large" | "map-chunks" | "map" | "map-chunk" | "map-range" | "map-each"
  | "conditional-start" | "choice" | "no-branch";

export interface StateInfo {
  /** Definition path of the step the state belongs to ("" for run-level states). */
  stepPath: string;
  role: StateRole;
}

/**
 * Readable, stable state names. A step's states are named after its definition path with the Map
 * segment "*" spelled "each" (`fanout.each.score`); helper states add a suffix after "@", a
 * character step names cannot hold, so they never collide with a step's own state. Names longer
 * than 80 characters keep the head and tail of the path (the leaf step name is the telling part)
 * around a short hash of the full name, between "+" (not a step-name character either), so the
 * same pipeline always gets the same names.
 */
export class StateNamer {
  private readonly owners = new Map<string, StateInfo>();

  /** The name of a state, without registering it. */
  name(stepPath: string, suffix = ""): string {
    const base = stepPath === "" ? "@run" : stepPath.split(".").map((s) => (s === "*" ? "each" : s)).join(".");
    const full = base + suffix;
    if (full.length <= MAX_STATE_NAME) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 10);
    const room = MAX_STATE_NAME - suffix.length - hash.length - 2;
    const head = Math.min(HEAD, room);
    return `${base.slice(0, head)}+${hash}+${base.slice(base.length - (room - head))}${suffix}`;
  }

  /** Registers a state name for a step; two different states with one name are a DefinitionError. */
  claim(name: string, info: StateInfo): string {
    const owner = this.owners.get(name);
    if (owner) {
      throw DefinitionError.one(info.stepPath, "state-name-collision",
        `state name "${name}" (${info.role}) is already used by step "${owner.stepPath}" (${owner.role})`);
    }
    if (name.length > MAX_STATE_NAME) {
      throw DefinitionError.one(info.stepPath, "state-name-too-long", `state name "${name}" is longer than ${MAX_STATE_NAME} characters`);
    }
    this.owners.set(name, info);
    return name;
  }

  /** What a registered state belongs to. */
  info(name: string): StateInfo | undefined {
    return this.owners.get(name);
  }
}
