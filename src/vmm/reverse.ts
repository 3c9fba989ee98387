// Reverse execution on top of exact seeks: step back by instructions, and "reverse continue":
// find the last stop (a breakpoint hit, a watched write, an exception) before the current
// position by re-executing the intervals between checkpoints, newest first, with the stops
// armed, then seek to the last accepted one. Nothing is logged per instruction; the past is
// recomputed, which determinism makes exact.
import type { Machine } from "./machine";
import type { StopReason } from "./stop-reason";

export interface PastStop {
  icount: number;
  stop: StopReason;
}

export interface ReverseSearch {
  /** Arms whatever may stop the machine (breakpoints, watchpoints, exception stops). */
  arm(m: Machine): void;
  /**
   * Called with the machine stopped at a candidate; true if it counts (a breakpoint's
   * condition or hit count, evaluated on the past state).
   */
  accept?(m: Machine, stop: StopReason): boolean;
}

/** Kinds of stop a reverse search can land on; anything else ends the scan of an interval. */
const SEARCHABLE = new Set<StopReason["kind"]>(["breakpoint", "watchpoint", "exception"]);

export class ReverseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReverseError";
  }
}

/** Moves back `n` instructions (exact). */
export function stepBack(m: Machine, n = 1): StopReason {
  const target = m.icountNumber - n;
  if (target < 0) throw new ReverseError("already at the start of the run");
  const before = m.timeline.before(target);
  if (!before) throw new ReverseError(`the timeline has no checkpoint at or before instruction ${target}`);
  return m.timeline.seek(target) ?? { kind: "limit" };
}

/** Moves to an exact instruction count, backwards or forwards. */
export function seekTo(m: Machine, icount: number): StopReason {
  if (icount < 0) throw new ReverseError(`instruction count must not be negative, got ${icount}`);
  // Forwards too, a checkpoint nearer the target than the machine saves re-executing the gap.
  const cp = m.timeline.before(icount);
  if (icount >= m.icountNumber && (!cp || cp.icount <= m.icountNumber)) return m.advanceTo(icount) ?? { kind: "limit" };
  return m.timeline.seek(icount) ?? { kind: "limit" };
}

/**
 * Finds the last accepted stop strictly before the current position and moves there. Returns
 * undefined (and stays where it was) when there is none since the first checkpoint.
 */
export function reverseContinue(m: Machine, search: ReverseSearch): PastStop | undefined {
  const origin = m.icountNumber;
  let end = origin;
  const points = m.timeline.checkpoints.filter((c) => c.icount < origin).map((c) => c.icount);
  for (let k = points.length - 1; k >= 0; k--) {
    const start = points[k]!;
    const hits = scan(m, search, start, end);
    if (hits.length) {
      const last = hits[hits.length - 1]!;
      m.timeline.seek(last.icount);
      return last;
    }
    end = start;
  }
  m.timeline.seek(origin);
  return undefined;
}

/** Every accepted stop in [start, end), in order. Leaves the machine at `end`. */
function scan(m: Machine, search: ReverseSearch, start: number, end: number): PastStop[] {
  const hits: PastStop[] = [];
  m.timeline.seek(start, { densify: false });
  const saved = { bps: m.breakpoints.list(), watches: m.watchpoints.list(), exceptions: m.exceptionStops };
  search.arm(m);
  try {
    while (m.icountNumber < end) {
      const stop = m.run({ untilIcount: end });
      // A host listener asking to stop (it saw the past happen again) does not end the scan.
      if (stop.kind === "host-request" || stop.kind === "paused") continue;
      if (!SEARCHABLE.has(stop.kind)) {
        if (stop.kind === "limit") break;
        // The guest died or halted inside the interval: nothing later exists in it.
        break;
      }
      if (m.icountNumber >= end) break;
      if (!search.accept || search.accept(m, stop)) hits.push({ icount: m.icountNumber, stop });
    }
  } finally {
    m.breakpoints.set(saved.bps);
    m.setWatchpoints(saved.watches);
    m.setExceptionStops(saved.exceptions);
  }
  return hits;
}
