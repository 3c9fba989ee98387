// In-memory checkpoints kept while recording, for reverse debugging to start fast: sparse
// (one per recorder checkpoint), bounded by a byte budget, and in ring mode limited to the
// last N virtual seconds. The oldest go first; the newest is always kept.
// Not to be confused with ring recording (`lvmm record --ring`, ring-recorder.ts), which keeps
// the last N seconds on disk as replayable segments; no caller sets the Recorder's `ring`
// option, so this is unused outside its unit test.
import type { Snapshot } from "../snapshot";

export interface RingCheckpoint {
  icount: number;
  ns: number;
  snapshot: Snapshot;
  bytes: number;
}

export interface CheckpointRingOptions {
  /** Keep only checkpoints from the last this many virtual ns (ring mode); default: all. */
  keepNs?: number;
  /** Byte budget for the snapshots (default 256 MiB). */
  maxBytes?: number;
}

export class CheckpointRing {
  private points: RingCheckpoint[] = [];
  private total = 0;
  readonly keepNs: number;
  readonly maxBytes: number;

  constructor(opts: CheckpointRingOptions = {}) {
    this.keepNs = opts.keepNs ?? Infinity;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    if (!(this.keepNs > 0)) throw new RangeError(`keepNs must be positive, got ${this.keepNs}`);
    if (!(this.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${this.maxBytes}`);
  }

  get checkpoints(): readonly RingCheckpoint[] {
    return this.points;
  }
  get memoryBytes(): number {
    return this.total;
  }

  add(snapshot: Snapshot, ns: number): RingCheckpoint {
    const cp = { icount: snapshot.icount, ns, snapshot, bytes: snapshot.v86.byteLength };
    const last = this.points[this.points.length - 1];
    if (last && cp.icount < last.icount) throw new RangeError("checkpoints must be added in order");
    this.points.push(cp);
    this.total += cp.bytes;
    while (this.points.length > 1 && (this.total > this.maxBytes || this.points[0]!.ns < ns - this.keepNs)) {
      this.total -= this.points.shift()!.bytes;
    }
    return cp;
  }

  /** The latest checkpoint at or before `icount`. */
  before(icount: number): RingCheckpoint | undefined {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]!.icount <= icount) lo = mid + 1;
      else hi = mid;
    }
    return this.points[lo - 1];
  }
}
