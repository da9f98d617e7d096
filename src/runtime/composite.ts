import { returnSpecsOf } from "../graph/validate.js";
import type { ConditionalNode, MapNodeGraph, NodeGraph, ParallelNode, ReturnSpec } from "../graph/types.js";
import type { JsonValue } from "../sdk/types.js";
import type { AttemptRecord } from "../store/types.js";
import type { Scope, StepContext } from "./context.js";
import { isObjectRef, materialise, prefetchObjects, storeObject } from "./objects.js";
import { nonJson } from "./parameters.js";
import { ERRORS } from "../core/protocol.js";
import { pipelineOutcome } from "./scope.js";

type View = Map<string, AttemptRecord[]>;

/** An Error whose name is an ASL error name, so Retry/Catch (and the local executor) can match it. */
export function aslError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/**
 * The branch a Conditional takes: `String(value)` of its parameter when that is a branch key,
 * else "default" when there is a default branch; otherwise a `runnable.NoBranch` error.
 */
export async function chooseBranch(ctx: StepContext, runId: string, node: ConditionalNode, stepPath: string, scope: Scope): Promise<string> {
  const raw = scope[node.parameter];
  const cache = await prefetchObjects(ctx, runId, raw === undefined ? [] : [raw]);
  const key = String(raw === undefined ? undefined : materialise(raw, cache));
  if (Object.prototype.hasOwnProperty.call(node.branches, key)) return key;
  if (node.default) return "default";
  const keys = Object.keys(node.branches).map((k) => `"${k}"`).join(", ");
  throw aslError(ERRORS.noBranch, `Conditional "${stepPath}": parameter "${node.parameter}" is "${key}", which matches no branch (${keys}) and there is no default`);
}

/** Names (first spec wins) a composite's branches return. */
function specsOf(node: NodeGraph): ReturnSpec[] {
  const seen = new Map<string, ReturnSpec>();
  for (const s of returnSpecsOf(node)) if (!seen.has(s.name)) seen.set(s.name, s);
  return [...seen.values()];
}

/** Outputs of a Parallel: every branch's outputs merged (names are unique across branches by validation). */
export function parallelOutputs(view: View, node: ParallelNode, stepPath: string): Scope {
  const out: Scope = {};
  for (const key of Object.keys(node.branches).sort()) Object.assign(out, pipelineOutcome(view, node.branches[key]!, `${stepPath}.${key}`).outputs);
  return out;
}

/** Outputs of the branch a Conditional took. */
export function conditionalOutputs(view: View, node: ConditionalNode, stepPath: string, branch: string): Scope {
  const p = branch === "default" ? node.default : node.branches[branch];
  return p ? pipelineOutcome(view, p, `${stepPath}.${branch}`).outputs : {};
}

/**
 * Outputs of a Map: each name returned inside the branch is collected over the iterations in index
 * order (null where an iteration did not produce it), then bound to `reducer(values)` — or the list.
 * Values involving object() references are materialised for the reducer, and an object() name's
 * result is stored again as one object.
 */
export async function mapOutputs(
  ctx: StepContext, runId: string, view: View, node: MapNodeGraph, stepPath: string, count: number,
): Promise<{ outputs: Scope; metrics: Scope }> {
  const specs = specsOf(node);
  const collected = new Map<string, JsonValue[]>(specs.map((s) => [s.name, []]));
  for (let i = 0; i < count; i++) {
    const out = pipelineOutcome(view, node.branch, `${stepPath}.${i}`).outputs;
    for (const s of specs) collected.get(s.name)!.push(out[s.name] ?? null);
  }
  const sdk = ctx.built.nodes.get(node.path);
  const reducer = sdk?.kind === "map" ? sdk.reducer : undefined;
  const outputs: Scope = {};
  const metrics: Scope = {};
  for (const s of specs) {
    const values = collected.get(s.name)!;
    if (!reducer && !values.some(isObjectRef)) outputs[s.name] = values;
    else {
      const cache = await prefetchObjects(ctx, runId, values);
      const live = values.map((v) => materialise(v, cache));
      let result: unknown;
      try {
        // A user's reducer may be async whatever its declared type.
        // eslint-disable-next-line @typescript-eslint/await-thenable
        result = reducer ? await reducer(live as JsonValue[]) : live;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        err.message = `Map "${stepPath}": reducer failed for "${s.name}": ${err.message}`;
        throw err;
      }
      // The name is bound to reducer(values) itself (Contract), never to a property of it.
      const bound = result;
      if (s.kind === "object") outputs[s.name] = { ...(await storeObject(ctx, runId, stepPath, s.name, bound)) };
      else {
        const why = nonJson(bound);
        if (why) throw new Error(`Map "${stepPath}": the reduced value of "${s.name}" is not JSON (${why}); return object("${s.name}") from the branch to keep it as a structured clone`);
        outputs[s.name] = bound as JsonValue;
      }
    }
    if (s.kind === "metric") metrics[s.name] = outputs[s.name]!;
  }
  return { outputs, metrics };
}
