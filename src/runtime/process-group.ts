import { readdirSync } from "node:fs";
import { procStat } from "../core/proc-stat.js";
import { interruptedError, SHELL_STOP_GRACE_MS } from "./interrupt.js";

/** How long an interrupted step waits for its killed process group to be gone. */
const GROUP_GONE_WAIT_MS = 2000;

/**
 * Stops a command's process group when `signal` fires (SIGTERM, SIGKILL after a grace). The returned
 * function ends the watch and tells whether it fired (the error to report); when it fired, it resolves
 * once no process of the group runs — a signal is delivered when its target next runs, and the run
 * (often the whole process) ends right after — or after GROUP_GONE_WAIT_MS.
 */
export function interruptGroup(pid: number | undefined, signal: AbortSignal | undefined): () => Promise<Error | undefined> {
  if (!signal || pid === undefined) return () => Promise.resolve(undefined);
  let fired: Error | undefined;
  let hard: NodeJS.Timeout | undefined;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch { /* already gone */ }
  };
  const onAbort = () => {
    fired = interruptedError(signal.reason);
    kill("SIGTERM");
    hard = setTimeout(() => kill("SIGKILL"), SHELL_STOP_GRACE_MS);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return async () => {
    signal.removeEventListener("abort", onAbort);
    if (hard) {
      clearTimeout(hard);
      kill("SIGKILL"); // whatever of the group outlived the command
      for (const end = Date.now() + GROUP_GONE_WAIT_MS; groupRunning(pid) && Date.now() < end;) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    return fired;
  };
}

/**
 * Whether a process of group `pgid` still runs. A killed process whose parent is gone stays a zombie
 * until init reaps it (here: up to seconds), which `kill(-pgid, 0)` still finds: on Linux, /proc
 * tells the zombies apart; elsewhere a zombie counts until the wait ends.
 */
function groupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    const stat = procStat(pid); // undefined: gone meanwhile
    return stat !== undefined && Number(stat[2]) === pgid && stat[0] !== "Z";
  });
}
