// Data breakpoints on guest memory writes, without hardware support and without slowing the
// guest: watched ranges are compared at the end of every slice; when one changed, the machine
// goes back to the last point it was known unchanged and bisects by deterministic
// re-execution to the exact instruction (or the DMA at a sync point) that changed it.
import type { Machine } from "./machine";
import { restoreSnapshot, saveSnapshot } from "./snapshot";
import type { StopReason } from "./stop-reason";

export interface Watchpoint {
  id: number;
  /** Guest-physical address. */
  address: number;
  length: number;
}

interface Watched extends Watchpoint {
  shadow: Uint8Array;
}

export interface WatchStats {
  checks: number;
  hits: number;
  /** Re-executions done to pin writes down. */
  probes: number;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Watchpoints {
  private list_: Watched[] = [];
  /** The last instruction count at which every range was verified unchanged. */
  private verifiedAt = 0;
  readonly stats: WatchStats = { checks: 0, hits: 0, probes: 0 };

  constructor(private readonly m: Machine) {}

  list(): Watchpoint[] {
    return this.list_.map(({ id, address, length }) => ({ id, address, length }));
  }

  get armed(): boolean {
    return this.list_.length > 0;
  }

  set(list: Watchpoint[]): void {
    for (const w of list) {
      if (!Number.isInteger(w.length) || w.length < 1 || w.length > 4096) {
        throw new RangeError(`watchpoint ${w.id}: length must be 1..4096 bytes, got ${w.length}`);
      }
      this.m.cpu.readPhysical(w.address, w.length); // throws a GuestMemoryError outside RAM
    }
    this.list_ = list.map((w) => ({ ...w, shadow: this.m.cpu.readPhysical(w.address, w.length) }));
    this.verifiedAt = this.m.icountNumber;
  }

  /** Called when a run starts: a checkpoint at or before now anchors later bisection. */
  arm(): void {
    if (!this.armed) return;
    this.resync();
    const tl = this.m.timeline;
    if (!tl.before(this.m.icountNumber)) tl.checkpoint();
  }

  /** Re-reads the shadows (after a seek or a restore the memory is whatever it is there). */
  resync(): void {
    for (const w of this.list_) w.shadow = this.m.cpu.readPhysical(w.address, w.length);
    this.verifiedAt = this.m.icountNumber;
  }

  private changed(): Watched | undefined {
    this.stats.checks++;
    for (const w of this.list_) if (!equal(this.m.cpu.readPhysical(w.address, w.length), w.shadow)) return w;
    return undefined;
  }

  /**
   * Checks the ranges. `dma`: right after a sync point, before any instruction ran, so any
   * change was a device's DMA. Otherwise a CPU store since the last check is pinned down.
   */
  check(dma: boolean): StopReason | undefined {
    const w = this.changed();
    if (!w) {
      this.verifiedAt = this.m.icountNumber;
      if (!dma) this.m.timeline.maybeCheckpoint();
      return undefined;
    }
    if (!dma && this.m.icountNumber > this.verifiedAt) this.locate(w);
    return this.hit(w, dma ? "dma" : "cpu");
  }

  private hit(w: Watched, by: "cpu" | "dma"): StopReason {
    this.stats.hits++;
    const oldBytes = w.shadow;
    const newBytes = this.m.cpu.readPhysical(w.address, w.length);
    this.resync();
    return { kind: "watchpoint", id: w.id, address: w.address, length: w.length, oldBytes, newBytes, by };
  }

  /** Leaves the machine right after the instruction that first changed `w` since verifiedAt. */
  private locate(w: Watched): void {
    const m = this.m;
    let lo = this.verifiedAt;
    let hi = m.icountNumber;
    const differs = (): boolean => !equal(m.cpu.readPhysical(w.address, w.length), w.shadow);
    this.stats.probes++;
    m.timeline.seek(lo);
    let loSnap = saveSnapshot(m);
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      this.stats.probes++;
      m.advanceTo(mid);
      if (differs()) {
        hi = mid;
        restoreSnapshot(m, loSnap, "replay");
      } else {
        lo = mid;
        loSnap = saveSnapshot(m);
      }
    }
    m.advanceTo(hi);
  }
}
