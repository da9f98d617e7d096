/**
 * The emulator's warm "Lambda container" (started by src/emulate/workers.ts): a child process that
 * imports the real step handler (`handlers/step.ts`) once and then serves invocations one at a time over IPC, with a Lambda-like
 * context. Errors are reported as Lambda reports them: `errorType` (the Error's name),
 * `errorMessage`, `trace`.
 */
import { makeStepHandler } from "./step.js";
import { envFileLoader, stopSignal } from "./shared.js";
import type { ChildMessage, InvokeMessage } from "../src/emulate/worker-protocol.js";

// SIGTERM (the run is interrupted) stops the running step, which records its attempt
// `runnable.Interrupted`; the process exits once that result is sent, or at once when idle.
const signal = stopSignal();
const handler = makeStepHandler(envFileLoader(), { signal });
let running = 0;
signal.addEventListener("abort", () => {
  if (running === 0) process.exit(0);
});

function send(message: ChildMessage): void {
  if (message.type === "result") running--;
  // Exit only once the message is out: process.send is asynchronous.
  process.send?.(message, undefined, {}, () => {
    if (signal.aborted && running === 0) process.exit(0);
  });
}

process.on("message", (raw: unknown) => {
  const msg = raw as InvokeMessage;
  if (msg?.type !== "invoke") return;
  running++;
  const deadline = Date.now() + msg.timeoutMs;
  const context = {
    awsRequestId: msg.requestId,
    functionName: msg.functionName,
    memoryLimitInMB: String(msg.memoryMiB),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  handler(msg.event, context).then(
    (result) => send({ type: "result", id: msg.id, ok: true, result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ type: "result", id: msg.id, ok: false, errorType: e.name || "Error", errorMessage: e.message, trace: (e.stack ?? "").split("\n") });
    },
  );
});

send({ type: "ready" });
