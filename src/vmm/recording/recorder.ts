// The Recorder: attached to a freshly created Machine (or, given a snapshot of where it is, to
// one that has run: the file then starts at that snapshot), it streams into a .lvmmrec file every
// input the guest receives, every interrupt delivery, the guest's console lines, the NIC's
// receive DMA log (per receive interrupt), and a state hash at every checkpoint (optionally the
// snapshot itself), then an end record. What the guest transmits is its output, which a replay
// recomputes: it is not stored (format 5; transmits.ts derives it).
// Each input, interrupt and console line is encoded into the current chunk as it happens, in
// the order it happens; each receive interrupt of the DMA log once the driver's next ICR read
// closed it (at the next interrupt delivery). Encoded later in batches, from the journal and
// the DMA log, those objects were read back after the emulator had pushed them out of the
// CPU's caches: ~400 ns an event against ~150 while they are warm, and recording cost a busy
// echo run ~12% (bench/recording.bench.ts) against ~8% now. The file is written a chunk at a time.
import { basename } from "node:path";
import type { Machine } from "../machine";
import type { InputEvent } from "../journal";
import type { StopReason } from "../stop-reason";
import type { RxInterrupt } from "../nic-dma-log";
import { saveSnapshot, stateHash, type Snapshot } from "../snapshot";
import { inputDigest, StateHasher, type PendingHash } from "./state-hash";
import { PINNED_V86_VERSION, PINNED_V86_WASM_SHA256 } from "../v86/pinned";
import { encodeEvent, encodeInterrupt, encodeRxDma, sha256Hex, type EndInfo, type FrameRef, type RecordedEvent } from "./codec";
import { EventKind, FORMAT_VERSION, type LaunchConfig, type RecordingHeader } from "./format";
import { RecordingWriter } from "./writer";
import { CheckpointGrid } from "./checkpoint-grid";
import { ConsoleLineAssembler } from "./console-lines";
import { FrameRefs } from "./frame-refs";
import { endOfRun, recordLoop, type RunOptions, type StepLimit, type StepResult } from "./record-loop";

export type { RunOptions } from "./record-loop";

/**
 * Sparse while recording: each checkpoint copies all of guest RAM on the guest thread (~8 ms for
 * 32 MiB) for its hash, about 2% of a busy echo run at one a virtual second, so one every two.
 * A recording's checkpoints only guard against divergence (`--event-hashes` narrows that down to
 * the input); seeks make their own, denser checkpoints in memory (timeline.ts).
 */
export const DEFAULT_CHECKPOINT_INTERVAL_NS = 2e9;

export interface RecorderOptions {
  /** The .lvmmrec file to write. */
  path: string;
  /** The kernel image the machine was created with, and a name for it. */
  kernel: Uint8Array;
  kernelName?: string;
  /** Embed the kernel so the recording replays anywhere (default true). */
  embedKernel?: boolean;
  /** The disk image the machine was created with (its primary IDE disk). */
  disk?: Uint8Array;
  /** Embed the disk image too (default true), so the recording replays without it at hand. */
  embedDisk?: boolean;
  /**
   * Virtual ns between checkpoint hashes. Default: DEFAULT_CHECKPOINT_INTERVAL_NS, skipping grid
   * points while checkpoints would cost more than ~1% of the run (so where they fall depends on
   * the host's speed; the file says where they are).
   */
  checkpointIntervalNs?: number;
  /** Also write each checkpoint's snapshot to the file (default false). */
  snapshots?: boolean;
  /** Also record a light state digest where each input reaches the guest (state-hash.ts inputDigest). */
  eventHashes?: boolean;
  /**
   * Start the recording at the machine's current point instead of power-on: `snapshot` is
   * saveSnapshot(m) taken there (the file's start snapshot), `consoleLine` the console line the
   * guest had begun to print (so console records and their replay agree). Events keep their
   * absolute instruction counts. A ring recording's segments start this way.
   */
  start?: { snapshot: Snapshot; consoleLine?: string };
  scenario?: Record<string, unknown>;
  /** The run's checkpoint grid, when it goes on from another file's (a ring recording's segments share one). */
  grid?: CheckpointGrid;
}

export interface RecorderStats {
  events: number;
  bytes: number;
  checkpoints: number;
  /** Wall ms spent hashing and snapshotting at checkpoints. */
  checkpointMs: number;
  snapshotBytes: number;
}

export class Recorder {
  readonly header: RecordingHeader;
  private readonly writer: RecordingWriter;
  private readonly detach: (() => void)[] = [];
  /** RX interrupts up to this sequence number are written; `rxLastRdt`: the RDT count the last one had then. */
  private rxDoneSeq: number;
  private rxLastRdt: number | undefined;
  /** Where the file starts: an interrupt the driver took before that has no place in it. */
  private readonly startIcount: number;
  /** Reused for each RX interrupt's frame references. */
  private readonly refs: (FrameRef | null)[] = [];
  private readonly hasher = new StateHasher();
  /** Checkpoint records whose hash is still being digested, and how to fill each in. */
  private readonly pending = new Map<PendingHash, (hash: string) => void>();
  /** The frame-in records written, for RX DMA records to refer to. */
  private readonly frameRefs = new FrameRefs();
  /** One reference object per descriptor slot, reused from interrupt to interrupt. */
  private readonly refSlots: FrameRef[] = [];
  private readonly console: ConsoleLineAssembler;
  private finished = false;
  readonly grid: CheckpointGrid;
  readonly stats: RecorderStats = { events: 0, bytes: 0, checkpoints: 0, checkpointMs: 0, snapshotBytes: 0 };

  private constructor(
    private readonly m: Machine,
    private readonly opts: RecorderOptions,
  ) {
    const start = opts.start;
    if (m.internals.replayPresent !== undefined) throw new RangeError("the machine is re-executing its past: record only from its present");
    if (start) {
      const here = m.internals.point();
      if (start.snapshot.icount !== here.icount || start.snapshot.clock.syncNs !== here.ns) {
        throw new RangeError(`the start snapshot (icount ${start.snapshot.icount}) is not where the machine is (icount ${here.icount}): take it with saveSnapshot(m) just before attaching`);
      }
    } else if (m.icountNumber !== 0 || m.journal.length !== 0) {
      throw new RangeError("a recording starts at power-on unless it starts at a snapshot: attach the recorder to a freshly created machine, or pass start: { snapshot: saveSnapshot(m) }");
    }
    const o = m.options;
    const mac = o.nic === false ? null : macString(o.nic?.mac ?? Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56));
    const launch: LaunchConfig = {
      cmdline: o.cmdline,
      memoryMB: o.memoryMB,
      mips: o.mips,
      jit: o.jit,
      mac,
      seed: o.seed,
      epochMs: o.epochMs,
      hangWatchdogMs: o.hangWatchdogMs,
      maxQuantumMs: o.maxQuantumMs,
      disk: opts.disk ? { sha256: sha256Hex(opts.disk), bytes: opts.disk.length, embedded: opts.embedDisk ?? true } : null,
    };
    const embed = opts.embedKernel ?? true;
    this.header = {
      format: "lvmmrec",
      formatVersion: FORMAT_VERSION,
      v86: { version: PINNED_V86_VERSION, wasmSha256: PINNED_V86_WASM_SHA256 },
      kernel: { sha256: sha256Hex(opts.kernel), bytes: opts.kernel.length, name: opts.kernelName ?? "kernel.elf", embedded: embed },
      launch,
      checkpointIntervalNs: opts.checkpointIntervalNs ?? DEFAULT_CHECKPOINT_INTERVAL_NS,
      scenario: opts.scenario ?? {},
      createdAt: new Date().toISOString(),
      ...(start ? { start: { icount: start.snapshot.icount, ns: start.snapshot.clock.syncNs, consoleLine: start.consoleLine ?? "" } } : {}),
    };
    this.grid = opts.grid ?? new CheckpointGrid(this.header.checkpointIntervalNs, start?.snapshot.clock.syncNs ?? 0, opts.checkpointIntervalNs === undefined);
    this.console = new ConsoleLineAssembler(start?.consoleLine ?? "");
    this.writer = RecordingWriter.create(opts.path, this.header, {
      ...(embed ? { kernel: opts.kernel } : {}),
      ...(opts.disk && launch.disk?.embedded ? { disk: opts.disk } : {}),
      ...(start ? { start: start.snapshot } : {}),
      plainSnapshots: true,
    });
    // The DMA log is drained from here on: what it logged before is in the start snapshot's past.
    const rx = m.dmaLog?.interrupts() ?? [];
    const lastRx = rx[rx.length - 1];
    this.rxDoneSeq = lastRx?.seq ?? 0;
    this.rxLastRdt = lastRx?.rdtIcount;
    this.startIcount = m.icountNumber;
    this.hasher.startWorker();
    this.hasher.prepare(m);
    this.listen();
  }

  /** Starts recording a machine that has not run yet, or from `opts.start` (a snapshot of where it is). */
  static attach(m: Machine, opts: RecorderOptions): Recorder {
    return new Recorder(m, { kernelName: basename(opts.kernelName ?? "kernel.elf"), ...opts });
  }

  private listen(): void {
    const m = this.m;
    this.detach.push(
      m.onInputJournaled((e) => this.input(e)),
      m.onInterrupt((e) => this.interrupt(e.icount, e.ns, e.irq)),
      ...(this.opts.eventHashes ? [m.onInputApplied((e) => this.event({ kind: EventKind.InputDigest, icount: e.icount, ns: e.ns, digest: inputDigest(m) }))] : []),
      m.serial.onByte(({ byte, icount }) => {
        const text = this.console.byte(byte);
        if (text !== undefined) this.event({ kind: EventKind.SerialOut, icount, ns: m.internals.clock.nsAt(icount), text });
      }),
    );
    // Before the DMA log drops its oldest entries, write them out.
    if (m.dmaLog) this.detach.push(m.dmaLog.onTrim(() => this.drain(false)));
  }

  /** A live input, as it is journaled. */
  private input(e: InputEvent): void {
    const w = this.writer;
    if (!w.directSink()) return;
    if (e.kind === "serial") return this.event({ kind: EventKind.SerialIn, icount: e.icount, ns: e.ns, text: e.text });
    w.frameIn(e.icount, e.ns, e.bytes);
    this.frameRefs.add(e.bytes);
  }

  /** An interrupt delivery; the receive interrupts the driver has closed since the last one go with it. */
  private interrupt(icount: number, ns: number, irq: number): void {
    const sink = this.writer.directSink();
    if (!sink) return;
    encodeInterrupt(sink, icount, ns, irq);
    this.writer.encodedDirect();
    this.drain(false);
  }

  /** One of the rare kinds (console lines, serial input, input digests). */
  private event(e: RecordedEvent): void {
    const sink = this.writer.directSink();
    if (!sink) return;
    encodeEvent(sink, e);
    this.writer.encodedDirect();
  }

  /**
   * Writes the DMA log's receive interrupts that are complete (`all`: the one still open too, at
   * checkpoints and the end). An RX interrupt is written once the driver's next ICR read closed
   * it, so its record comes after events that happened meanwhile; one written while open is
   * written again if the driver went on handing descriptors back in it.
   */
  drain(all = true): void {
    const log = this.m.dmaLog;
    if (!log) return;
    const rx = log.interrupts();
    const rxEnd = all ? rx.length : rx.length - 1;
    let r = firstAfter(rx, this.rxDoneSeq, this.rxLastRdt);
    if (r >= rxEnd) return;
    const w = this.writer;
    const sink = w.directSink();
    if (!sink) return;
    for (; r < rxEnd; r++) {
      const e = rx[r]!;
      // No RDT write: the driver handed nothing back in it (a transmit interrupt, say). Or it
      // began before the file did. Once closed, it is passed over for good.
      if (e.rdt === undefined || e.icrIcount < this.startIcount) {
        if (r < rx.length - 1) {
          this.rxDoneSeq = e.seq;
          this.rxLastRdt = e.rdtIcount;
        }
        continue;
      }
      const ds = e.descriptors;
      const refs = this.refs;
      for (let i = 0; i < ds.length; i++) {
        const slot = (this.refSlots[i] ??= { frame: 0, offset: 0 });
        refs[i] = this.frameRefs.ref(ds[i]!.bytes, slot) ? slot : null;
      }
      encodeRxDma(sink, e.icrIcount, e.icrNs, e, refs);
      w.encodedDirect();
      this.rxDoneSeq = e.seq;
      this.rxLastRdt = e.rdtIcount;
    }
  }

  /** Records a command that arrived on the control channel (shown in the log; not replayed). */
  control(command: Record<string, unknown>): void {
    this.drain(false);
    const p = this.m.internals.point();
    this.writer.append({ kind: EventKind.ControlCommand, icount: p.icount, ns: p.ns, command });
  }

  /**
   * Runs the machine to `untilNs` (virtual), stopping at every checkpoint grid point to hash the
   * state, and ends the file there. `endEarly` is asked at each grid point; when it says so, the
   * run ends `graceNs` later.
   */
  async run(untilNs: number, opts: RunOptions = {}): Promise<StopReason> {
    this.control({ command: "run", untilNs });
    const s = await recordLoop(this, { untilNs }, opts);
    await this.settled();
    this.finish(endOfRun(s));
    return s.stop;
  }

  /**
   * One recording step (record-loop.ts): runs the machine to the next grid point (or the
   * limit's end, or its pace limit), writes what happened, and at the grid point takes the
   * checkpoint (the last one, if the run ends there) or skips it as the grid's cost cap says.
   * A failed write throws RecordingError("io") with the file closed as it is.
   */
  readonly step = async (limit: StepLimit): Promise<StepResult> => {
    const m = this.m;
    const next = Math.min(this.grid.next, limit.untilNs);
    const piece = limit.paceNs === undefined ? { untilNs: next } : { untilNs: next, paceNs: limit.paceNs };
    const stop = limit.paceNs === undefined ? await m.runAsync(piece, { pace: limit.pace ?? false, betweenChunks: this.drainBetween }) : m.run(piece);
    this.drain(false);
    this.throwIfWriteFailed();
    if (stop.kind !== "limit" || m.nowNs < next) return { stop, piece, last: false };
    const last = limit.endsAt ? limit.endsAt(next) : next >= limit.untilNs;
    if (last) this.checkpoint(next, { last: true });
    else if (limit.mustCheckpoint?.(next) || this.grid.due()) this.checkpoint(next);
    else this.grid.skipped(next);
    return { stop, piece, atNs: next, last };
  };

  /** The console line the guest has begun to print and not ended. */
  get consoleLine(): string {
    return this.console.partial;
  }

  /**
   * Hashes the state here (the machine stopped on the run limit `untilNs`). `last`: the run ends
   * here, so nothing runs on meanwhile: the hash is computed at once on this thread from the
   * machine itself, without the copy for the worker.
   */
  checkpoint(untilNs: number, opts: { last?: boolean } = {}): void {
    this.drain();
    const t0 = performance.now();
    // The writer holds everything after a checkpoint whose hash is pending. A hash still pending
    // here (checkpoints denser than the event loop's turns, which deliver the digest thread's
    // answer) would hold the events for good, and a killed recorder would lose them: it is
    // taken now (the capture below would wait for that digest anyway), and the events before
    // this checkpoint go to disk.
    this.settleNow();
    const p = this.m.internals.point();
    let chunk = -1;
    if (this.opts.snapshots) {
      const s = saveSnapshot(this.m);
      chunk = this.writer.writeSnapshot(s);
      this.stats.snapshotBytes += s.v86.byteLength;
    }
    // The hash is digested on a worker thread while the guest runs on (state-hash.ts); the
    // record is written now and filled in when the digest arrives (finish() waits for it).
    const fill = this.writer.appendCheckpoint({ kind: EventKind.CheckpointHash, icount: p.icount, ns: p.ns, hash: ZERO_HASH, untilNs, snapshotChunk: chunk });
    if (opts.last) {
      fill(stateHash(this.m));
    } else {
      const hash = this.hasher.capture(this.m);
      this.pending.set(hash, fill);
      void hash.result.then((h) => this.fillHash(hash, h));
    }
    this.writer.flush();
    this.stats.checkpoints++;
    this.stats.checkpointMs += performance.now() - t0;
    this.grid.taken(untilNs, t0);
  }

  private fillHash(p: PendingHash, hash: string): void {
    const fill = this.pending.get(p);
    if (!fill) return;
    this.pending.delete(p);
    fill(hash);
    this.writer.flush();
  }

  /** Fills in the checkpoint hashes still pending, waiting for the digest thread on this thread. */
  private settleNow(): void {
    for (const p of [...this.pending.keys()]) this.fillHash(p, p.now());
  }

  /** Waits for the checkpoint hashes still being digested. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((p) => p.result));
  }

  /** Writes the end record and closes the file (idempotent). Hashes still pending are computed here. */
  finish(end: EndInfo): void {
    if (this.finished) return;
    this.finished = true;
    this.settleNow();
    this.hasher.close();
    this.drain();
    const p = this.m.internals.point();
    this.writer.append({ kind: EventKind.End, icount: p.icount, ns: p.ns, end });
    for (const off of this.detach) off();
    this.writer.close();
    this.stats.events = this.writer.events;
    this.stats.bytes = this.writer.bytesWritten;
  }

  /** For Machine.runAsync's betweenChunks: a failed write stops the run. */
  readonly drainBetween = (): void => {
    if (this.writer.failure) this.m.requestStop("the recording could not be written");
  };

  /**
   * After a failed write (a full disk): stops recording, closes the file as it is (a readable
   * prefix up to the last chunk written) and throws the writer's RecordingError("io"). A caller
   * that runs the machine itself calls it after each piece, after drain(false).
   */
  throwIfWriteFailed(): void {
    const failure = this.writer.failure;
    if (!failure) return;
    if (!this.finished) {
      this.finished = true;
      for (const off of this.detach) off();
      this.hasher.close();
      this.writer.abandon();
    }
    throw failure;
  }

  get eventsWritten(): number {
    return this.writer.events;
  }
}

const ZERO_HASH = "00".repeat(32);

/**
 * Index of the first interrupt in `rx` still to write: after sequence number `doneSeq`, or that
 * one itself if it was written while open and its RDT count moved on since (`lastRdt`).
 */
function firstAfter(rx: readonly RxInterrupt[], doneSeq: number, lastRdt: number | undefined): number {
  let i = rx.length;
  while (i > 0 && rx[i - 1]!.seq > doneSeq) i--;
  if (i > 0 && rx[i - 1]!.seq === doneSeq && rx[i - 1]!.rdtIcount !== lastRdt) i--;
  return i;
}

function macString(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
