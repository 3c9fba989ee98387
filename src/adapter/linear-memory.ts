// The guest's memory as the debugger sees it: linear addresses through the CPU's paging, an
// unmapped range reading as undefined rather than throwing, and the Memory view's long reads.
import type { CpuView } from "../vmm/cpu-view";
import type { GuestMemory } from "./values/typed-value";

const PAGE = 0x1000;

/** What the Memory view gets for a range: the readable prefix and how many bytes follow it unread. */
export interface MemoryRange {
  data: Uint8Array;
  unreadableBytes: number;
}

export class LinearMemory implements GuestMemory {
  /** `written` runs after every write (frames and values computed before it are stale). */
  constructor(
    private readonly cpu: CpuView,
    private readonly written: () => void,
  ) {}

  read(address: number, length: number): Uint8Array | undefined {
    try {
      return this.cpu.readLinear(address >>> 0, length);
    } catch {
      return undefined;
    }
  }

  write(address: number, bytes: Uint8Array): void {
    this.cpu.writeLinear(address >>> 0, bytes);
    this.written();
  }

  /** Reads page by page, since paging maps each page on its own: the first unreadable page ends the data. */
  readRange(address: number, count: number): MemoryRange {
    const parts: Uint8Array[] = [];
    let done = 0;
    while (done < count) {
      const at = (address + done) >>> 0;
      const n = Math.min(count - done, PAGE - (at & (PAGE - 1)));
      const b = this.read(at, n);
      if (!b) break;
      parts.push(b);
      done += n;
    }
    return { data: Buffer.concat(parts), unreadableBytes: count - done };
  }
}
