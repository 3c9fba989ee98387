// Shared set-up for the recording tests: record a scenario in-process with the real guest.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../../src/vmm/machine";
import { Recorder, type RecorderOptions } from "../../src/vmm/recording/recorder";
import { injectEchoLoad } from "../../src/vmm/recording/echo-load";
import { saveSnapshot } from "../../src/vmm/snapshot";
import { kernel } from "../helpers/guest";

export const tmp = mkdtempSync(join(tmpdir(), "lvmm-rec-"));

export type Scenario = "idle" | "echo" | "race";

export interface Recorded {
  path: string;
  icount: number;
  /** The guest's corruption report and its instruction count (race scenario). */
  corruption?: { line: string; icount: number };
}

/**
 * Records a scenario to a file; the race one ends 10 ms after the guest reports corruption.
 * With `startAtSeconds`, the machine runs unrecorded that far first and the file starts at a
 * snapshot there.
 */
export async function recordScenario(name: Scenario, opts: Partial<RecorderOptions> & { seconds?: number; startAtSeconds?: number } = {}): Promise<Recorded> {
  const k = kernel();
  const m = await Machine.create({ kernel: k, cmdline: name === "race" ? "race=rdt-early" : "" });
  const endNs = (opts.seconds ?? (name === "idle" ? 0.4 : 0.35)) * 1e9;
  if (name === "echo") injectEchoLoad(m, { rate: 4000, endNs, payloadBytes: 512, seed: 5 });
  if (name === "race") {
    injectEchoLoad(m, { rate: 100, burst: 64, endNs, seed: 2, payloadBytes: 600 });
    injectEchoLoad(m, { rate: 20000, endNs, seed: 102, payloadBytes: 600, firstSeq: 1_000_000 });
  }
  let corruption: Recorded["corruption"];
  let line = "";
  m.serial.onByte(({ byte, icount }) => {
    if (byte !== 10) return void (line += String.fromCharCode(byte));
    if (/^race: corrupted/.test(line)) corruption ??= { line, icount };
    line = "";
  });
  const path = join(tmp, `${name}-${Math.random().toString(36).slice(2)}.lvmmrec`);
  const { startAtSeconds, seconds: _seconds, ...recorderOpts } = opts;
  if (startAtSeconds !== undefined) {
    const s = m.run({ untilNs: startAtSeconds * 1e9 });
    if (s.kind !== "limit") throw new Error(`the unrecorded start stopped: ${JSON.stringify(s)}`);
    recorderOpts.start = { snapshot: saveSnapshot(m), consoleLine: line };
  }
  const rec = Recorder.attach(m, { path, kernel: k, kernelName: "ioengine.elf", checkpointIntervalNs: 100e6, ...recorderOpts });
  const stop = await rec.run(endNs, name === "race" ? { endEarly: () => corruption !== undefined, graceNs: 10e6 } : {});
  if (stop.kind !== "limit") throw new Error(`recording stopped: ${JSON.stringify(stop)}`);
  const icount = m.icountNumber;
  m.destroy();
  return { path, icount, ...(corruption ? { corruption } : {}) };
}
