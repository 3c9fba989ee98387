// Read watchpoints. A load leaves nothing behind to compare, so while a read watchpoint is
// armed, the 128 KiB blocks of RAM holding its range are served by JS handlers: in_mapped_range
// reads a table of blocks the LVMM fills (wasm-patches.ts), and v86 sends every load and store
// in a marked block, interpreted or compiled, through its memory_map handlers. These serve RAM
// as v86 would (stores also drop compiled code of the page, as its own store path does) and
// note the first load that touched a watched range. They cannot stop the machine inside an
// instruction, so the watchpoints pin a noted load down by re-execution (watchpoints.ts). Rep
// string instructions keep v86's fast path over watched blocks (their instruction count must
// not depend on what is watched): one that may load from a watched block only raises a flag
// (takeRep), and the watchpoints work out from its registers what it loaded.
import { MAPPED_BLOCKS, type V86Instance } from "./v86/instantiate";

export interface WatchedRead {
  id: number;
  /** Guest-physical. */
  address: number;
  length: number;
}

const BLOCK_SHIFT = 17;
/** The block table's mark for RAM under a read watchpoint (the VGA window's is 1; wasm-patches.ts). */
const WATCHED = 2;

export class ReadWatch {
  private ranges: WatchedRead[] = [];
  private blocks: number[] = [];
  private noted: WatchedRead | undefined;

  constructor(private readonly vm: V86Instance) {}

  get armed(): boolean {
    return this.ranges.length > 0;
  }

  /** Watches these ranges for loads (replacing what was watched); noted loads are forgotten. */
  set(ranges: readonly WatchedRead[]): void {
    const cpu = this.vm.cpu;
    const table = new Uint8Array(cpu.wasm_memory.buffer, this.vm.mappedBlocksAddr, MAPPED_BLOCKS);
    for (const b of this.blocks) {
      table[b] = 0;
      cpu.memory_map_read8[b] = cpu.memory_map_read32[b] = undefined;
      cpu.memory_map_write8[b] = cpu.memory_map_write32[b] = undefined;
    }
    this.ranges = ranges.map((r) => ({ ...r }));
    const blocks = new Set<number>();
    for (const r of this.ranges) for (let b = r.address >>> BLOCK_SHIFT; b <= (r.address + r.length - 1) >>> BLOCK_SHIFT; b++) blocks.add(b);
    this.blocks = [...blocks];
    const dirty = this.vm.exports["jit_dirty_cache"] as (start: number, end: number) => void;
    const read8 = (a: number): number => {
      this.note(a, 1);
      return cpu.mem8[a]!;
    };
    const read32 = (a: number): number => {
      this.note(a, 4);
      const m = cpu.mem8;
      return m[a]! | (m[a + 1]! << 8) | (m[a + 2]! << 16) | (m[a + 3]! << 24);
    };
    const write8 = (a: number, v: number): void => {
      dirty(a, a + 1);
      cpu.mem8[a] = v;
    };
    const write32 = (a: number, v: number): void => {
      dirty(a, a + 4);
      const m = cpu.mem8;
      m[a] = v;
      m[a + 1] = v >>> 8;
      m[a + 2] = v >>> 16;
      m[a + 3] = v >>> 24;
    };
    for (const b of this.blocks) {
      table[b] = WATCHED;
      cpu.memory_map_read8[b] = read8;
      cpu.memory_map_read32[b] = read32;
      cpu.memory_map_write8[b] = write8;
      cpu.memory_map_write32[b] = write32;
    }
    // TLB entries remember whether their page was "mapped": a page walk must see the new table.
    (this.vm.exports["full_clear_tlb"] as () => void)();
    this.noted = undefined;
    this.takeRep();
  }

  /** True if a rep string instruction may have loaded from a watched block since the last call. */
  takeRep(): boolean {
    const g = this.vm.controls.repLoad;
    const v = g.value as number;
    g.value = 0;
    return v !== 0;
  }

  /** The watchpoint of the first watched load since the last call, and forgets it. */
  take(): WatchedRead | undefined {
    const n = this.noted;
    this.noted = undefined;
    return n;
  }

  private note(a: number, n: number): void {
    if (this.noted) return;
    for (const r of this.ranges) {
      if (a < r.address + r.length && a + n > r.address) {
        this.noted = r;
        return;
      }
    }
  }
}
