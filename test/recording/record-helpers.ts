// Shared set-up for the recording tests: record a scenario in-process with the real guest.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../../src/vmm/machine";
import { Recorder, type RecorderOptions } from "../../src/vmm/recording/recorder";
import { injectEchoLoad } from "../../src/vmm/recording/echo-load";
import { saveSnapshot } from "../../src/vmm/snapshot";
import { readRecording } from "../../src/vmm/recording/reader";
import { encodeEvent, type RecordedEvent } from "../../src/vmm/recording/codec";
import { ByteSink } from "../../src/vmm/recording/bytes";
import { ChunkType, EventKind, FIRST_VERSION_COMPRESSED } from "../../src/vmm/recording/format";
import { encodeChunk, encodePreamble, encodeSnapshot } from "../../src/vmm/recording/writer";
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

/**
 * The recording as format `version` writes it: chunks stored plain before format 5 (compressed
 * where smaller from 5 on), and `extra` events (tx-dma records, which files before format 5
 * carry) merged in, each after the events at or before its instruction count. The events go in
 * one chunk; checkpoint snapshot chunks are not supported.
 */
export function asFormat(bytes: Uint8Array, version: number, extra: readonly RecordedEvent[] = []): Uint8Array {
  const rec = readRecording(bytes);
  if ([...rec.snapshots.keys()].some((k) => k !== rec.startChunk)) throw new Error("asFormat: checkpoint snapshot chunks are not supported");
  const compress = version >= FIRST_VERSION_COMPRESSED;
  const chunks: Uint8Array[] = [encodePreamble(version)];
  const add = (type: ChunkType, payload: Uint8Array, packed = compress): void => void chunks.push(encodeChunk(type, chunks.length - 1, payload, { compress: packed }));
  add(ChunkType.Header, new TextEncoder().encode(JSON.stringify({ ...rec.header, formatVersion: version })), false);
  if (rec.kernel) add(ChunkType.Kernel, rec.kernel);
  if (rec.disk) add(ChunkType.Disk, rec.disk);
  if (rec.start) add(ChunkType.Snapshot, encodeSnapshot(rec.start));
  const sink = new ByteSink();
  let x = 0;
  for (const e of rec.events) {
    for (; x < extra.length && (extra[x]!.icount < e.icount || e.kind === EventKind.End); x++) encodeEvent(sink, extra[x]!);
    encodeEvent(sink, e);
  }
  for (; x < extra.length; x++) encodeEvent(sink, extra[x]!);
  add(ChunkType.Events, sink.contents());
  return new Uint8Array(Buffer.concat(chunks));
}
