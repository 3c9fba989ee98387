// Gives the calling thread a higher scheduling priority where the OS allows it: the engine's
// thread is our analogue of the thesis's dedicated processor, so when the machine is busy it
// should run before the general-purpose side and other programs, as a real-time delivery
// thread would. On Linux a thread's id stands for the thread in setpriority(2); raising a
// priority (a negative nice) needs CAP_SYS_NICE, so without it the thread runs at the default.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Nice value asked for: well ahead of ordinary work (0), short of the kernel's own threads. */
export const ENGINE_NICE = -10;

/** The nice value the calling thread runs at after the attempt. */
export function raiseThreadPriority(nice = ENGINE_NICE): number {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid)) return 0;
    setPriority(tid, nice);
    return nice;
  } catch {
    return 0; // not Linux, or not permitted: the default priority
  }
}
