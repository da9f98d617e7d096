import {
  EXECUTION_HISTORY, HISTORY_LIMIT_ERROR, ITERATION_HISTORY, MAX_HISTORY_EVENTS, STATE_HISTORY, historyLimitCause, stateKind,
  type HistoryEventType, type StateKind,
} from "../compile/history.js";
import { DISTRIBUTED_MAP_RESOURCE, visitStates, type Json, type JsonObject } from "./definition.js";
import type { ExecutionEvent } from "./machine.js";

/**
 * The execution history AWS would record, counted while the emulator runs: each interpreter event
 * (aws-local-stepfunctions' own, coarser log) is priced with the event model of compile/history.ts
 * — the one `compile --explain` uses — and the execution is failed the way Step Functions fails it
 * at the quota (States.Runtime, "The execution reached the maximum number of history events
 * (25000).") when an event other than ExecutionSucceeded would be number 25,000.
 *
 * A Distributed Map's child executions are counted apart, each with its own quota (ChildHistories).
 * Close to the quota the emulator can differ from AWS by a few events: a Map whose iteration failed
 * records MapIterationAborted for the iterations still running on AWS, while the emulator lets them
 * finish (their events are counted as they come).
 */

/** The terminal error of an execution at the history quota, with where it happened. */
export class HistoryLimitExceeded extends Error {
  constructor(readonly quota: number, readonly state: string | undefined, readonly index: number | undefined) {
    super(historyLimitCause(quota));
    this.name = HISTORY_LIMIT_ERROR;
  }

  /** Which quota and where, for the run log; `step` names the step a state belongs to. */
  describe(step?: (state: string) => string | undefined): string {
    const owner = this.state === undefined ? undefined : step?.(this.state);
    const at = this.state === undefined ? "" : ` at state "${this.state}"${owner ? ` of step "${owner}"` : ""}${this.index === undefined ? "" : ` (Map iteration ${this.index})`}`;
    return `${this.message} Step Functions' quota of ${this.quota.toLocaleString("en-US")} history events per Standard execution was reached${at}: `
      + "AWS fails this execution the same way. Inline Maps add every iteration's events to the execution: use distributed: true for large ones.";
  }
}

/** The history kind of every state of a definition (before the emulator adds states of its own), by name. */
export function historyKinds(definition: JsonObject): Map<string, StateKind> {
  const kinds = new Map<string, StateKind>();
  visitStates(definition, (name, state) => {
    const kind = state.Resource === DISTRIBUTED_MAP_RESOURCE ? "DistributedMap" : typeof state.Type === "string" ? stateKind({ ...state, Type: state.Type }) : undefined;
    if (kind) kinds.set(name, kind);
  });
  return kinds;
}

/** Where an interpreter event happened, for recorders that split one run into several histories. */
export interface EventContext {
  /** The input of the event's state. */
  stateInput?: Json | undefined;
  /** The input of the Map/Parallel state around it (iteration and branch events). */
  parentInput?: Json | undefined;
}

/** Counts an execution's history from interpreter events (see runMachine's `history` option). */
export interface HistoryRecorder {
  /** Events recorded so far (of the history the last event went to). */
  readonly events: number;
  /** Counts an event; returns the terminal error when it would take a history past the quota. */
  record(event: ExecutionEvent, context?: EventContext): HistoryLimitExceeded | undefined;
  /** The recorder of a Distributed Map's child executions (see ChildHistories). */
  children?(map: string, field: string): HistoryRecorder;
}

export class HistoryCounter implements HistoryRecorder {
  private count = 0;
  /** States that were caught and whose StateExited is still to come (it records nothing more). */
  private readonly caught = new Map<string, number>();

  /** `kinds`: the states AWS knows (the emulator's own, e.g. Map gates, are absent and record nothing). */
  constructor(private readonly kinds: ReadonlyMap<string, StateKind>, readonly limit = MAX_HISTORY_EVENTS) {}

  children(map: string, field: string): HistoryRecorder {
    return new ChildHistories(map, field, this.kinds, this.limit);
  }

  /** Events recorded so far. */
  get events(): number {
    return this.count;
  }

  /** The AWS history events an interpreter event stands for. */
  awsEvents(event: ExecutionEvent): readonly HistoryEventType[] {
    switch (event.type) {
      case "ExecutionStarted": return EXECUTION_HISTORY.started;
      case "ExecutionSucceeded": return EXECUTION_HISTORY.succeeded;
      case "ExecutionFailed": return EXECUTION_HISTORY.failed;
      case "ExecutionTerminated": return EXECUTION_HISTORY.aborted;
      case "MapIterationStarted": return this.iteration(event, ITERATION_HISTORY.started);
      case "MapIterationSucceeded": return this.iteration(event, ITERATION_HISTORY.succeeded);
      case "MapIterationFailed": return this.iteration(event, ITERATION_HISTORY.failed);
    }
    const kind = event.state === undefined ? undefined : this.kinds.get(event.state);
    if (!kind) return [];
    const h = STATE_HISTORY[kind];
    switch (event.type) {
      case "StateEntered": return h.entered;
      case "StateFailed": return h.failed;
      case "StateRetried": return h.retried;
      case "StateCaught":
        this.caught.set(event.state!, (this.caught.get(event.state!) ?? 0) + 1);
        return h.caught;
      case "StateExited": {
        const pending = this.caught.get(event.state!) ?? 0;
        if (pending === 0) return h.succeeded;
        this.caught.set(event.state!, pending - 1);
        return [];
      }
      default: return []; // Parallel branch events: AWS records none.
    }
  }

  /** Counts an event; returns the terminal error when it would take the history past the quota. */
  record(event: ExecutionEvent): HistoryLimitExceeded | undefined {
    for (const type of this.awsEvents(event)) {
      // The last event may be ExecutionSucceeded (or the execution's own failure); anything else there fails it.
      if (this.count >= this.limit - 1 && type !== "ExecutionSucceeded" && type !== "ExecutionFailed") {
        return new HistoryLimitExceeded(this.limit, event.state ?? event.parent, event.index);
      }
      this.count++;
    }
    return undefined;
  }

  private iteration(event: ExecutionEvent, events: readonly HistoryEventType[]): readonly HistoryEventType[] {
    // Iterations of the emulator's own Maps (none today) would record nothing; a Distributed Map's are child executions.
    const kind = event.parent === undefined ? undefined : this.kinds.get(event.parent);
    return kind === "Map" ? events : [];
  }
}

/**
 * The histories of a Distributed Map's child executions, each its own (ExecutionStarted, its states,
 * ExecutionSucceeded) and each under the quota, from the events of the nested run that stands in for
 * the Map (see distributed-map.ts): an event belongs to the child whose index its state's input holds
 * in `field` (the ItemSelector field taking `$$.Map.Item.Value`); the stand-in's own events to none.
 */
export class ChildHistories implements HistoryRecorder {
  private readonly counters = new Map<number, HistoryCounter>();
  private last = 0;
  /** The child whose history reached the quota: the stand-in run's closing ExecutionFailed is its. */
  private full: number | undefined;

  constructor(private readonly map: string, private readonly field: string, private readonly kinds: ReadonlyMap<string, StateKind>, readonly limit: number) {}

  get events(): number {
    return this.last;
  }

  record(event: ExecutionEvent, context: EventContext = {}): HistoryLimitExceeded | undefined {
    const own = event.parent === this.map && event.index !== undefined && event.type.startsWith("MapIteration");
    const closing = event.type === "ExecutionFailed" && this.full !== undefined;
    const index = own ? event.index : closing ? this.full : this.indexIn(context.stateInput) ?? this.indexIn(context.parentInput);
    if (index === undefined) return undefined;
    let child = this.counters.get(index);
    if (!child) this.counters.set(index, (child = new HistoryCounter(this.kinds, this.limit)));
    // The Map's own iteration events are the child execution's start and end.
    const type = !own ? event.type : event.type === "MapIterationStarted" ? "ExecutionStarted"
      : event.type === "MapIterationSucceeded" ? "ExecutionSucceeded" : event.type === "MapIterationFailed" ? "ExecutionFailed" : undefined;
    if (type === undefined) return undefined;
    const limit = child.record({ ...event, type });
    this.last = child.events;
    if (limit) this.full = index;
    return limit;
  }

  private indexIn(value: Json | undefined): number | undefined {
    const v = typeof value === "object" && value !== null && !Array.isArray(value) ? value[this.field] : undefined;
    return typeof v === "number" ? v : undefined;
  }
}
