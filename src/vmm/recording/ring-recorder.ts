// Ring recording ("keep the last N virtual seconds", a flight recorder): the run is recorded
// in segments, each a complete .lvmmrec of its own that starts at a snapshot (the first at
// power-on, or at a snapshot when attached to a machine that has run), rotated at checkpoint
// boundaries. As each segment completes, segments no longer needed to cover the window are
// deleted, so disk stays bounded (about the window plus two segments). When the run ends,
// merge() writes the kept segments as one recording that starts at the oldest kept segment's
// snapshot and covers at least the last window, and removes them. A process killed before
// that leaves the segment files, each replayable on its own (the one being written as a
// truncated prefix).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import type { Machine } from "../machine";
import type { StopReason } from "../stop-reason";
import { saveSnapshot } from "../snapshot";
import type { EndInfo, RecordedEvent } from "./codec";
import { EventKind, RecordingError, type RecordingHeader } from "./format";
import { readRecording, type Recording } from "./reader";
import { DEFAULT_CHECKPOINT_INTERVAL_NS, Recorder, type RecorderOptions } from "./recorder";
import { CheckpointGrid } from "./checkpoint-grid";
import { endOfRun, recordLoop, type LoopHost, type RunOptions } from "./record-loop";
import { RecordingWriter } from "./writer";

export interface RingRecorderOptions extends Omit<RecorderOptions, "path" | "start"> {
  /** The merged recording merge() writes. */
  path: string;
  /** Keep at least the last this many virtual ns. */
  windowNs: number;
  /**
   * Virtual ns per segment, rounded up to whole checkpoint intervals (default: a quarter of
   * the window; at least one interval).
   */
  segmentNs?: number;
  /** Where segment files go while recording (default: `${path}.ring`); it must hold no segments yet. */
  segmentDir?: string;
}

export interface RingSegment {
  path: string;
  start: { icount: number; ns: number };
  /** Where it ended (unset while it is being recorded). */
  end?: { icount: number; ns: number };
}

export interface RingStats {
  /** Totals over every segment written, kept or deleted. */
  events: number;
  bytes: number;
  checkpoints: number;
  segmentsWritten: number;
  segmentsDeleted: number;
}

export interface MergeResult {
  path: string;
  segments: number;
  events: number;
  checkpoints: number;
  bytes: number;
  start: { icount: number; ns: number };
  end: { icount: number; ns: number };
}

const SEGMENT_FILE = /^segment-\d{6}\.lvmmrec$/;

export class RingRecorder {
  readonly segmentDir: string;
  readonly windowNs: number;
  readonly segmentNs: number;
  readonly intervalNs: number;
  readonly stats: RingStats = { events: 0, bytes: 0, checkpoints: 0, segmentsWritten: 0, segmentsDeleted: 0 };
  /** Segments on disk, oldest first; the last is the one being recorded until the run ends. */
  private readonly kept: RingSegment[] = [];
  private current: Recorder;
  /** The run's checkpoint grid, one across segments. */
  private readonly grid: CheckpointGrid;
  private ended = false;
  /** The limits of the last piece advance() ran. */
  private lastPiece: { untilNs: number; paceNs?: number } | undefined;
  /** The recording loop's view of this ring: steps go to the current segment, rotations between them. */
  private readonly loop: LoopHost = {
    step: (limit) => this.current.step(limit),
    mustCheckpoint: (ns) => this.rotationDue(ns),
    afterGridPoint: async (ns) => {
      if (this.rotationDue(ns)) await this.rotate(ns);
    },
  };

  private constructor(
    private readonly m: Machine,
    private readonly opts: RingRecorderOptions,
  ) {
    this.intervalNs = opts.checkpointIntervalNs ?? DEFAULT_CHECKPOINT_INTERVAL_NS;
    this.grid = new CheckpointGrid(this.intervalNs, m.internals.point().ns, opts.checkpointIntervalNs === undefined);
    if (!(opts.windowNs > 0) || !Number.isFinite(opts.windowNs)) throw new RangeError(`the ring window must be a positive number of ns, got ${opts.windowNs}`);
    this.windowNs = opts.windowNs;
    const wanted = opts.segmentNs ?? opts.windowNs / 4;
    if (!(wanted > 0)) throw new RangeError(`segmentNs must be positive, got ${wanted}`);
    this.segmentNs = Math.max(1, Math.ceil(wanted / this.intervalNs - 1e-9)) * this.intervalNs;
    this.segmentDir = opts.segmentDir ?? `${opts.path}.ring`;
    try {
      mkdirSync(this.segmentDir, { recursive: true });
    } catch (e) {
      throw new RecordingError("io", `cannot create the segment directory ${this.segmentDir}: ${(e as Error).message}`);
    }
    const files = readdirSync(this.segmentDir);
    const old = files.filter((f) => SEGMENT_FILE.test(f));
    if (old.length) {
      throw new RecordingError("io", `${this.segmentDir} already holds ${old.length} segment(s) of an earlier ring recording (${old[0]}...; a killed run's?): replay or move them first`);
    }
    // A segment killed before its start snapshot was on disk: nothing in it replays.
    for (const f of files) if (SEGMENT_FILE.test(f.replace(/\.partial$/, "")) && f.endsWith(".partial")) rmSync(join(this.segmentDir, f), { force: true });
    this.current = this.startSegment("");
  }

  /** Starts a ring recording of `m` (fresh, or one that has run: it then starts at a snapshot). */
  static attach(m: Machine, opts: RingRecorderOptions): RingRecorder {
    return new RingRecorder(m, { kernelName: basename(opts.kernelName ?? "kernel.elf"), ...opts });
  }

  /** The segment files on disk now, oldest first. */
  get segments(): readonly RingSegment[] {
    return this.kept;
  }

  /** Records a command that arrived on the control channel (into the current segment). */
  control(command: Record<string, unknown>): void {
    this.current.control(command);
  }

  /**
   * Runs the machine to `untilNs` as Recorder.run does (the same recording loop), rotating
   * segments every `segmentNs`.
   */
  async run(untilNs: number, opts: RunOptions = {}): Promise<StopReason> {
    if (this.ended) throw new Error("the ring recording has ended");
    this.control({ command: "run", untilNs, ringWindowNs: this.windowNs });
    const s = await recordLoop(this.loop, { untilNs }, opts);
    await this.endSegment(endOfRun(s));
    return s.stop;
  }

  /**
   * For a caller that paces the machine itself (the stream server's I/O engine, in steps of a
   * millisecond): runs it now, without yielding but at the segment rotations, to the first sync
   * point at or after `paceNs` (RunLimit.paceNs: a stop the replay need not know of), stopping
   * exactly at each checkpoint grid point on the way as run() does. A stop other than
   * a limit is returned as it is; the caller ends the recording with stop(). A failed write
   * throws RecordingError("io") with the current segment closed as it is.
   */
  async advance(paceNs: number): Promise<StopReason> {
    if (this.ended) throw new Error("the ring recording has ended");
    const s = await recordLoop(this.loop, { untilNs: Infinity, paceNs });
    this.lastPiece = s.piece;
    return s.stop;
  }

  /** A segment ends at the first grid point a segment's length after its start. */
  private rotationDue(ns: number): boolean {
    return ns - this.kept[this.kept.length - 1]!.start.ns >= this.segmentNs - 1e-3;
  }

  /**
   * Ends the recording where the machine is, if run() has not (for a caller that runs the
   * machine itself, or stops early). After advance(), the end record carries the limits of the
   * last piece it ran, for the replay to run that piece alike.
   */
  async stop(end: EndInfo = { reason: "stopped" }): Promise<void> {
    if (!this.ended) await this.endSegment(end.untilNs === undefined && this.lastPiece ? { ...end, ...this.lastPiece } : end);
  }

  /**
   * Merges the kept segments into the recording at `opts.path` and deletes them (and the
   * segment directory, once empty). Call after run() (or stop()).
   */
  merge(): MergeResult {
    if (!this.ended) throw new Error("merge() needs the ring recording to have ended (run() or stop())");
    this.prune(this.kept[this.kept.length - 1]!.end!.ns);
    const result = mergeSegments(
      this.kept.map((s) => s.path),
      this.opts.path,
      { windowNs: this.windowNs, segmentNs: this.segmentNs },
    );
    for (const s of this.kept) rmSync(s.path, { force: true });
    this.kept.length = 0;
    try {
      rmdirSync(this.segmentDir);
    } catch {
      // not empty (someone else's files) or gone: leave it
    }
    return result;
  }

  /** `consoleLine`: the line the guest has begun to print, for the segment's start. */
  private startSegment(consoleLine: string): Recorder {
    const m = this.m;
    const fresh = m.icountNumber === 0 && m.journal.length === 0;
    const n = this.stats.segmentsWritten++;
    const path = join(this.segmentDir, `segment-${String(n).padStart(6, "0")}.lvmmrec`);
    const here = m.internals.point();
    const { windowNs: _w, segmentNs: _s, segmentDir: _d, path: _p, ...rest } = this.opts;
    // Written under a temporary name until its start snapshot is on disk, so every segment file
    // a killed run leaves has one (the recorder keeps writing through its descriptor).
    const partial = `${path}.partial`;
    const rec = Recorder.attach(m, {
      ...rest,
      path: partial,
      scenario: { ...(this.opts.scenario ?? {}), ring: { windowNs: this.windowNs, segmentNs: this.segmentNs, segment: n } },
      grid: this.grid,
      ...(fresh ? {} : { start: { snapshot: saveSnapshot(m), consoleLine } }),
    });
    renameSync(partial, path);
    this.kept.push({ path, start: { icount: here.icount, ns: here.ns } });
    return rec;
  }

  private async endSegment(end: EndInfo): Promise<void> {
    const rec = this.current;
    await rec.settled();
    rec.finish(end);
    this.stats.events += rec.stats.events;
    this.stats.bytes += rec.stats.bytes;
    this.stats.checkpoints += rec.stats.checkpoints;
    const p = this.m.internals.point();
    this.kept[this.kept.length - 1]!.end = { icount: p.icount, ns: p.ns };
    if (end.reason !== "segment") this.ended = true;
  }

  /** Ends the current segment at this checkpoint, starts the next here, deletes what the window no longer needs. */
  private async rotate(atNs: number): Promise<void> {
    await this.endSegment({ reason: "segment", untilNs: atNs });
    this.current = this.startSegment(this.current.consoleLine);
    this.prune(atNs);
  }

  /**
   * The recording ends at or after `ns`: the newest segment starting at or before
   * ns - window covers the window from there on, and older ones can go.
   */
  private prune(ns: number): void {
    while (this.kept.length >= 2 && this.kept[1]!.start.ns <= ns - this.windowNs + 1e-3) {
      rmSync(this.kept.shift()!.path, { force: true });
      this.stats.segmentsDeleted++;
      // Nothing will replay from before the oldest kept segment: its inputs can go too.
      this.m.journal.forgetBefore(this.kept[0]!.start);
    }
  }
}

/**
 * Writes consecutive segments of one ring recording as a single recording at `out`: the first
 * segment's header, kernel and start snapshot, then every segment's events in order (the
 * segment end records dropped but the last; RX DMA frame references renumbered; an RX DMA
 * interrupt split across a rotation kept once, as the later segment saw it whole; checkpoint
 * snapshot chunks copied). Segments' own start snapshots are not kept (the checkpoints at those
 * points keep their hashes). The file is written under a temporary name and renamed.
 */
export function mergeSegments(paths: readonly string[], out: string, ring: { windowNs: number; segmentNs: number }): MergeResult {
  if (paths.length === 0) throw new RangeError("no segments to merge");
  const read = (p: string): Recording => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(p));
    } catch (e) {
      throw new RecordingError("io", `cannot read segment ${p}: ${(e as Error).message}`);
    }
    return readRecording(bytes, { strict: true });
  };
  let seg = read(paths[0]!);
  const first = seg;
  const header: RecordingHeader = {
    ...first.header,
    scenario: { ...first.header.scenario, ring: { windowNs: ring.windowNs, segmentNs: ring.segmentNs, merged: paths.length } },
  };
  const tmp = `${out}.partial`;
  const w = RecordingWriter.create(tmp, header, {
    ...(first.kernel ? { kernel: first.kernel } : {}),
    ...(first.disk ? { disk: first.disk } : {}),
    ...(first.start ? { start: first.start } : {}),
  });
  let framesBefore = 0;
  let events = 0;
  let checkpoints = 0;
  let endPoint = { icount: 0, ns: 0 };
  try {
    for (let k = 0; k < paths.length; k++) {
      const next = k + 1 < paths.length ? read(paths[k + 1]!) : undefined;
      const segEnd = seg.events.find((e) => e.kind === EventKind.End);
      if (segEnd) endPoint = { icount: segEnd.icount, ns: segEnd.ns };
      if (next) {
        const s = next.header.start;
        if (
          !segEnd ||
          !s ||
          s.icount !== segEnd.icount ||
          s.ns !== segEnd.ns ||
          next.header.kernel.sha256 !== first.header.kernel.sha256 ||
          next.header.launch.disk?.sha256 !== first.header.launch.disk?.sha256
        ) {
          throw new RecordingError("bad-start", `segment ${paths[k + 1]} does not continue ${paths[k]} (it starts at icount ${s?.icount}, the other ends at ${segEnd?.icount})`);
        }
      }
      // An RX DMA interrupt still open at a rotation is recorded by both segments; keep the later, whole one.
      const later = new Set(next?.events.filter((e) => e.kind === EventKind.RxDmaInterrupt).map(rxKey));
      let frames = 0;
      for (const e of seg.events) {
        let out: RecordedEvent = e;
        switch (e.kind) {
          case EventKind.ControlCommand:
          case EventKind.InputDigest:
          case EventKind.Interrupt:
          case EventKind.SerialIn:
          case EventKind.SerialOut:
          case EventKind.TxDma:
            break; // copied as they are
          case EventKind.End:
            if (next) continue;
            break;
          case EventKind.FrameIn:
            frames++;
            break;
          case EventKind.RxDmaInterrupt:
            if (later.has(rxKey(e))) continue;
            if (framesBefore && e.refs) out = { ...e, refs: e.refs.map((r) => (r ? { frame: r.frame + framesBefore, offset: r.offset } : null)) };
            break;
          case EventKind.CheckpointHash:
            checkpoints++;
            if (e.snapshotChunk >= 0) {
              const snap = seg.snapshots.get(e.snapshotChunk);
              out = { ...e, snapshotChunk: snap ? w.writeSnapshot(snap()) : -1 };
            }
            break;
        }
        w.append(out);
        events++;
      }
      framesBefore += frames;
      if (next) seg = next;
    }
    w.close();
  } catch (e) {
    try {
      w.close();
    } catch {
      // the error above is the one to report
    }
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, out);
  return {
    path: out,
    segments: paths.length,
    events,
    checkpoints,
    bytes: w.bytesWritten,
    start: first.header.start ? { icount: first.header.start.icount, ns: first.header.start.ns } : { icount: 0, ns: 0 },
    end: endPoint,
  };
}

function rxKey(e: RecordedEvent): string {
  return e.kind === EventKind.RxDmaInterrupt ? `${e.rx.seq}@${e.icount}` : "";
}
