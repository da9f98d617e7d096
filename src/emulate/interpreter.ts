// The polyfill must be evaluated before the interpreter's module body.
import "./polyfill.js";
export { StateMachine, ExecutionError, ExecutionAbortedError, ExecutionTimeoutError } from "aws-local-stepfunctions";
export type { StateMachineDefinition } from "aws-local-stepfunctions";
