// Checkpoints along a run and exact seeks between them: restore the nearest checkpoint at or
// before a target and re-execute from the input journal. Because a run is a pure function of
// its inputs, a seek reaches exactly the state the machine had there.
import type { Machine } from "./machine";
import { restoreSnapshot, saveSnapshot, type Snapshot } from "./snapshot";
import type { StopReason } from "./stop-reason";
import { advanceInChunks, finish, type Chunks, type LongWork } from "./long-work";

/** Distances before a seek target at which seeks leave checkpoints (instructions). */
const DENSIFY_GAPS = [4_000_000, 400_000, 40_000];

/**
 * Re-execution cost model (measured on the echo guest): fast slices run ~200 instructions per
 * microsecond; each sync point (timer tick, frame) costs ~0.4 ms with the guest's reaction.
 */
const COST_MS_PER_INSTRUCTION = 1 / 200_000;
const COST_MS_PER_SYNC = 0.4;

export interface Checkpoint {
  icount: number;
  /** Sync points processed before it (for the re-execution cost model). */
  syncs: number;
  ns: number;
  snapshot: Snapshot;
  /** Approximate size (v86 state), for the memory bound. */
  bytes: number;
}

export interface TimelineOptions {
  /**
   * Take a checkpoint when re-executing from the last one would cost about this many
   * milliseconds (default 150): instructions and sync points both count.
   */
  intervalMs?: number;
  /** Keep at most this many bytes of checkpoints (default 256 MiB); older ones are thinned. */
  maxBytes?: number;
}

export class Timeline {
  private points: Checkpoint[] = [];
  readonly intervalMs: number;
  readonly maxBytes: number;
  private totalBytes = 0;
  /** Where the user last seeked: checkpoints near it are kept longest. */
  private focus: number | undefined;

  constructor(
    private readonly machine: Machine,
    opts: TimelineOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 150;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
  }

  get checkpoints(): readonly Checkpoint[] {
    return this.points;
  }

  get memoryBytes(): number {
    return this.totalBytes;
  }

  /** Takes a checkpoint at the current point (unless one exists there). */
  checkpoint(): Checkpoint {
    const icount = this.machine.icountNumber;
    const existing = this.points.find((p) => p.icount === icount);
    if (existing) return existing;
    const snapshot = saveSnapshot(this.machine);
    const cp = { icount, syncs: this.machine.syncCount, ns: snapshot.clock.syncNs, snapshot, bytes: snapshot.v86.byteLength };
    let i = this.points.length;
    while (i > 0 && this.points[i - 1]!.icount > icount) i--;
    this.points.splice(i, 0, cp);
    this.totalBytes += cp.bytes;
    this.thin();
    return cp;
  }

  /** A checkpoint if re-executing from the nearest earlier one would take `intervalMs`. */
  maybeCheckpoint(): void {
    const m = this.machine;
    const last = this.before(m.icountNumber);
    if (!last) {
      this.checkpoint();
      return;
    }
    const cost = (m.icountNumber - last.icount) * COST_MS_PER_INSTRUCTION + Math.max(0, m.syncCount - last.syncs) * COST_MS_PER_SYNC;
    if (cost >= this.intervalMs) this.checkpoint();
  }

  /** The latest checkpoint at or before `icount`. */
  before(icount: number): Checkpoint | undefined {
    let best: Checkpoint | undefined;
    for (const p of this.points) if (p.icount <= icount) best = p;
    return best;
  }

  /**
   * Moves the machine to exactly `icount` by re-execution from a checkpoint. Returns a stop
   * reason only if re-execution could not get there (the guest died on the way).
   */
  seek(icount: number, opts: { densify?: boolean } = {}): StopReason | undefined {
    return finish(this.seekWork(icount, opts));
  }

  /** `seek` as long work (long-work.ts): re-executes in `chunks`, yielding progress between them. */
  *seekWork(icount: number, opts: { densify?: boolean } = {}, chunks?: Chunks): LongWork<StopReason | undefined> {
    const cp = this.before(icount);
    if (!cp) throw new RangeError(`no checkpoint at or before instruction ${icount}`);
    const m = this.machine;
    this.focus = icount;
    if (!(m.icountNumber <= icount && m.icountNumber >= cp.icount)) restoreSnapshot(m, cp.snapshot, "replay");
    return yield* this.advanceWork(icount, opts, chunks);
  }

  /**
   * Re-executes forward from where the machine is to `icount`. Reversing tends to stay near one
   * place: unless told not to, it leaves checkpoints closer and closer to the target on the
   * way, so the next seeks around it (a reverse step after a goto) replay little.
   */
  *advanceWork(icount: number, opts: { densify?: boolean } = {}, chunks?: Chunks): LongWork<StopReason | undefined> {
    const m = this.machine;
    this.focus = icount;
    const from = m.icountNumber;
    const progress = () => ({ done: m.icountNumber - from, total: icount - from });
    if (opts.densify ?? true) {
      for (const gap of DENSIFY_GAPS) {
        const at = icount - gap;
        if (at - m.icountNumber < gap / 2) continue;
        const stop = yield* advanceInChunks(m, at, chunks, progress);
        if (stop) return stop;
        this.checkpoint();
      }
    }
    return yield* advanceInChunks(m, icount, chunks, progress);
  }

  /** Forgets checkpoints after `icount` (the future was rewritten by going live). */
  truncateAfter(icount: number): void {
    const keep = this.points.filter((p) => p.icount <= icount);
    this.totalBytes = keep.reduce((n, p) => n + p.bytes, 0);
    this.points = keep;
  }

  /**
   * Keeps memory bounded: drops every other checkpoint among those farthest from where the
   * user works (the last seek, else the newest), keeping the first one as the anchor.
   */
  private thin(): void {
    while (this.totalBytes > this.maxBytes && this.points.length > 2) {
      const focus = this.focus ?? this.points[this.points.length - 1]!.icount;
      const byDistance = this.points
        .map((p, i) => ({ i, d: Math.abs(p.icount - focus) }))
        .filter((x) => x.i > 0)
        .sort((a, b) => b.d - a.d);
      const far = new Set(
        byDistance
          .slice(0, Math.max(1, byDistance.length >> 1))
          .filter((_, k) => k % 2 === 0)
          .map((x) => x.i),
      );
      const kept = this.points.filter((p, i) => {
        if (!far.has(i)) return true;
        this.totalBytes -= p.bytes;
        return false;
      });
      if (kept.length === this.points.length) break;
      this.points = kept;
    }
  }
}
