/**
 * What AWS Step Functions writes into a Standard execution's history, state by state: the one model
 * behind the cost estimate (`runnable compile --explain`), the inline-Map guard's bound, the
 * emulator's history quota and the local run's warnings. Event names are the API's `HistoryEvent`
 * types; the sequences are those `GetExecutionHistory` returns (a Lambda Task that succeeds:
 * TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited; a failed attempt adds
 * TaskFailed, a retry TaskScheduled + TaskStarted again, a caught error leaves with TaskStateExited and
 * no TaskSucceeded; an uncaught one has no Exited event at all).
 */

/** Step Functions' hard quota on one Standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

/**
 * How AWS fails an execution at the quota: when the history holds 24,999 events and the next one is
 * not ExecutionSucceeded, event 25,000 is ExecutionFailed with this error and cause. States.Runtime
 * is never retried or caught.
 */
export const HISTORY_LIMIT_ERROR = "States.Runtime";

/** The ExecutionFailed cause at the quota (AWS's text for 25,000). */
export function historyLimitCause(quota = MAX_HISTORY_EVENTS): string {
  return `The execution reached the maximum number of history events (${quota}).`;
}

export type HistoryEventType =
  | "ExecutionStarted" | "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionAborted"
  | "TaskStateEntered" | "TaskScheduled" | "TaskStarted" | "TaskSubmitted" | "TaskSucceeded" | "TaskFailed" | "TaskStateExited"
  | "PassStateEntered" | "PassStateExited" | "ChoiceStateEntered" | "ChoiceStateExited" | "WaitStateEntered" | "WaitStateExited"
  | "SucceedStateEntered" | "SucceedStateExited" | "FailStateEntered"
  | "ParallelStateEntered" | "ParallelStateStarted" | "ParallelStateSucceeded" | "ParallelStateFailed" | "ParallelStateExited"
  | "MapStateEntered" | "MapStateStarted" | "MapStateSucceeded" | "MapStateFailed" | "MapStateExited"
  | "MapIterationStarted" | "MapIterationSucceeded" | "MapIterationFailed" | "MapIterationAborted"
  | "MapRunStarted" | "MapRunSucceeded" | "MapRunFailed";

/** A state as the history sees it: `SyncTask` waits for a job (`.sync`), `DistributedMap` runs child executions. */
export type StateKind = "Task" | "SyncTask" | "Pass" | "Choice" | "Wait" | "Succeed" | "Fail" | "Parallel" | "Map" | "DistributedMap";

/** The events of one state, by what happens to it. */
export interface StateHistory {
  /** The state is entered (a Task also schedules and starts its first attempt). */
  entered: readonly HistoryEventType[];
  /** The state succeeds and leaves. */
  succeeded: readonly HistoryEventType[];
  /** One attempt fails or times out. */
  failed: readonly HistoryEventType[];
  /** A Retrier starts another attempt (compiled definitions retry Tasks only). */
  retried: readonly HistoryEventType[];
  /** A Catcher takes the error and the state leaves. */
  caught: readonly HistoryEventType[];
}

const TASK_RETRY: readonly HistoryEventType[] = ["TaskScheduled", "TaskStarted"];

export const STATE_HISTORY: Readonly<Record<StateKind, StateHistory>> = {
  Task: {
    entered: ["TaskStateEntered", ...TASK_RETRY], succeeded: ["TaskSucceeded", "TaskStateExited"],
    failed: ["TaskFailed"], retried: TASK_RETRY, caught: ["TaskStateExited"],
  },
  SyncTask: {
    entered: ["TaskStateEntered", ...TASK_RETRY, "TaskSubmitted"], succeeded: ["TaskSucceeded", "TaskStateExited"],
    failed: ["TaskFailed"], retried: [...TASK_RETRY, "TaskSubmitted"], caught: ["TaskStateExited"],
  },
  Pass: simple("PassStateEntered", "PassStateExited"),
  Choice: simple("ChoiceStateEntered", "ChoiceStateExited"),
  Wait: simple("WaitStateEntered", "WaitStateExited"),
  Succeed: simple("SucceedStateEntered", "SucceedStateExited"),
  Fail: { entered: ["FailStateEntered"], succeeded: [], failed: [], retried: [], caught: [] },
  Parallel: {
    entered: ["ParallelStateEntered", "ParallelStateStarted"], succeeded: ["ParallelStateSucceeded", "ParallelStateExited"],
    failed: ["ParallelStateFailed"], retried: [], caught: ["ParallelStateExited"],
  },
  Map: {
    entered: ["MapStateEntered", "MapStateStarted"], succeeded: ["MapStateSucceeded", "MapStateExited"],
    failed: ["MapStateFailed"], retried: [], caught: ["MapStateExited"],
  },
  // The parent records the Map Run; each child execution has a history of its own.
  DistributedMap: {
    entered: ["MapStateEntered", "MapStateStarted", "MapRunStarted"], succeeded: ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited"],
    failed: ["MapRunFailed", "MapStateFailed"], retried: [], caught: ["MapStateExited"],
  },
};

function simple(entered: HistoryEventType, exited: HistoryEventType): StateHistory {
  return { entered: [entered], succeeded: [exited], failed: [], retried: [], caught: [] };
}

/** An inline Map iteration (not a Parallel branch: branches record nothing of their own). */
export const ITERATION_HISTORY = {
  started: ["MapIterationStarted"], succeeded: ["MapIterationSucceeded"], failed: ["MapIterationFailed"], aborted: ["MapIterationAborted"],
} as const satisfies Record<string, readonly HistoryEventType[]>;

export const EXECUTION_HISTORY = {
  started: ["ExecutionStarted"], succeeded: ["ExecutionSucceeded"], failed: ["ExecutionFailed"], aborted: ["ExecutionAborted"],
} as const satisfies Record<string, readonly HistoryEventType[]>;

/** The fields of an ASL state that decide its history. */
export interface StateShape {
  Type: string;
  Resource?: unknown;
  ItemReader?: unknown;
  ItemProcessor?: unknown;
}

function isDistributed(state: StateShape): boolean {
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: unknown } } | undefined;
  return state.ItemReader !== undefined || processor?.ProcessorConfig?.Mode === "DISTRIBUTED";
}

/** The history kind of an ASL state (undefined for a type Step Functions does not have). */
export function stateKind(state: StateShape): StateKind | undefined {
  switch (state.Type) {
    case "Task": return typeof state.Resource === "string" && state.Resource.endsWith(".sync") ? "SyncTask" : "Task";
    case "Map": return isDistributed(state) ? "DistributedMap" : "Map";
    case "Pass": case "Choice": case "Wait": case "Succeed": case "Fail": case "Parallel": return state.Type;
    default: return undefined;
  }
}

/** Events a state records when it runs once and succeeds (a Fail state: when it is entered). */
export function successEvents(kind: StateKind): number {
  const h = STATE_HISTORY[kind];
  return h.entered.length + h.succeeded.length;
}
