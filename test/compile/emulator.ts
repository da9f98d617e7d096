import "../../src/emulate/polyfill.js";
import { StateMachine } from "aws-local-stepfunctions";
import type { AslDefinition, State } from "../../src/compile/index.js";
import { BATCH_EVENT_ENV } from "../../src/compile/index.js";
import { PROTOCOL_VERSION, parseStepEvent, type StepEvent, type StepResult } from "../../src/runtime/protocol.js";

/** An entry of the interpreter's event log (the type is not exported by the package). */
export type EventLog = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/** A fake step handler: gets the parsed StepEvent and the calling state's name; throw an error named like ERRORS to fail. */
export type FakeHandler = (event: StepEvent, stateName: string) => Partial<StepResult> | void;

export interface EmulatedRun {
  status: "SUCCEEDED" | "FAILED";
  /** ExecutionFailed's Error. */
  error?: string;
  /** Every StepEvent the handlers received, in call order. */
  calls: StepEvent[];
  events: EventLog[];
}

/** Names of every Task state, nested states included. */
export function taskStateNames(states: Record<string, State>): string[] {
  return Object.entries(states).flatMap(([name, s]) => {
    if (s.Type === "Task") return [name];
    if (s.Type === "Parallel") return s.Branches.flatMap((b) => taskStateNames(b.States));
    if (s.Type === "Map") return taskStateNames(s.ItemProcessor.States);
    return [];
  });
}

/** Error whose name is an ASL error name (what the real handler throws). */
export function aslError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * Runs a compiled definition in aws-local-stepfunctions; every Task state is overridden (keyed by
 * state name) by a fake handler that parses the StepEvent with the real protocol schema and
 * answers in the Lambda invoke envelope `{ Payload, StatusCode }`. Retries wait 0 ms.
 */
export async function emulate(definition: AslDefinition, handler: FakeHandler = () => {}): Promise<EmulatedRun> {
  const calls: StepEvent[] = [];
  const names = taskStateNames(definition.States);
  const local = Object.fromEntries(names.map((name) => [name, (input: unknown) => {
    const params = input as { Payload?: unknown; ContainerOverrides?: { Environment: { Name: string; Value: string }[] } };
    const raw = params.Payload ?? JSON.parse(params.ContainerOverrides!.Environment.find((e) => e.Name === BATCH_EVENT_ENV)!.Value);
    const event = parseStepEvent(raw);
    calls.push(event);
    const result: StepResult = { v: PROTOCOL_VERSION, status: "SUCCESS", ...(handler(event, name) ?? {}) };
    // The real handler's mapStart also answers the last index (what the compiled chunking reads).
    if (event.action === "mapStart" && result.count !== undefined && result.last === undefined) result.last = result.count - 1;
    return { Payload: result, StatusCode: 200 };
  }]));
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run({ runId: "run-1" }, {
    context: { Execution: { Name: "exec-1", RedriveCount: 0 }, State: { RetryCount: 0 } },
    overrides: { taskResourceLocalHandlers: local, retryIntervalOverrides: Object.fromEntries(names.map((n) => [n, 0])) },
  });
  const events: EventLog[] = [];
  const collect = (async () => {
    for await (const ev of execution.eventLogs) events.push(ev);
  })();
  let status: EmulatedRun["status"] = "SUCCEEDED";
  try {
    await execution.result;
  } catch {
    status = "FAILED";
  }
  await collect;
  const failed = events.find((e) => e.type === "ExecutionFailed");
  return { status, ...(failed && "Error" in failed ? { error: failed.Error } : {}), calls, events };
}

/** Calls as "action path [indexes] status" lines, for readable assertions. */
export function callLines(calls: StepEvent[]): string[] {
  return calls.map((c) => [c.action, c.path || "(run)", c.indexes.length ? JSON.stringify(c.indexes) : "", c.status ?? "", c.error?.Error ?? ""]
    .filter(Boolean).join(" "));
}
