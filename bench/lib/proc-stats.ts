// What Linux's /proc says about a server process: CPU time over all its threads (a worker
// thread's or GStreamer's count too) and its peak resident set.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSec: number | undefined;
function clockTicks(): number {
  if (ticksPerSec === undefined) {
    try {
      ticksPerSec = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSec = 100;
    }
  }
  return ticksPerSec;
}

/** utime + stime of the process (all threads), seconds; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  return statCpu(`/proc/${pid}/stat`);
}

/** utime + stime of one thread of the process (its main thread by default), seconds; NaN once it is gone. */
export function threadCpuSeconds(pid: number, tid = pid): number {
  return statCpu(`/proc/${pid}/task/${tid}/stat`);
}

function statCpu(path: string): number {
  try {
    const stat = readFileSync(path, "utf8");
    // fields after "(comm)", which may itself hold spaces: state is field 3, utime 14, stime 15
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** VmHWM (peak resident set), MiB; NaN once the process is gone. */
export function peakRssMiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
