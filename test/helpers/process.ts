import { readFileSync } from "node:fs";

/** Whether a process runs: it exists and is not a zombie (dead, not yet reaped by a container's init). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
