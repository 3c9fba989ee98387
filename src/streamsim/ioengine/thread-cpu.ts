// CPU time of the calling thread (Linux: /proc/thread-self/stat, utime + stime), so the engine's
// cost is what its thread used, not wall time it spent awake: on a busy machine a thread that is
// descheduled mid-step is awake but not running. Undefined where /proc does not say.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "latin1");
    // fields after the command name, which is in parentheses and may contain spaces
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15 of stat(5))
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}
