// Which frame-in record a receive descriptor's bytes came from. An RX DMA record refers to the
// frame-in event its bytes were copied from (format 2 on) instead of repeating them: the NIC
// copies arriving frames into the ring in arrival order, skipping those it dropped, and a frame
// longer than a receive buffer spans descriptors. The recorder tells this window each frame it
// writes and asks it for each descriptor it writes.
import type { FrameRef } from "./codec";

/** How many frames after the last matched one a descriptor's bytes are looked for in. */
const MATCH_WINDOW = 1024;
/** Frames kept at most: past 4 windows unmatched (a guest that stopped receiving), the oldest window goes. */
const MAX_UNMATCHED = 4 * MATCH_WINDOW;
/** Ring slots: a power of two above MAX_UNMATCHED. */
const RING = 8192;

export class FrameRefs {
  /** Frame n (the recording's n-th frame-in record) is ring[n % RING] while live <= n < end. */
  private readonly ring: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(RING).fill(undefined);
  private end = 0;
  /** Frames before this one are matched or passed over. */
  private live = 0;
  /** The frame the last descriptor came from (-1: none yet), and where its bytes ended in it. */
  private last = -1;
  private lastEnd = 0;

  /** A frame-in record was written: it is frame number `end`. */
  add(bytes: Uint8Array): void {
    this.ring[this.end++ % RING] = bytes;
    if (this.end - this.live > MAX_UNMATCHED) this.passTo(this.live + MATCH_WINDOW);
  }

  /** Sets `out` to where a descriptor's bytes come from; false: from no frame kept (they are stored literally). */
  ref(bytes: Uint8Array, out: FrameRef): boolean {
    const last = this.last;
    const from = Math.max(this.live, last + 1);
    // The usual case: the next frame, whole in one receive buffer (e1000-rx.ts hands on the frame
    // object itself), found without reading a typed array's properties (~10 ns each).
    if (from < this.end && this.ring[from % RING] === bytes) return this.matched(from, bytes.length, out);
    if (last >= this.live) {
      const f = this.ring[last % RING]!;
      if (this.lastEnd < f.length && sameBytes(f, this.lastEnd, bytes)) {
        out.frame = last;
        out.offset = this.lastEnd;
        this.lastEnd += bytes.length;
        return true;
      }
    }
    const end = Math.min(this.end, from + MATCH_WINDOW);
    for (let n = from; n < end; n++) if (sameBytes(this.ring[n % RING]!, 0, bytes)) return this.matched(n, bytes.length, out);
    return false;
  }

  /** A descriptor's bytes begin frame `n`: frames before it are consumed (or were dropped). */
  private matched(n: number, length: number, out: FrameRef): true {
    this.passTo(n);
    this.last = n;
    this.lastEnd = length;
    out.frame = n;
    out.offset = 0;
    return true;
  }

  /** Lets go of the frames before `n` (their slabs can be freed). */
  private passTo(n: number): void {
    for (let k = this.live; k < n && k < this.end; k++) this.ring[k % RING] = undefined;
    this.live = Math.max(this.live, n);
  }
}

function sameBytes(frame: Uint8Array, offset: number, bytes: Uint8Array): boolean {
  if (bytes.length === 0 || offset + bytes.length > frame.length) return false;
  // The NIC model hands out views of the arrived frame: the same memory is the same bytes.
  if (bytes.buffer === frame.buffer && bytes.byteOffset === frame.byteOffset + offset) return true;
  return Buffer.compare(Buffer.from(frame.buffer, frame.byteOffset + offset, bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)) === 0;
}
