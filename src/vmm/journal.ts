// The input journal: every input from outside the machine (a frame on the wire, serial input),
// keyed by the exact sync point (instruction count and virtual time) at which the guest got it.
// With the journal, any stretch of a run can be executed again from a checkpoint and reach the
// same states: the basis of data breakpoints, reverse execution and recordings.

export type InputEvent = { kind: "frame"; icount: number; ns: number; bytes: Uint8Array } | { kind: "serial"; icount: number; ns: number; text: string };

/** Orders sync points: by instruction count, then virtual time (idle syncs share a count). */
export function comparePoint(a: { icount: number; ns: number }, b: { icount: number; ns: number }): number {
  return a.icount - b.icount || a.ns - b.ns;
}

export class InputJournal {
  /** Events from number `base` on; earlier ones were forgotten (forgetBefore). Indices stay absolute. */
  private events: InputEvent[] = [];
  private base = 0;
  /** Set by forgetBefore: the earliest point the journal still holds inputs for. */
  private forgottenUpTo: { icount: number; ns: number } | undefined;

  get length(): number {
    return this.base + this.events.length;
  }

  at(index: number): InputEvent | undefined {
    if (index < this.base) throw new RangeError(this.forgotten(`input #${index}`));
    return this.events[index - this.base];
  }

  append(e: InputEvent): void {
    const last = this.events[this.events.length - 1];
    if (last && comparePoint(e, last) < 0) throw new RangeError("journal events must be appended in order");
    this.events.push(e);
  }

  /** Index of the first event at or after the point. */
  indexAt(point: { icount: number; ns: number }): number {
    if (this.forgottenUpTo && comparePoint(point, this.forgottenUpTo) < 0) throw new RangeError(this.forgotten(`the inputs at icount ${point.icount}`));
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePoint(this.events[mid]!, point) < 0) lo = mid + 1;
      else hi = mid;
    }
    return this.base + lo;
  }

  /** Drops every event from `index` on (going live from a replayed position). */
  truncate(index: number): void {
    if (index < this.base) throw new RangeError(this.forgotten(`input #${index}`));
    this.events.length = Math.min(this.events.length, index - this.base);
  }

  /** The events kept (all of them unless forgetBefore was used). */
  all(): readonly InputEvent[] {
    return this.events;
  }

  /**
   * Lets go of the inputs before `point`, for a run that will never go back there (a ring
   * recording keeps only its window): memory then stays bounded. Going back there afterwards
   * (a restore, a seek) fails with a RangeError instead of replaying without them.
   */
  forgetBefore(point: { icount: number; ns: number }): void {
    let k = 0;
    while (k < this.events.length && comparePoint(this.events[k]!, point) < 0) k++;
    if (k === 0) return;
    this.events = this.events.slice(k);
    this.base += k;
    this.forgottenUpTo = { icount: point.icount, ns: point.ns };
  }

  private forgotten(what: string): string {
    return `${what}: the journal no longer holds inputs before icount ${this.forgottenUpTo?.icount} (forgotten by a ring recording)`;
  }
}
