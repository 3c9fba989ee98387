// The "replay" launch option: a debug session over a .lvmmrec recording. The plan takes the
// recorded launch configuration (the kernel given must be the recorded one), the machine is
// created as the recording's was and fed the recorded inputs at their instruction counts
// (Machine.loadJournal; a recording that starts at a snapshot, such as a ring recording, has
// the machine restore it first, so the session starts there and cannot step back before it),
// and everything else is the live session's: breakpoints, stepping,
// reverse execution, the timeline and the DMA inspector. At the recording's end the machine
// goes live (Machine semantics: no journaled input is left, new ones come from the wire); the
// session says so on the debug console when it gets there.
import { readFileSync } from "node:fs";
import type { Machine } from "../vmm/machine";
import type { InputEvent } from "../vmm/journal";
import type { Snapshot } from "../vmm/snapshot";
import { RecordingError, type RecordingHeader } from "../vmm/recording/format";
import { checkKernel, readRecordingWork, type Recording } from "../vmm/recording/reader";
import { recordedInputs } from "../vmm/recording/recorded-inputs";
import { runWatched, WorkCancelled } from "../vmm/long-work";
import { LaunchArgumentError, type LaunchPlan } from "./launch-arguments";
import { UNWATCHED, type Work } from "./progress";

export interface ReplayPlan {
  path: string;
  header: RecordingHeader;
  inputs: InputEvent[];
  /** The recording's end point (its end record, or a truncated file's last checkpoint). */
  end: { icount: number; ns: number };
  /** The state the recording starts at, when not at power-on (header.start). */
  start?: Snapshot;
  /** The file ended inside a chunk: only its complete prefix replays. */
  truncated: boolean;
}

/**
 * Reads the recording (long work: a large one reports progress and can be cancelled, throwing
 * WorkCancelled) and turns `plan` into the recorded machine's; throws LaunchArgumentError.
 */
export async function prepareReplay(plan: LaunchPlan, path: string, work: Work = UNWATCHED): Promise<{ plan: LaunchPlan; replay: ReplayPlan }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new LaunchArgumentError("replay", `cannot read ${path}: ${(e as Error).message}; record one with \`lvmm record --out FILE\``);
  }
  let rec: Recording;
  try {
    rec = await runWatched(readRecordingWork(bytes), work);
    work.end();
  } catch (e) {
    work.end(e instanceof WorkCancelled ? "cancelled" : "failed");
    if (e instanceof RecordingError) throw new LaunchArgumentError("replay", `${path}: ${e.message}`);
    throw e;
  }
  try {
    const h = rec.header;
    checkKernel(h, plan.kernelBytes, plan.kernelPath);
    if (h.launch.disk && !rec.disk) {
      throw new RecordingError(
        "wrong-disk",
        `the recording's machine had a ${h.launch.disk.bytes}-byte disk (sha256 ${h.launch.disk.sha256}) the file does not embed: replay it with \`lvmm replay FILE --disk PATH\`, or record with the disk embedded (the default)`,
      );
    }
    if (plan.udpBridge.length) throw new LaunchArgumentError("udpBridge", "a replay takes its inputs from the recording; remove udpBridge");
    if (plan.serve) throw new LaunchArgumentError("serve", "a replay cannot serve streams; remove serve");
    const { inputs, end } = recordedInputs(rec);
    const l = h.launch;
    const mac = l.mac === null ? false : { mac: Uint8Array.from(l.mac.split(":").map((x) => parseInt(x, 16))) };
    return {
      plan: { ...plan, cmdline: l.cmdline, memoryMB: l.memoryMB, mips: l.mips, jit: l.jit, nic: mac, ...(rec.disk ? { disk: rec.disk } : {}) },
      replay: { path, header: h, inputs, end, truncated: !rec.complete, ...(rec.start ? { start: rec.start } : {}) },
    };
  } catch (e) {
    if (e instanceof RecordingError) throw new LaunchArgumentError("replay", `${path}: ${e.message}`);
    throw e;
  }
}

/**
 * Feeds the recorded inputs to a freshly created machine. Settings the launch plan cannot carry
 * (seed, RTC epoch, watchdog, quantum) must be the recorded ones, else the replay would diverge.
 */
export function startReplay(m: Machine, r: ReplayPlan): void {
  const l = r.header.launch;
  const o = m.options;
  for (const k of ["seed", "epochMs", "hangWatchdogMs", "maxQuantumMs"] as const) {
    if (o[k] !== l[k]) throw new LaunchArgumentError("replay", `${r.path} was recorded with ${k} ${l[k]}; the debug adapter replays recordings made with the default ${o[k]} only`);
  }
  m.loadJournal(r.inputs, r.end, r.start);
}

/** Whether the machine has passed the recording's end (it is live from there on). */
export function pastRecording(m: Machine, r: ReplayPlan): boolean {
  return m.internals.replayPresent === undefined && m.icountNumber >= r.end.icount;
}

/** The debug console's line when the replay begins: what is replayed, from where and up to when. */
export function replayBanner(r: ReplayPlan): string {
  const from = r.start ? ` from its start snapshot at instruction count ${r.start.icount}` : "";
  return `lvmm: replaying ${r.path}${r.truncated ? " (truncated: its complete prefix)" : ""}${from}: ${r.inputs.length} recorded inputs up to instruction count ${r.end.icount}; the session goes live after that\n`;
}
