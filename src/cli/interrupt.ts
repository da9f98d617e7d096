import { interruptedError } from "../runtime/interrupt.js";
import type { CliIo } from "./io.js";

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report it. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;
/** Time an interrupted run's process is given to exit on its own (flush output) once the run is recorded. */
const EXIT_GRACE_MS = 300;

/**
 * Runs `work` (a run or a retry) so that SIGINT/SIGTERM stop it cleanly: the first signal aborts
 * the AbortSignal handed to `work` — no new step starts, running shell commands' process groups are
 * stopped, the running attempts and the run are recorded FAIL `runnable.Interrupted` — and the exit
 * code becomes 130 (SIGINT) or 143 (SIGTERM) once the run is recorded. A second signal exits at once
 * (the run may then stay RUNNING until `retry` finds its owner gone).
 */
export async function interruptible(io: CliIo, work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const on = (sig: StopSignal) => () => {
    if (received) {
      io.err(`\nrunnable: ${sig} again: exiting now, without recording the run's end (\`runnable retry\` takes it over)\n`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    received = sig;
    io.err(`\nrunnable: ${sig} received: stopping the run and recording it (${sig === "SIGINT" ? "Ctrl-C" : "send it"} again to exit at once)\n`);
    controller.abort(interruptedError(`the run was interrupted (${sig})`));
  };
  const handlers = { SIGINT: on("SIGINT"), SIGTERM: on("SIGTERM") };
  process.on("SIGINT", handlers.SIGINT);
  process.on("SIGTERM", handlers.SIGTERM);
  try {
    const code = await work(controller.signal);
    if (!received) return code;
    // The run is recorded. An in-process function that was running cannot be stopped and may keep
    // the process alive (its timers, sockets): exit shortly whatever it does.
    setTimeout(() => process.exit(SIGNAL_EXIT[received!]), EXIT_GRACE_MS).unref();
    return SIGNAL_EXIT[received];
  } finally {
    process.off("SIGINT", handlers.SIGINT);
    process.off("SIGTERM", handlers.SIGTERM);
  }
}
