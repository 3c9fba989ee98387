// Virtual time. The guest's clocks (PIT, TSC, RTC, v86's microtick) read this, never the host
// clock, so a run is a pure function of its inputs.
//
// Time advances with the instruction count (nsPerInstruction each) and jumps forward while the
// guest idles in HLT. What the guest *sees* is the time of the last sync point: inside a fast
// JIT slice the exact instruction count is unknowable, so reading it there would make the
// result depend on how the JIT happened to split the code.

export interface ClockState {
  syncNs: number;
  syncIcount: number;
  nsPerInstruction: number;
}

export class VirtualClock {
  private syncNs = 0;
  private syncIcount = 0;

  constructor(readonly nsPerInstruction: number) {
    if (!(nsPerInstruction > 0)) throw new RangeError("nsPerInstruction must be positive");
  }

  /** Virtual time at instruction count `icount`, if the guest has run since the last sync. */
  nsAt(icount: number): number {
    return this.syncNs + (icount - this.syncIcount) * this.nsPerInstruction;
  }

  /** The guest-visible time: that of the last sync point. */
  get seenNs(): number {
    return this.syncNs;
  }

  /** First instruction count at which virtual time reaches `ns` (given no idling). */
  icountAt(ns: number): number {
    if (ns <= this.syncNs) return this.syncIcount;
    return this.syncIcount + Math.ceil((ns - this.syncNs) / this.nsPerInstruction);
  }

  /** A sync point after running to `icount`. */
  syncRun(icount: number): void {
    this.syncNs = this.nsAt(icount);
    this.syncIcount = icount;
  }

  /** A sync point after idling (HLT) at `icount` until `ns`. */
  syncIdle(icount: number, ns: number): void {
    this.syncNs = Math.max(this.nsAt(icount), ns);
    this.syncIcount = icount;
  }

  getState(): ClockState {
    return { syncNs: this.syncNs, syncIcount: this.syncIcount, nsPerInstruction: this.nsPerInstruction };
  }

  setState(s: ClockState): void {
    if (s.nsPerInstruction !== this.nsPerInstruction) {
      throw new RangeError(`snapshot was taken at ${s.nsPerInstruction} ns/instruction, machine runs ${this.nsPerInstruction}`);
    }
    this.syncNs = s.syncNs;
    this.syncIcount = s.syncIcount;
  }
}
