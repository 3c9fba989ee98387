// Where a recording's checkpoints fall: on a grid of intervals from power-on (wherever the file
// or a ring segment starts), every grid point with an explicit interval, else those that the
// cost cap lets through. One object per recorded run, shared by a ring recording's segments.

/**
 * Without an explicit interval, a grid point gets its checkpoint only if the guest thread has
 * run at least this many times the last checkpoint's cost since it: checkpoints then cost at
 * most ~1% of the run, whatever the load (a lightly loaded guest covers a virtual second in a
 * few ms). At most MAX_SKIP grid points in a row go without one.
 */
const COST_FACTOR = 100;
const MAX_SKIP = 15;

export class CheckpointGrid {
  /** The next grid point (virtual ns). */
  next: number;
  /** When the last checkpoint ended (wall ms), what it cost, and grid points skipped since. */
  private last = { endMs: 0, costMs: 0, skipped: 0 };

  /**
   * `fromNs`: where the run is now (the first grid point is after it). `costCapped`: the
   * interval is the default, so grid points may go without a checkpoint (see COST_FACTOR).
   */
  constructor(
    readonly intervalNs: number,
    fromNs: number,
    private readonly costCapped: boolean,
  ) {
    if (!(intervalNs > 0)) throw new RangeError(`checkpointIntervalNs must be positive, got ${intervalNs}`);
    this.next = (Math.floor(fromNs / intervalNs) + 1) * intervalNs;
  }

  /** Whether the grid point reached now gets its checkpoint. */
  due(): boolean {
    if (!this.costCapped) return true;
    const l = this.last;
    return l.skipped >= MAX_SKIP || performance.now() - l.endMs >= COST_FACTOR * l.costMs;
  }

  /** A checkpoint was taken at `ns` (from wall ms `startMs` to now): the grid moves past it. */
  taken(ns: number, startMs: number): void {
    const now = performance.now();
    this.last = { endMs: now, costMs: now - startMs, skipped: 0 };
    this.pass(ns);
  }

  /** The grid point at `ns` goes without a checkpoint. */
  skipped(ns: number): void {
    this.last.skipped++;
    this.pass(ns);
  }

  private pass(ns: number): void {
    while (this.next <= ns) this.next += this.intervalNs;
  }
}
