// The Replayer: a fresh machine from a recording's launch configuration, fed the recorded
// inputs at their instruction counts (Machine.loadJournal); a recording that starts at a
// snapshot (a ring recording) has the machine restore it first. While it runs, every interrupt
// delivery and console line is checked against the recording as it happens; with `verify`,
// the state hash at every recorded checkpoint too. The first difference stops the replay with
// a divergence report; it never continues past one.
import { Machine } from "../machine";
import type { InputEvent } from "../journal";
import { stateHash } from "../snapshot";
import { inputDigest } from "./state-hash";
import { VmmInvariantError } from "../stop-reason";
import type { StopReason } from "../stop-reason";
import type { RecordedEvent } from "./codec";
import { EVENT_KIND_NAMES, EventKind, RecordingError } from "./format";
import { checkDisk, checkKernel, type Recording } from "./reader";
import { ConsoleLineAssembler } from "./console-lines";

export interface Divergence {
  /** Index of the first divergent event in the recording's event list (-1: none recorded there). */
  eventIndex: number;
  kind: string;
  icount: number;
  ns: number;
  expected: string;
  actual: string;
  /** State hashes, when the divergence is at a checkpoint (or the recorded one nearest after). */
  expectedHash?: string;
  actualHash?: string;
}

export interface ReplayResult {
  /** Events checked: inputs re-injected, interrupts and console lines matched. */
  verifiedEvents: number;
  verifiedCheckpoints: number;
  divergence?: Divergence;
  /** The guest died or stopped before the recorded end (also a divergence). */
  stop?: StopReason;
  /** The replay covered only a truncated file's complete prefix. */
  prefixOnly: boolean;
  endIcount: number;
  wallMs: number;
}

export interface ReplayOptions {
  /** Compare the state hash at every recorded checkpoint. */
  verify?: boolean;
  /** The kernel image, when the recording does not embed it (its sha256 must match). */
  kernel?: { bytes: Uint8Array; path: string };
  /** The disk image, when the recording's machine had one it does not embed (its sha256 must match). */
  disk?: { bytes: Uint8Array; path: string };
  /** Called on each console line the replayed guest prints, with its instruction count. */
  onLine?: (text: string, icount: number) => void;
}

export class Replayer {
  private constructor(
    readonly machine: Machine,
    readonly recording: Recording,
  ) {}

  static async create(rec: Recording, opts: ReplayOptions = {}): Promise<Replayer> {
    let kernel = rec.kernel;
    if (opts.kernel) {
      checkKernel(rec.header, opts.kernel.bytes, opts.kernel.path);
      kernel = opts.kernel.bytes;
    }
    if (!kernel) {
      throw new RecordingError("wrong-kernel", `the recording does not embed its kernel (${rec.header.kernel.name}, sha256 ${rec.header.kernel.sha256}): pass it with --kernel PATH`);
    }
    const l = rec.header.launch;
    let disk = rec.disk;
    if (opts.disk) {
      checkDisk(rec.header, opts.disk.bytes, opts.disk.path);
      disk = opts.disk.bytes;
    }
    if (l.disk && !disk) {
      throw new RecordingError("wrong-disk", `the recording does not embed its ${l.disk.bytes}-byte disk image (sha256 ${l.disk.sha256}): pass it with --disk PATH`);
    }
    const machine = await Machine.create({
      kernel,
      cmdline: l.cmdline,
      memoryMB: l.memoryMB,
      mips: l.mips,
      jit: l.jit,
      seed: l.seed,
      epochMs: l.epochMs,
      hangWatchdogMs: l.hangWatchdogMs,
      maxQuantumMs: l.maxQuantumMs,
      nic: l.mac === null ? false : { mac: Uint8Array.from(l.mac.split(":").map((h) => parseInt(h, 16))) },
      ...(disk ? { disk } : {}),
    });
    return new Replayer(machine, rec);
  }

  run(opts: ReplayOptions = {}): ReplayResult {
    const t0 = performance.now();
    const m = this.machine;
    const events = this.recording.events;
    // Formats 2 and 3 hashed all of RAM; format 4 the pages that are not all zero.
    const hashOpts = { fullRam: this.recording.header.formatVersion < 4 };
    const endEvent = events.find((e) => e.kind === EventKind.End);
    const checkpoints = events.filter((e): e is Extract<RecordedEvent, { kind: EventKind.CheckpointHash }> => e.kind === EventKind.CheckpointHash);
    // A truncated file replays up to its last checkpoint: the last point known to be whole.
    const lastCp = checkpoints[checkpoints.length - 1];
    const start = this.recording.header.start;
    const endPoint = endEvent ?? lastCp ?? { icount: start?.icount ?? 0, ns: start?.ns ?? 0 };
    const limitIcount = endPoint.icount;
    const inRange = (e: RecordedEvent): boolean => e.icount < limitIcount || (e.icount === limitIcount && e.ns <= endPoint.ns);
    const inputs: InputEvent[] = [];
    const watched: { index: number; e: RecordedEvent }[] = [];
    const digests: { index: number; e: Extract<RecordedEvent, { kind: EventKind.InputDigest }> }[] = [];
    events.forEach((e, index) => {
      if (!inRange(e)) return;
      if (e.kind === EventKind.InputDigest) digests.push({ index, e });
      if (e.kind === EventKind.FrameIn) inputs.push({ kind: "frame", icount: e.icount, ns: e.ns, bytes: e.bytes });
      else if (e.kind === EventKind.SerialIn) inputs.push({ kind: "serial", icount: e.icount, ns: e.ns, text: e.text });
      else if (e.kind === EventKind.Interrupt || e.kind === EventKind.SerialOut) watched.push({ index, e });
    });
    m.loadJournal(inputs, { icount: endPoint.icount, ns: endPoint.ns }, this.recording.start);
    guardUnreachableInputs(m);

    let divergence: Divergence | undefined;
    let next = 0;
    let matched = 0;
    const diverge = (d: Divergence): void => {
      if (divergence) return;
      divergence = d;
      m.requestStop("replay diverged");
    };
    const observe = (kind: EventKind, icount: number, ns: number, what: string, same: (e: RecordedEvent) => boolean): void => {
      if (divergence) return;
      const w = watched[next];
      if (w && w.e.kind === kind && same(w.e)) {
        next++;
        matched++;
        return;
      }
      diverge({
        eventIndex: w?.index ?? -1,
        kind: EVENT_KIND_NAMES[kind],
        icount,
        ns,
        expected: w ? describe(w.e) : "nothing more before the recorded end",
        actual: `${EVENT_KIND_NAMES[kind]} ${what} at icount ${icount}`,
      });
    };
    const offIrq = m.onInterrupt((e) => observe(EventKind.Interrupt, e.icount, e.ns, `irq ${e.irq}`, (r) => r.icount === e.icount && (r as { irq: number }).irq === e.irq));
    // Recorded with --event-hashes: the light state where each input reaches the guest.
    let nextDigest = 0;
    const offInput =
      opts.verify && digests.length
        ? m.onInputApplied((input) => {
            if (divergence) return;
            const d = digests[nextDigest];
            if (!d) return; // a truncated file's digests end before its inputs do
            nextDigest++;
            const actual = inputDigest(m);
            if (d.e.icount === input.icount && d.e.digest === actual) {
              matched++;
              return;
            }
            diverge({
              eventIndex: d.index,
              kind: EVENT_KIND_NAMES[EventKind.InputDigest],
              icount: input.icount,
              ns: input.ns,
              expected: `state digest ${d.e.digest} where the input at icount ${d.e.icount} reached the guest`,
              actual: `state digest ${actual} where the ${input.kind === "frame" ? "frame" : "serial input"} at icount ${input.icount} reached it`,
              expectedHash: d.e.digest,
              actualHash: actual,
            });
          })
        : undefined;
    const lines = new ConsoleLineAssembler(start?.consoleLine ?? "");
    const offSerial = m.serial.onByte(({ byte, icount }) => {
      const text = lines.byte(byte);
      if (text === undefined) return;
      opts.onLine?.(text, icount);
      observe(EventKind.SerialOut, icount, m.internals.point().ns, JSON.stringify(text), (r) => r.icount === icount && (r as { text: string }).text === text);
    });

    let verifiedCheckpoints = 0;
    let stop: StopReason | undefined;
    const finish = (): ReplayResult => {
      offIrq();
      offSerial();
      offInput?.();
      return {
        verifiedEvents: inputs.length + matched,
        verifiedCheckpoints,
        ...(divergence ? { divergence } : {}),
        ...(stop ? { stop } : {}),
        prefixOnly: !endEvent,
        endIcount: m.icountNumber,
        wallMs: performance.now() - t0,
      };
    };
    const runTo = (limit: { untilNs?: number; untilIcount?: number; paceNs?: number }): boolean => {
      try {
        const s = m.run(limit);
        if (divergence) return false;
        if (s.kind !== "limit") {
          stop = s;
          return false;
        }
      } catch (e) {
        if ((e as Error).name !== "VmmInvariantError") throw e;
        const w = watched[next];
        diverge({
          eventIndex: w?.index ?? -1,
          kind: "frame-in",
          icount: m.icountNumber,
          ns: m.nowNs,
          expected: w ? `${describe(w.e)} first` : "the recorded input at its instruction count",
          actual: (e as Error).message,
        });
        return false;
      }
      return true;
    };

    for (const cp of checkpoints) {
      if (!inRange(cp)) break;
      if (!runTo({ untilNs: cp.untilNs })) return finish();
      const index = events.indexOf(cp);
      if (m.icountNumber !== cp.icount) {
        diverge({
          eventIndex: index,
          kind: "checkpoint",
          icount: m.icountNumber,
          ns: m.nowNs,
          expected: `checkpoint at icount ${cp.icount}`,
          actual: `reached icount ${m.icountNumber} at the same virtual time`,
          expectedHash: cp.hash,
          actualHash: stateHash(m, hashOpts),
        });
        return finish();
      }
      if (opts.verify) {
        const h = stateHash(m, hashOpts);
        if (h !== cp.hash) {
          diverge({ eventIndex: index, kind: "checkpoint", icount: cp.icount, ns: cp.ns, expected: `state hash ${cp.hash}`, actual: `state hash ${h}`, expectedHash: cp.hash, actualHash: h });
          return finish();
        }
        verifiedCheckpoints++;
      }
    }
    if (endEvent && !(lastCp && lastCp.icount === endEvent.icount && lastCp.ns === endEvent.ns)) {
      // The recorded last piece's own limits, so the executor slices its run as it did there.
      const e = endEvent.end;
      const limit = e.untilNs !== undefined ? { untilNs: e.untilNs, ...(e.paceNs !== undefined ? { paceNs: e.paceNs } : {}) } : { untilIcount: endEvent.icount };
      if (!runTo(limit)) {
        // The recorded run itself ended on this stop: the same stop at the same count is a match.
        if (!divergence && stop && stop.kind === e.reason && m.icountNumber === endEvent.icount) stop = undefined;
        if (divergence || stop) return finish();
      } else if (m.icountNumber !== endEvent.icount) {
        diverge({
          eventIndex: events.indexOf(endEvent),
          kind: "end",
          icount: m.icountNumber,
          ns: m.nowNs,
          expected: `the recorded end (${e.reason}) at icount ${endEvent.icount}`,
          actual: `the run's limit reached at icount ${m.icountNumber}`,
        });
        return finish();
      }
    }
    if (!divergence && next < watched.length) {
      const w = watched[next]!;
      diverge({ eventIndex: w.index, kind: EVENT_KIND_NAMES[w.e.kind], icount: m.icountNumber, ns: m.nowNs, expected: describe(w.e), actual: "the replay reached the recorded end without it" });
    }
    return finish();
  }

  destroy(): void {
    this.machine.destroy();
  }
}

/**
 * A diverged re-execution can idle at a count below the next journaled input's count when that
 * input's time comes; the machine then re-syncs at that point forever (it has no check of its
 * own yet, see the report). The journal is consulted on every loop turn, so a wrapper on its
 * lookup notices the loop making no progress and turns it into a VmmInvariantError.
 */
function guardUnreachableInputs(m: Machine): void {
  const journal = m.journal;
  const at = journal.at.bind(journal);
  let lastIndex = -1;
  let lastIcount = -1;
  let spins = 0;
  journal.at = (index: number) => {
    const e = at(index);
    const icount = m.icountNumber;
    if (e && index === lastIndex && icount === lastIcount && e.icount > icount) {
      if (++spins > 20_000) {
        throw new VmmInvariantError(`re-execution cannot reach the input journaled at icount ${e.icount}, t=${e.ns} ns: the machine idles at icount ${icount} when its time comes`);
      }
    } else {
      spins = 0;
      lastIndex = index;
      lastIcount = icount;
    }
    return e;
  };
}

export function describe(e: RecordedEvent): string {
  const at = `at icount ${e.icount}`;
  switch (e.kind) {
    case EventKind.Interrupt:
      return `interrupt irq ${e.irq} ${at}`;
    case EventKind.SerialOut:
      return `console line ${JSON.stringify(e.text)} ${at}`;
    default:
      return `${EVENT_KIND_NAMES[e.kind]} ${at}`;
  }
}

export function formatDivergence(d: Divergence): string {
  const lines = [`replay diverged at event #${d.eventIndex} (${d.kind}), icount ${d.icount}, t=${(d.ns / 1e9).toFixed(9)} s`, `  expected: ${d.expected}`, `  actual:   ${d.actual}`];
  if (d.expectedHash) lines.push(`  recorded state hash: ${d.expectedHash}`, `  replayed state hash: ${d.actualHash}`);
  return lines.join("\n");
}
