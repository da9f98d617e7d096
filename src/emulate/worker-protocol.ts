import type { StepResult } from "../runtime/protocol.js";

/** Parent → worker: run one invocation. */
export interface InvokeMessage {
  type: "invoke";
  id: number;
  event: unknown;
  /** The Lambda's remaining time at the start of the invocation. */
  timeoutMs: number;
  requestId: string;
  functionName: string;
  memoryMiB: number;
}

/** Worker → parent. */
export type ChildMessage =
  | { type: "ready" }
  | { type: "result"; id: number; ok: true; result: StepResult }
  | { type: "result"; id: number; ok: false; errorType: string; errorMessage: string; trace: string[] };
