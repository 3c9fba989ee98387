// Reverse execution on top of exact seeks: step back by instructions, and "reverse continue":
// find the last stop (a breakpoint hit, a watched write, an exception) before the current
// position by re-executing the intervals between checkpoints, newest first, with the stops
// armed, then seek to the last accepted one. Nothing is logged per instruction; the past is
// recomputed, which determinism makes exact. Seeks and searches are also long work
// (long-work.ts): re-executed in chunks, with progress and cancellation between them.
import type { Machine } from "./machine";
import type { StopReason } from "./stop-reason";
import { finish, type Chunks, type LongWork, type Progress } from "./long-work";

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
  /** Asked after each accepted stop: true ends the scan there (a search that has all it wants). */
  done?(): boolean;
}

/** Kinds of stop a reverse search can land on; anything else ends the scan of an interval. */
const SEARCHABLE = new Set<StopReason["kind"]>(["breakpoint", "watchpoint", "exception"]);

/** The VMM cannot rewind to where it was asked (before the first checkpoint, a negative count). */
export class RewindError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RewindError";
  }
}

/** Moves back `n` instructions (exact). */
export function stepBack(m: Machine, n = 1): StopReason {
  const target = m.icountNumber - n;
  if (target < 0) throw new RewindError("already at the start of the run");
  const before = m.timeline.before(target);
  if (!before) throw new RewindError(`the timeline has no checkpoint at or before instruction ${target}`);
  return m.timeline.seek(target) ?? { kind: "limit" };
}

/** Moves to an exact instruction count, backwards or forwards. */
export function seekTo(m: Machine, icount: number): StopReason {
  return finish(seekToWork(m, icount));
}

/** `seekTo` as long work, in `chunks`; progress in instructions re-executed. */
export function* seekToWork(m: Machine, icount: number, chunks?: Chunks): LongWork<StopReason> {
  if (icount < 0) throw new RewindError(`instruction count must not be negative, got ${icount}`);
  // Forwards too, a checkpoint nearer the target than the machine saves re-executing the gap.
  const cp = m.timeline.before(icount);
  if (icount >= m.icountNumber && (!cp || cp.icount <= m.icountNumber)) return (yield* m.timeline.advanceWork(icount, {}, chunks)) ?? { kind: "limit" };
  return (yield* m.timeline.seekWork(icount, {}, chunks)) ?? { kind: "limit" };
}

/**
 * Finds the last accepted stop strictly before the current position and moves there. Returns
 * undefined (and stays where it was) when there is none since the first checkpoint.
 */
export function reverseContinue(m: Machine, search: ReverseSearch): PastStop | undefined {
  return finish(reverseContinueWork(m, search));
}

/** `reverseContinue` as long work, in `chunks`; progress in instructions searched, of all back to the first checkpoint. */
export function* reverseContinueWork(m: Machine, search: ReverseSearch, chunks?: Chunks): LongWork<PastStop | undefined> {
  const origin = m.icountNumber;
  let end = origin;
  const points = m.timeline.checkpoints.filter((c) => c.icount < origin).map((c) => c.icount);
  const total = origin - (points[0] ?? origin);
  for (let k = points.length - 1; k >= 0; k--) {
    const start = points[k]!;
    const hits = yield* scan(m, search, start, end, chunks, () => ({ done: origin - end + Math.max(0, m.icountNumber - start), total }));
    if (hits.length) {
      const last = hits[hits.length - 1]!;
      yield* m.timeline.seekWork(last.icount, {}, chunks);
      return last;
    }
    end = start;
  }
  yield* m.timeline.seekWork(origin, {}, chunks);
  return undefined;
}

/**
 * Every accepted stop in [start, end), in order, with what `search` arms (the machine's own
 * breakpoints, watchpoints and exception stops are put back afterwards). Leaves the machine at
 * `end`, or where the guest died.
 */
export function* scan(m: Machine, search: ReverseSearch, start: number, end: number, chunks: Chunks | undefined, progress: () => Progress): LongWork<PastStop[]> {
  const hits: PastStop[] = [];
  m.timeline.seek(start, { densify: false });
  const saved = { bps: m.breakpoints.list(), watches: m.watchpoints.list(), exceptions: m.exceptionStops };
  search.arm(m);
  try {
    while (m.icountNumber < end) {
      const at = m.icountNumber;
      const t0 = performance.now();
      let stop = m.run({ untilIcount: chunks ? chunks.end(at, end) : end });
      chunks?.took(m.icountNumber - at, performance.now() - t0);
      // A host listener asking to stop (it saw the past happen again) does not end the scan.
      if (stop.kind === "host-request" || stop.kind === "paused") continue;
      if (stop.kind === "limit" && m.icountNumber < end) {
        // A chunk's end: a breakpoint on the next instruction has not trapped yet, and the next
        // run would step over it (a run resumes past the breakpoint it starts on).
        const pc = m.cpu.translate(m.cpu.pc);
        if (pc === undefined || !m.breakpoints.has(pc)) {
          yield progress();
          continue;
        }
        stop = { kind: "breakpoint", address: pc };
      }
      if (!SEARCHABLE.has(stop.kind)) {
        if (stop.kind === "limit") break;
        // The guest died or halted inside the interval: nothing later exists in it.
        break;
      }
      if (m.icountNumber >= end) break;
      if (!search.accept || search.accept(m, stop)) hits.push({ icount: m.icountNumber, stop });
      if (search.done?.()) break;
    }
  } finally {
    m.breakpoints.set(saved.bps);
    m.setWatchpoints(saved.watches);
    m.setExceptionStops(saved.exceptions);
  }
  return hits;
}
