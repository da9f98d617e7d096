import { ERRORS } from "../core/protocol.js";
import { StepFailure } from "../sdk/errors.js";

/**
 * Interruption of a run (SIGINT/SIGTERM, a server shutting down): an AbortSignal passed down to the
 * steps. What a running attempt does when it fires: a shell step's process group is stopped, an
 * in-process function is abandoned (its promise is no longer awaited; JavaScript cannot stop it,
 * the process exits soon after), and the attempt is recorded FAIL with `runnable.Interrupted`.
 */

/** Time a shell step's process group gets between SIGTERM and SIGKILL when its run is interrupted. */
export const SHELL_STOP_GRACE_MS = 2000;

/** A new StepFailure `runnable.Interrupted` saying why (the abort reason's message when it has one). */
export function interruptedError(reason?: unknown): StepFailure {
  const why = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "the run was interrupted";
  return new StepFailure(ERRORS.interrupted, why);
}

/** Whether an error (or a step error) is an interruption. */
export function isInterruption(error: { name?: string } | null | undefined): boolean {
  return error?.name === ERRORS.interrupted;
}

/** `work`, or a rejection with the interruption as soon as `signal` fires (the work itself goes on unawaited). */
export function interruptible<T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(interruptedError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(interruptedError(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Waits `ms`, or less when `signal` fires. */
export function sleepUnless(signal: AbortSignal | undefined, ms: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    sleep(ms).then(done, done);
  });
}
