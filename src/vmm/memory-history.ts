// The history of a range of guest memory (or of a NIC register): every change to it between
// two points of a run, each with its old and new bytes, its instruction count and virtual time,
// and who wrote it: a CPU store (the instruction's address, which a caller maps to a source
// line) or a device (for the NIC's receive DMA, the descriptor and the frame). The run is re-executed between
// the two points with the range watched (watchpoints.ts pins each change to its instruction
// or DMA), the way a reverse continue searches the past (reverse.ts), then the machine goes
// back to where it was. Pernosco shows this for a process; here the writers include devices.
import type { Machine } from "./machine";
import type { RxDescriptorUse } from "./nic-dma-log";
import { scan, seekToWork } from "./reverse";
import type { Chunks, LongWork, Progress } from "./long-work";

export interface MemoryRange {
  /** Guest-physical (for a NIC register: its offset in BAR0). */
  address: number;
  /** 1..4096 bytes (a watchpoint's limit; a register is 4). */
  length: number;
  /** Follow the NIC's register at offset `address` instead of memory: changes by the device itself come as `by: "dma"`. */
  register?: boolean;
}

export interface MemoryChange {
  icount: number;
  ns: number;
  oldBytes: Uint8Array;
  newBytes: Uint8Array;
  by: "cpu" | "dma";
  /** For a CPU store: the linear address of the storing instruction, where it was pinned down. */
  pc?: number;
  /** For the NIC's receive DMA: the descriptor it filled (its bytes are the frame's). */
  rx?: RxDescriptorUse;
}

export interface MemoryHistory {
  changes: MemoryChange[];
  /** The span searched: [from, to) in instructions. */
  from: number;
  to: number;
  /** Set when `limit` changes were found before `to`: the search stopped at the last one. */
  truncated: boolean;
}

/** Where a change begins: its first byte that differs (the last byte if none does). */
export function firstChangedByte(c: Pick<MemoryChange, "oldBytes" | "newBytes">): number {
  let k = 0;
  while (k < c.newBytes.length - 1 && c.oldBytes[k] === c.newBytes[k]) k++;
  return k;
}

/** The watchpoint id the search uses (the machine's own watchpoints are set aside meanwhile). */
const HISTORY_WATCH = -1;

/**
 * The changes to `range` in [from, to) (instruction counts, `from` at or after the timeline's
 * first checkpoint), as long work; the machine ends where it was. At most `limit` changes
 * (default 10,000): a range written in a loop would otherwise list millions.
 */
export function* memoryHistoryWork(m: Machine, range: MemoryRange, from: number, to: number, opts: { limit?: number; chunks?: Chunks } = {}): LongWork<MemoryHistory> {
  if (!Number.isInteger(range.length) || range.length < 1 || range.length > 4096) throw new RangeError(`a memory history covers 1..4096 bytes, got ${range.length}`);
  if (!(to > from)) throw new RangeError(`the span to search is empty: from ${from} to ${to}`);
  if (range.register && range.length !== 4) throw new RangeError(`a NIC register is 4 bytes, got ${range.length}`);
  if (!range.register) m.cpu.readPhysical(range.address, range.length); // a GuestMemoryError outside RAM
  const limit = opts.limit ?? 10_000;
  const origin = m.icountNumber;
  const changes: MemoryChange[] = [];
  const progress = (): Progress => ({ done: m.icountNumber - from, total: to - from });
  yield* scan(
    m,
    {
      arm: (mm) => {
        mm.breakpoints.set([]);
        mm.setExceptionStops([]);
        mm.setWatchpoints([{ id: HISTORY_WATCH, address: range.address, length: range.length, ...(range.register ? { register: range.address } : {}) }]);
      },
      accept: (mm, stop) => {
        if (stop.kind !== "watchpoint") return false;
        const c: MemoryChange = { icount: mm.icountNumber, ns: mm.nowNs, oldBytes: stop.oldBytes, newBytes: stop.newBytes, by: stop.by };
        if (stop.pc !== undefined) c.pc = stop.pc;
        if (stop.by === "dma" && !range.register) {
          const rx = mm.dmaLog?.receiveAt(mm.icountNumber, range.address, range.length);
          if (rx) c.rx = rx;
        }
        changes.push(c);
        return true;
      },
      done: () => changes.length >= limit,
    },
    from,
    to,
    opts.chunks,
    progress,
  );
  const truncated = changes.length >= limit;
  // Cancelled (runWatched stops the work between chunks), the caller moves the machine back.
  yield* seekToWork(m, origin, opts.chunks);
  return { changes, from, to: truncated ? changes[changes.length - 1]!.icount : to, truncated };
}
