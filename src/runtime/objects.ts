import { deserialize, serialize } from "node:v8";
import type { JsonValue } from "../sdk/types.js";
import type { Scope, StepContext } from "./context.js";

/**
 * `object()` returns live in the catalog (v8-serialised); the run log and the scope hold a
 * reference `{"$object": "<ref>"}` (plus `"$index"` for one item of a Map over an object list).
 * References only ever appear as top-level scope values, so finding them costs one pass over names.
 */
export interface ObjectRef {
  $object: string;
  $index?: number;
}

export function isObjectRef(value: unknown): value is ObjectRef {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    && typeof (value as Record<string, unknown>).$object === "string";
}

/** Structured clone to bytes, with a message naming the step and return on values v8 cannot clone. */
export function serialiseObject(step: string, name: string, value: unknown): Uint8Array {
  try {
    return serialize(value);
  } catch (e) {
    throw new Error(`step "${step}": return "${name}" cannot be stored as object(): ${(e as Error).message}`);
  }
}

/** Stores an object() value for a step and returns the reference that goes into the scope. */
export async function storeObject(ctx: StepContext, runId: string, stepPath: string, name: string, value: unknown): Promise<ObjectRef> {
  const bytes = serialiseObject(stepPath, name, value);
  const ref = await ctx.stores.catalog.putObject(runId, stepPath, name, bytes);
  ctx.objectCache?.set(ref, bytes);
  return { $object: ref };
}

/** Fetches the bytes of every reference among the given values (once per context), so materialising is synchronous. */
export async function prefetchObjects(ctx: StepContext, runId: string, values: Iterable<JsonValue>): Promise<Map<string, Uint8Array>> {
  const cache = ctx.objectCache ?? new Map<string, Uint8Array>();
  const missing = new Set<string>();
  // Pickles are never materialised here (only a notebook's kernel reads them): not fetched.
  for (const v of values) if (isObjectRef(v) && !isPickled(v) && !cache.has(v.$object)) missing.add(v.$object);
  await Promise.all([...missing].map(async (ref) => {
    const bytes = await ctx.stores.catalog.getObject(runId, ref);
    if (!bytes) throw new Error(`object ${ref} is missing from run ${runId}'s catalog`);
    cache.set(ref, bytes);
  }));
  return cache;
}

/** Whether a reference is a pickle made by a notebook step's kernel (only notebooks can read those). */
export function isPickled(ref: ObjectRef): boolean {
  return ref.$object.endsWith(".pickle");
}

/** The live value of a scope value: a fresh deserialised copy for references, the value itself otherwise. */
export function materialise(value: JsonValue, cache: Map<string, Uint8Array>): unknown {
  if (!isObjectRef(value)) return value;
  if (isPickled(value)) {
    throw new Error(`${value.$object} is a Python object pickled by a notebook step: only notebook steps can read it (return it as json() from the notebook, or write a file and pass it through the catalog)`);
  }
  const bytes = cache.get(value.$object);
  if (!bytes) throw new Error(`object ${value.$object} was not fetched`);
  const live: unknown = deserialize(bytes);
  if (value.$index === undefined) return live;
  return Array.isArray(live) ? live[value.$index] : undefined;
}

/** An item of a Map's list as a scope value (a reference with `$index` when the list is an object). */
export function itemOf(list: JsonValue | undefined, index: number): JsonValue {
  if (isObjectRef(list)) return { $object: list.$object, $index: index };
  return Array.isArray(list) ? (list[index] ?? null) : null;
}

/** Length of a Map's list; a reference is materialised. Throws a message naming the map when it is not a list. */
export function listLength(mapPath: string, iterateOn: string, value: JsonValue | undefined, cache: Map<string, Uint8Array>): number {
  const live = materialise(value ?? null, cache);
  if (!Array.isArray(live)) {
    const what = live === undefined || live === null ? String(live) : Array.isArray(live) ? "a list" : typeof live === "object" ? `a ${live.constructor?.name ?? "object"}` : `a ${typeof live}`;
    throw new Error(`Map "${mapPath}": iterateOn parameter "${iterateOn}" must be a list, got ${what}`);
  }
  return live.length;
}

/**
 * Property names probed by the language and tools rather than by the user's code (awaiting an
 * object reads `then`, JSON.stringify reads `toJSON`, …): reading them is no sign of a missing parameter.
 */
const PROBED = new Set(["then", "toJSON", "inspect", "asymmetricMatch", "$$typeof", "nodeType", "@@__IMMUTABLE_ITERABLE__@@", ...Object.getOwnPropertyNames(Object.prototype)]);

/**
 * The parameters object handed to a function: every name in scope, references materialised on
 * first read. Records which names the function read, so the attempt's `inputParameters` show what
 * the step used (all of them when it enumerates the object) without copying big values per step,
 * and which names it read that were not in scope (it got undefined): `missing()`, for the attempt's
 * `unprovided` and for errors that point at the cause.
 */
export function parameterView(scope: Scope, cache: Map<string, Uint8Array>): { params: Record<string, unknown>; read: () => Scope; missing: () => string[] } {
  const names = new Set<string>();
  const absent = new Set<string>();
  let all = false;
  const memo = new Map<string, unknown>();
  const has = (k: string | symbol): k is string => typeof k === "string" && Object.prototype.hasOwnProperty.call(scope, k);
  const valueOf = (k: string): unknown => {
    if (!memo.has(k)) memo.set(k, materialise(scope[k]!, cache));
    return memo.get(k);
  };
  const params = new Proxy<Record<string, unknown>>({}, {
    get(_t, k) {
      if (typeof k !== "string") return undefined;
      if (memo.has(k)) return memo.get(k);
      if (!has(k)) {
        if (!PROBED.has(k)) absent.add(k);
        return undefined;
      }
      names.add(k);
      return valueOf(k);
    },
    has(_t, k) {
      if (typeof k !== "string") return false;
      if (has(k)) names.add(k);
      return has(k) || memo.has(k);
    },
    set(_t, k, v) {
      if (typeof k === "string") memo.set(k, v);
      return true;
    },
    ownKeys() {
      all = true;
      return [...new Set([...Object.keys(scope), ...memo.keys()])];
    },
    getOwnPropertyDescriptor(_t, k) {
      if (typeof k !== "string" || (!has(k) && !memo.has(k))) return undefined;
      if (has(k)) names.add(k);
      return { value: memo.has(k) ? memo.get(k) : valueOf(k), writable: true, enumerable: true, configurable: true };
    },
  });
  const read = (): Scope => {
    if (all) return { ...scope };
    const out: Scope = {};
    for (const n of names) out[n] = scope[n]!;
    return out;
  };
  return { params, read, missing: () => [...absent].sort() };
}
