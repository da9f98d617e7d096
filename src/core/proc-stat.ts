import { readFileSync } from "node:fs";

/**
 * The fields of `/proc/<pid>/stat` after the command name (Linux): [0] state ("Z" for a zombie),
 * [1] ppid, [2] process group, … [19] start time in clock ticks since boot. The name may hold spaces
 * and ")", so the fields are counted from its last ")". Undefined when there is no such process, or
 * no /proc.
 */
export function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
