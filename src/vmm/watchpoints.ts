// Data breakpoints on guest memory writes, without hardware support and without slowing the
// guest: watched ranges are compared at the end of every slice; when one changed, the machine
// goes back to the last point it was known unchanged and bisects by deterministic
// re-execution to the exact instruction (or the DMA at a sync point) that changed it. Loads
// leave nothing to compare: read and access watchpoints have their blocks of RAM served by JS
// handlers that note a load (read-watch.ts), and a noted load is pinned down the same way.
import type { Machine } from "./machine";
import { ReadWatch } from "./read-watch";
import type { V86Instance } from "./v86/instantiate";
import { restoreSnapshot, saveSnapshot } from "./snapshot";
import type { StopReason } from "./stop-reason";

/** What stops: a store (or DMA) that changes the range, a load from it, or either. */
export type WatchAccess = "write" | "read" | "access";

export interface Watchpoint {
  id: number;
  /** Guest-physical address (for a device register: its offset). */
  address: number;
  length: number;
  /** "write" when absent. */
  access?: WatchAccess;
  /**
   * Watch the NIC's register at this offset of its BAR0 instead of memory (4 bytes, writes:
   * any change, by a guest access or by the device itself at a sync point, the latter reported
   * as `by: "dma"`). Read without side effects (E1000.peekRegister).
   */
  register?: number;
}

interface Watched extends Watchpoint {
  shadow: Uint8Array;
}

/** The VGA window's block of physical memory: v86's own handlers serve it, so loads there cannot be watched. */
const VGA_BLOCK = 0xa0000 >>> 17;
/** Spans up to this many instructions are searched by stepping, longer ones by bisection (locateByStepping says why). */
const STEP_LOCATE_MAX = 8_000;
const loads = (w: Watchpoint): boolean => w.access === "read" || w.access === "access";
const stores = (w: Watchpoint): boolean => w.access !== "read";

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

  private readonly reads: ReadWatch;

  constructor(
    private readonly m: Machine,
    vm: V86Instance,
  ) {
    this.reads = new ReadWatch(vm);
  }

  list(): Watchpoint[] {
    return this.list_.map(({ id, address, length, access, register }) => ({ id, address, length, ...(access ? { access } : {}), ...(register !== undefined ? { register } : {}) }));
  }

  get armed(): boolean {
    return this.list_.length > 0;
  }

  set(list: Watchpoint[]): void {
    for (const w of list) {
      if (!Number.isInteger(w.length) || w.length < 1 || w.length > 4096) {
        throw new RangeError(`watchpoint ${w.id}: length must be 1..4096 bytes, got ${w.length}`);
      }
      if (w.register !== undefined) {
        if (loads(w)) throw new RangeError(`watchpoint ${w.id}: a device register is watched for changes, not loads`);
        if (!this.m.nic) throw new RangeError(`watchpoint ${w.id}: this machine has no NIC`);
        continue;
      }
      this.m.cpu.readPhysical(w.address, w.length); // throws a GuestMemoryError outside RAM
      if (loads(w) && w.address >>> 17 <= VGA_BLOCK && (w.address + w.length - 1) >>> 17 >= VGA_BLOCK) {
        throw new RangeError(`watchpoint ${w.id}: loads in the VGA window (0xa0000-0xbffff) cannot be watched`);
      }
    }
    this.list_ = list.map((w) => ({ ...w, shadow: this.bytesOf(w) }));
    this.reads.set(this.list_.filter(loads));
    this.verifiedAt = this.m.icountNumber;
  }

  /** Called when a run starts: a checkpoint at or before now anchors later bisection. */
  arm(): void {
    if (!this.armed) return;
    this.resync();
    const tl = this.m.timeline;
    if (!tl.before(this.m.icountNumber)) tl.checkpoint();
  }

  /** Re-reads the shadows (after a seek or a restore the memory is whatever it is there); forgets noted loads. */
  resync(): void {
    for (const w of this.list_) w.shadow = this.bytesOf(w);
    this.reads.take();
    this.verifiedAt = this.m.icountNumber;
  }

  /** What a watchpoint watches, as it is now: guest memory, or a NIC register (little-endian). */
  private bytesOf(w: Watchpoint): Uint8Array {
    if (w.register === undefined) return this.m.cpu.readPhysical(w.address, w.length);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.m.nic?.model.peekRegister(w.register) ?? 0, true);
    return out;
  }

  private changed(): Watched | undefined {
    this.stats.checks++;
    for (const w of this.list_) if (stores(w) && !equal(this.bytesOf(w), w.shadow)) return w;
    return undefined;
  }

  /**
   * The read or access watchpoint a load touched since the last look (and forgets the load).
   * `before`: the registers before the one instruction that ran since, to tell what a rep string
   * instruction loaded.
   */
  takeLoad(before?: ReturnType<Machine["cpu"]["registers"]>): Watchpoint | undefined {
    let w = this.loaded();
    if (this.reads.takeRep() && !w && before) w = this.repLoad(before);
    return w && { id: w.id, address: w.address, length: w.length, ...(w.access ? { access: w.access } : {}) };
  }

  /** Runs `fn` (one instruction) and says which read or access watchpoint a load of it touched. */
  loadDuring<T>(fn: () => T): [T, Watchpoint | undefined] {
    this.takeLoad();
    const before = this.m.cpu.registers();
    const result = fn();
    return [result, this.takeLoad(before)];
  }

  /** The stop for a load from `w`'s range (the bytes are as they are: a load changes nothing). */
  loadStop(w: Watchpoint, pc?: number): StopReason {
    const bytes = this.m.cpu.readPhysical(w.address, w.length);
    return { kind: "watchpoint", id: w.id, address: w.address, length: w.length, oldBytes: bytes, newBytes: bytes, by: "cpu", access: "read", ...(pc !== undefined ? { pc } : {}) };
  }

  /** The watchpoint of a load noted since the last look (the noted range is one of list_'s). */
  private loaded(): Watched | undefined {
    const r = this.reads.take();
    return r && this.list_.find((w) => w.id === r.id);
  }

  /**
   * Checks the ranges. `dma`: right after a sync point, before any instruction ran, so any
   * change was a device's DMA. Otherwise a CPU store since the last check is pinned down.
   */
  check(dma: boolean): StopReason | undefined {
    const w = this.changed();
    const r = dma ? undefined : this.loaded();
    const rep = !dma && this.reads.takeRep();
    if (!w && !r && !rep) {
      this.verifiedAt = this.m.icountNumber;
      if (!dma) this.m.timeline.maybeCheckpoint();
      return undefined;
    }
    if (dma) return this.hit(w!, "dma");
    if (this.m.icountNumber > this.verifiedAt) {
      // The first store or load since verifiedAt, whichever came first; the machine is left right after it.
      const first = this.locate();
      if (!first) {
        this.verifiedAt = this.m.icountNumber;
        return undefined;
      }
      return first.read ? this.hitRead(first.w, first.pc) : this.hit(first.w, "cpu", first.pc);
    }
    if (w) return this.hit(w, "cpu");
    return r ? this.hitRead(r) : undefined;
  }

  private hit(w: Watched, by: "cpu" | "dma", pc?: number): StopReason {
    this.stats.hits++;
    const oldBytes = w.shadow;
    const newBytes = this.bytesOf(w);
    this.resync();
    return {
      kind: "watchpoint",
      id: w.id,
      address: w.address,
      length: w.length,
      oldBytes,
      newBytes,
      by,
      ...(pc !== undefined ? { pc } : {}),
      ...(w.register !== undefined ? { register: w.register } : {}),
    };
  }

  private hitRead(w: Watched, pc?: number): StopReason {
    this.stats.hits++;
    const stop = this.loadStop(w, pc);
    this.resync();
    return stop;
  }

  /**
   * Leaves the machine right after the instruction that first changed a watched range or loaded
   * from one since verifiedAt, and says which; undefined (the machine back where it was) if
   * re-execution saw neither. A rep string instruction's flag is a maybe: the instruction it
   * narrows down to is checked from its registers, and if it loaded nothing watched the search
   * goes on after it.
   */
  private locate(): { w: Watched; read: boolean; pc: number } | undefined {
    const m = this.m;
    const end = m.icountNumber;
    let lo = this.verifiedAt;
    const forget = (): void => {
      this.reads.take();
      this.reads.takeRep();
    };
    const happened = (): boolean => this.changed() !== undefined || this.reads.take() !== undefined || this.reads.takeRep();
    this.stats.probes++;
    m.timeline.seek(lo);
    if (end - lo <= STEP_LOCATE_MAX) return this.locateByStepping(end);
    for (;;) {
      let hi = end;
      forget();
      let loSnap = saveSnapshot(m);
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        this.stats.probes++;
        m.advanceTo(mid);
        if (happened()) {
          hi = mid;
          restoreSnapshot(m, loSnap, "replay");
        } else {
          lo = mid;
          loSnap = saveSnapshot(m);
        }
        forget();
      }
      const before = m.cpu.registers();
      const pc = m.cpu.pc >>> 0;
      m.advanceTo(hi);
      const w = this.changed();
      if (w) return { w, read: false, pc };
      const r = this.loaded();
      if (r) return { w: r, read: true, pc };
      if (this.reads.takeRep()) {
        const rep = this.repLoad(before);
        if (rep) return { w: rep, read: true, pc };
      }
      if (hi >= end) return undefined;
      lo = hi;
    }
  }

  /**
   * locate() over a short span, from where the machine is to `end`: one instruction at a time,
   * comparing after each. A snapshot costs ~2.5 ms to take and ~4 ms to restore (v86 scans and
   * zeroes all of RAM), an instruction ~3.5 µs with the comparison: below STEP_LOCATE_MAX
   * instructions stepping wins over bisecting, and the slices between sync points mostly are.
   */
  private locateByStepping(end: number): { w: Watched; read: boolean; pc: number } | undefined {
    const m = this.m;
    const watchesLoads = this.list_.some(loads);
    this.reads.take();
    this.reads.takeRep();
    while (m.icountNumber < end) {
      const before = watchesLoads ? m.cpu.registers() : undefined;
      const pc = m.cpu.pc >>> 0;
      this.stats.probes++;
      m.advanceTo(m.icountNumber + 1);
      const w = this.changed();
      if (w) return { w, read: false, pc };
      const r = this.loaded();
      if (r) return { w: r, read: true, pc };
      if (this.reads.takeRep() && before) {
        const rep = this.repLoad(before);
        if (rep) return { w: rep, read: true, pc };
      }
    }
    return undefined;
  }

  /** The watchpoint whose range the rep string instruction just run (from `before`) loaded from, if any. */
  private repLoad(before: ReturnType<Machine["cpu"]["registers"]>): Watched | undefined {
    const op = stringLoad(this.m.cpu.readLinear(before.eip >>> 0, 15));
    if (!op) return undefined;
    const after = this.m.cpu.registers();
    const spans: [number, number][] = [];
    const span = (from: number, to: number): void => {
      if (from === to) return;
      // the bytes between the register's values, whichever way the direction flag took it
      const [a, b] = to > from ? [from, to] : [to + op.size, from + op.size];
      const phys = this.m.cpu.translate(a >>> 0);
      if (phys !== undefined) spans.push([phys, phys + (b - a)]);
    };
    if (op.src) span(before.esi >>> 0, after.esi >>> 0);
    if (op.dst) span(before.edi >>> 0, after.edi >>> 0);
    return this.list_.find((w) => loads(w) && spans.some(([a, b]) => w.address < b && w.address + w.length > a));
  }
}

const PREFIXES = new Set([0xf2, 0xf3, 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]);

/**
 * What a string instruction loads: through ESI (movs, cmps, lods, outs), through EDI (cmps,
 * scas), and its element size; undefined for other instructions (and stos, ins, which store).
 */
function stringLoad(code: Uint8Array): { src: boolean; dst: boolean; size: number } | undefined {
  let i = 0;
  let size = 4;
  for (; i < code.length && PREFIXES.has(code[i]!); i++) if (code[i] === 0x66) size = 2;
  const op = code[i];
  if (op === undefined) return undefined;
  const byte = (op & 1) === 0;
  const s = byte ? 1 : size;
  if (op === 0xa4 || op === 0xa5 || op === 0xac || op === 0xad || op === 0x6e || op === 0x6f) return { src: true, dst: false, size: s };
  if (op === 0xa6 || op === 0xa7) return { src: true, dst: true, size: s };
  if (op === 0xae || op === 0xaf) return { src: false, dst: true, size: s };
  return undefined;
}
