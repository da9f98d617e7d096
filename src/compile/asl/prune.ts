import type { State, StateMachineBody } from "./types.js";

function targets(state: State): string[] {
  const out: string[] = [];
  if ("Next" in state && state.Next) out.push(state.Next);
  if (state.Type === "Choice") {
    out.push(...state.Choices.map((c) => c.Next));
    if (state.Default) out.push(state.Default);
  }
  if ("Catch" in state && state.Catch) out.push(...state.Catch.map((c) => c.Next));
  return out;
}

/**
 * Removes states no path reaches from `StartAt` (in this list and in every nested one) and
 * returns their names. States are written for every exit a step might take; some exits can never
 * be taken (the end of a pipeline whose last step is Fail, `<step>@end` of a Conditional whose
 * every branch ends in Fail), and Step Functions refuses unreachable states.
 */
export function pruneUnreachable(body: StateMachineBody): string[] {
  const reached = new Set<string>();
  const queue = [body.StartAt];
  while (queue.length) {
    const name = queue.pop()!;
    if (reached.has(name) || !body.States[name]) continue;
    reached.add(name);
    queue.push(...targets(body.States[name]));
  }
  const removed: string[] = [];
  for (const [name, state] of Object.entries(body.States)) {
    if (!reached.has(name)) {
      removed.push(name, ...nestedNames(state));
      delete body.States[name];
      continue;
    }
    if (state.Type === "Parallel") for (const b of state.Branches) removed.push(...pruneUnreachable(b));
    if (state.Type === "Map") removed.push(...pruneUnreachable(state.ItemProcessor));
  }
  return removed;
}

function nestedNames(state: State): string[] {
  const bodies = state.Type === "Parallel" ? state.Branches : state.Type === "Map" ? [state.ItemProcessor] : [];
  return bodies.flatMap(stateNamesInOrder);
}

/** Every state name of a definition in reading order: each state, then the states nested in it. */
export function stateNamesInOrder(body: StateMachineBody): string[] {
  return Object.entries(body.States).flatMap(([name, state]) => {
    const bodies = state.Type === "Parallel" ? state.Branches : state.Type === "Map" ? [state.ItemProcessor] : [];
    return [name, ...bodies.flatMap(stateNamesInOrder)];
  });
}
