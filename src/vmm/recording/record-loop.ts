// The recording loop, once (as rr's record_step() and the one loop around it). A recorded run
// goes from grid point to grid point: each step runs the machine to the next one (or to the
// run's end, or to a pace limit), drains what happened into the file, and takes or skips the
// checkpoint there (Recorder.step). Recorder.run, RingRecorder.run and RingRecorder.advance are
// this loop with different ends; a ring recording rotates its segments in the hook between
// steps. So a recording and its replay see one sequence of pieces, however it was driven.
import type { StopReason } from "../stop-reason";
import type { EndInfo } from "./codec";

export interface RunOptions {
  /** Asked at each grid point before its checkpoint; when it says so, the run ends `graceNs` later. */
  endEarly?: () => boolean;
  graceNs?: number;
  /** Keep virtual time in step with the wall clock. */
  pace?: boolean;
  /** Called at each grid point (checkpointed or not) with its virtual time (a scenario feeds its next inputs here). */
  onCheckpoint?: (ns: number) => void;
}

/** What one step runs to, and how. */
export interface StepLimit {
  /** The run's end (virtual ns): the step stops at the next grid point, or here if that comes first. */
  untilNs: number;
  /** Run synchronously to the first sync point at or after this (RunLimit.paceNs), if the grid point is further. */
  paceNs?: number;
  /** Keep virtual time in step with the wall clock (without paceNs). */
  pace?: boolean;
  /** Asked at a grid point, before its checkpoint: whether the run ends there (default: it is untilNs). */
  endsAt?: (ns: number) => boolean;
  /** Whether a grid point gets its checkpoint whatever the cost cap says (a ring rotation). */
  mustCheckpoint?: (ns: number) => boolean;
}

export interface StepResult {
  stop: StopReason;
  /** The piece's own limits: an end record carries them, so a replay runs that piece alike. */
  piece: { untilNs: number; paceNs?: number };
  /** The grid point (or the run's end) the step reached; unset when the machine stopped short of it. */
  atNs?: number;
  /** The run ends here; its last checkpoint is taken. */
  last: boolean;
}

export interface LoopHost {
  /** Takes the next step (a ring recording: its current segment's recorder). */
  step(limit: StepLimit): Promise<StepResult>;
  mustCheckpoint?: (ns: number) => boolean;
  /** After a grid point's checkpoint, unless the run ends there (a ring recording rotates here). */
  afterGridPoint?: (ns: number) => Promise<void>;
}

/**
 * Steps to `target.untilNs` (ending with a checkpoint there), or with `target.paceNs` to the
 * first grid point or sync point at or after it. Returns the last step: a stop other than a
 * limit, the run's end, or (paced) where the machine is.
 */
export async function recordLoop(host: LoopHost, target: { untilNs: number; paceNs?: number }, opts: RunOptions = {}): Promise<StepResult> {
  let end = target.untilNs;
  const endsAt = (ns: number): boolean => {
    if (ns < end && opts.endEarly?.()) end = Math.min(end, ns + (opts.graceNs ?? 0));
    return ns >= end;
  };
  for (;;) {
    const s = await host.step({
      untilNs: end,
      endsAt,
      ...(target.paceNs !== undefined ? { paceNs: target.paceNs } : { pace: opts.pace ?? false }),
      ...(host.mustCheckpoint ? { mustCheckpoint: host.mustCheckpoint } : {}),
    });
    if (s.atNs === undefined) return s;
    opts.onCheckpoint?.(s.atNs);
    if (s.last) return s;
    await host.afterGridPoint?.(s.atNs);
    if (target.paceNs !== undefined && s.atNs >= target.paceNs) return s;
  }
}

/** The end record of a run that `recordLoop` ended with `s`. */
export function endOfRun(s: StepResult): EndInfo {
  const stop = s.stop;
  if (stop.kind === "limit" && s.atNs !== undefined) return { reason: "limit", untilNs: s.atNs };
  return { reason: stop.kind, ...("detail" in stop ? { detail: String(stop.detail) } : {}), untilNs: s.piece.untilNs };
}
