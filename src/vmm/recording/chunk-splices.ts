// The frame bytes an event chunk leaves out: where each goes in the chunk, and which frame slab
// (frame-slabs.ts) holds it. The recording writer encodes a frame-in record's header only and
// notes its bytes here; the chunk I/O thread copies them in as it writes the chunk (chunk-io.ts,
// which repeats materialize's loop in its worker source), or materialize does it here when the
// chunk is written on this thread.
import type { FrameSlab } from "../frame-slabs";

/** Int32 words per splice in the table handed to the I/O thread: position, slab, offset, length. */
export const SPLICE_WORDS = 4;

export class ChunkSplices {
  /** SPLICE_WORDS numbers per splice, in chunk order (grown, never shrunk: a chunk holds ~500). */
  private words = new Int32Array(SPLICE_WORDS * 1024);
  private used = 0;
  private readonly slabById = new Map<number, FrameSlab>();
  /** The slab of the last splice: frames come a slab at a time. */
  private lastSlab = -1;
  /** Bytes left out of the chunk so far. */
  bytes = 0;

  get count(): number {
    return this.used / SPLICE_WORDS;
  }

  /** `length` bytes from `offset` in `slab` go at position `at` of the chunk as encoded. */
  add(at: number, slab: FrameSlab, offset: number, length: number): void {
    if (this.used + SPLICE_WORDS > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    const w = this.words;
    const i = this.used;
    w[i] = at;
    w[i + 1] = slab.id;
    w[i + 2] = offset;
    w[i + 3] = length;
    this.used = i + SPLICE_WORDS;
    if (slab.id !== this.lastSlab) {
      this.lastSlab = slab.id;
      this.slabById.set(slab.id, slab);
    }
    this.bytes += length;
  }

  slabs(): IterableIterator<FrameSlab> {
    return this.slabById.values();
  }

  /** Bytes the table takes after a chunk of `encoded` bytes (at the next 4-byte boundary). */
  tableBytes(encoded: number): number {
    return tableAt(encoded) - encoded + this.used * 4;
  }

  writeTable(out: Int32Array): void {
    out.set(this.words.subarray(0, this.used));
  }

  /** The chunk with its frame bytes in place. */
  materialize(encoded: Uint8Array): Uint8Array {
    if (this.used === 0) return encoded;
    const out = new Uint8Array(encoded.length + this.bytes);
    const w = this.words;
    let o = 0;
    let p = 0;
    for (let k = 0; k < this.used; k += SPLICE_WORDS) {
      const at = w[k]!;
      const len = w[k + 3]!;
      out.set(encoded.subarray(p, at), o);
      o += at - p;
      p = at;
      out.set(new Uint8Array(this.slabById.get(w[k + 1]!)!.sab, w[k + 2]!, len), o);
      o += len;
    }
    out.set(encoded.subarray(p), o);
    return out;
  }

  clear(): void {
    this.used = 0;
    this.slabById.clear();
    this.lastSlab = -1;
    this.bytes = 0;
  }
}

/** Where the table starts after a chunk of `encoded` bytes. */
export function tableAt(encoded: number): number {
  return (encoded + 3) & ~3;
}
