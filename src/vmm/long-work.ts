// Long work (seeks, reverse searches, reading a large recording) as generators that yield their
// progress between chunks. Run by `finish`, such work is one synchronous call, as it always was.
// Run by `runWatched`, the event loop turns between chunks, so a caller can show progress and
// cancel: the work stops at its next chunk boundary, and its generator's `finally` blocks run.
import type { Machine } from "./machine";
import type { StopReason } from "./stop-reason";

export interface Progress {
  done: number;
  total: number;
}

export type LongWork<T> = Generator<Progress, T, void>;

/** Thrown by runWatched when the watcher cancelled the work. */
export class WorkCancelled extends Error {
  override readonly name = "WorkCancelled";
}

export interface WorkWatch {
  progress?(p: Progress): void;
  /** Asked between chunks; true stops the work. */
  cancelled?(): boolean;
}

/** Runs the work to its end without yielding to the event loop. */
export function finish<T>(work: LongWork<T>): T {
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
  }
}

/** Runs the work, reporting progress and turning the event loop between chunks; throws WorkCancelled when cancelled. */
export async function runWatched<T>(work: LongWork<T>, watch: WorkWatch): Promise<T> {
  for (;;) {
    if (watch.cancelled?.()) {
      work.return(undefined as never);
      throw new WorkCancelled("cancelled");
    }
    const r = work.next();
    if (r.done) return r.value;
    watch.progress?.(r.value);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Chunk sizes of a re-execution, in instructions, adapted so that each takes about `targetMs`
 * of wall time: an instruction count alone says little (an idle guest spends its time in timer
 * interrupts, a busy one in the JIT).
 */
export class Chunks {
  private size = 1_000_000;

  constructor(private readonly targetMs = 50) {}

  /** Where the next chunk from `at` ends, never past `to`. */
  end(at: number, to: number): number {
    return Math.min(to, at + this.size);
  }

  /** Feeds back how long a chunk of `instructions` took. */
  took(instructions: number, ms: number): void {
    if (instructions <= 0) return;
    const ideal = ms > 0 ? (instructions * this.targetMs) / ms : this.size * 4;
    this.size = Math.round(Math.max(10_000, Math.min(ideal, this.size * 4, 500_000_000)));
  }
}

/**
 * Advances to `to` as the guest runs undisturbed (Machine.advanceTo), in chunks when `chunks` is
 * given, yielding between them. Returns a stop only if the guest died on the way.
 */
export function* advanceInChunks(m: Machine, to: number, chunks: Chunks | undefined, progress: () => Progress): LongWork<StopReason | undefined> {
  while (m.icountNumber < to) {
    const at = m.icountNumber;
    const t0 = performance.now();
    const stop = m.advanceTo(chunks ? chunks.end(at, to) : to);
    chunks?.took(m.icountNumber - at, performance.now() - t0);
    if (stop) return stop;
    if (m.icountNumber < to) yield progress();
  }
  return undefined;
}
