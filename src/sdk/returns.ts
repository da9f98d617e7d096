import type { Return } from "./types.js";

/** A return kept in the run log as JSON (the default for a bare string). */
export function json(name: string): Return {
  return Object.freeze({ name, kind: "json" as const });
}

/**
 * A return kept out of the run log: serialised with structured clone (v8) into the catalog and
 * restored for later steps, also across processes. Use it for models, Maps, Dates, typed arrays.
 */
export function object(name: string): Return {
  return Object.freeze({ name, kind: "object" as const });
}

/** A numeric (or JSON) return also recorded in the attempt's `metrics`. */
export function metric(name: string): Return {
  return Object.freeze({ name, kind: "metric" as const });
}

/** Normalises a bare string to a json return. */
export function toReturn(r: Return | string): Return {
  return typeof r === "string" ? json(r) : r;
}
