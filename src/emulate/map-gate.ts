import { createHash } from "node:crypto";
import { visitStates, type Json, type JsonObject } from "./definition.js";
import { NO_TASK_TIMEOUT_SECONDS } from "./limits.js";
import type { ExecutionEvent, TaskHandler } from "./machine.js";

/**
 * Map failure semantics. On AWS, once an iteration of a Map fails (uncaught), the Map state fails
 * and no further iteration starts. aws-local-stepfunctions rejects the Map but its concurrency
 * queue still starts the iterations waiting in it — with MaxConcurrency 1, every later item would
 * run. So each Map's item processor gets a first "gate" Task: before an iteration starts, it checks
 * whether its Map instance (state name + state input) has failed, and refuses to start it if so.
 * The iteration's own input is unchanged: the Map's ItemSelector is wrapped as `{ item, key }` and
 * the gate outputs `$.item`. Gate states are left out of the stored event log.
 */

export const GATE_RESOURCE = "arn:aws:states:::runnable-emulator:mapGate";
export const GATE_PREFIX = "@gate-";
/**
 * A Map input holding this field is identified by it alone (the Distributed Map stand-in puts a
 * unique id there: its input also holds the whole item list, too big to copy into every iteration).
 */
export const INSTANCE_SLOT = "__runnableEmulatorMapRun";

/** The identity of a Map instance as its gate sees it: `$.__runnableEmulatorMapRun` when present, else the whole input. */
function instanceKey(map: string, input: Json | undefined): string {
  const id = isObject(input) && INSTANCE_SLOT in input ? input[INSTANCE_SLOT] : input;
  return `${map}\u0000${JSON.stringify(id ?? null)}`;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Rewrites every Map (without InputPath) so its iterations start behind a gate; returns gate → Map state names. */
export function gateMaps(definition: JsonObject): { definition: JsonObject; gates: Map<string, string> } {
  const copy = structuredClone(definition);
  const gates = new Map<string, string>();
  visitStates(copy, (name, state) => {
    const processor = state.ItemProcessor ?? state.Iterator;
    if (state.Type !== "Map" || !isObject(processor) || "InputPath" in state || typeof processor.StartAt !== "string" || !isObject(processor.States)) return;
    const gate = `${GATE_PREFIX}${createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
    gates.set(gate, name);
    const selector = state.ItemSelector ?? state.Parameters;
    state.ItemSelector = { ...(selector !== undefined ? { item: selector } : { "item.$": "$$.Map.Item.Value" }), "key.$": "$" };
    delete state.Parameters;
    processor.States = {
      [gate]: {
        Type: "Task", Resource: GATE_RESOURCE, Parameters: { "key.$": "$.key" }, ResultPath: null, OutputPath: "$.item",
        TimeoutSeconds: NO_TASK_TIMEOUT_SECONDS, Next: processor.StartAt,
      },
      ...processor.States,
    };
    processor.StartAt = gate;
  });
  return { definition: copy, gates };
}

/** Tracks failed Map instances from the execution events and answers the gates. */
export class MapGates {
  private readonly failed = new Set<string>();
  private readonly maps: Set<string>;

  constructor(private readonly gates: Map<string, string>) {
    this.maps = new Set(gates.values());
  }

  /** Feed every execution event here. */
  observe(event: ExecutionEvent): void {
    if (!event.state || !this.maps.has(event.state)) return;
    const key = instanceKey(event.state, event.input);
    if (event.type === "StateFailed") this.failed.add(key);
    // A retried Map starts afresh.
    if (event.type === "StateRetried" || event.type === "StateEntered") this.failed.delete(key);
  }

  /** Local handlers for the gate states. */
  handlers(): Record<string, TaskHandler> {
    const out: Record<string, TaskHandler> = {};
    for (const [gate, map] of this.gates) {
      out[gate] = async (input) => {
        // Let the interpreter finish reporting a failure that happened in this same turn (all of it
        // runs in microtasks) before deciding: the Map's StateFailed event is seen by then.
        await new Promise((resolve) => setImmediate(resolve));
        const key = `${map}\u0000${JSON.stringify(isObject(input) ? input.key ?? null : null)}`; // already the instance id
        if (this.failed.has(key)) {
          throw Object.assign(new Error(`Map "${map}" has failed: this iteration is not started`), { name: "States.Runtime" });
        }
        return {};
      };
    }
    return out;
  }
}

/** Gate states are the emulator's own: keep them out of what users see. */
export function isGateEvent(event: ExecutionEvent): boolean {
  return event.state?.startsWith(GATE_PREFIX) ?? false;
}
