// The frame bytes an event chunk leaves out: where each goes in the chunk, and which frame slab
// (frame-slabs.ts) holds it. The recording writer encodes a frame-in record's header only and
// notes its bytes here; the chunk I/O thread copies them in as it writes the chunk (chunk-io.ts,
// which repeats materialize's loop in its worker source), or materialize does it here when the
// chunk is written on this thread.
import type { FrameSlab } from "../frame-slabs";

/** Int32 words per splice in the table handed to the I/O thread: position, slab, offset, length. */
export const SPLICE_WORDS = 4;

export class ChunkSplices {
  /** SPLICE_WORDS numbers per splice, in chunk order. */
  private readonly list: number[] = [];
  private readonly slabById = new Map<number, FrameSlab>();
  /** Bytes left out of the chunk so far. */
  bytes = 0;

  get count(): number {
    return this.list.length / SPLICE_WORDS;
  }

  /** `length` bytes from `offset` in `slab` go at position `at` of the chunk as encoded. */
  add(at: number, slab: FrameSlab, offset: number, length: number): void {
    this.list.push(at, slab.id, offset, length);
    if (!this.slabById.has(slab.id)) this.slabById.set(slab.id, slab);
    this.bytes += length;
  }

  slabs(): IterableIterator<FrameSlab> {
    return this.slabById.values();
  }

  /** Bytes the table takes after a chunk of `encoded` bytes (at the next 4-byte boundary). */
  tableBytes(encoded: number): number {
    return tableAt(encoded) - encoded + this.list.length * 4;
  }

  writeTable(out: Int32Array): void {
    for (let i = 0; i < this.list.length; i++) out[i] = this.list[i]!;
  }

  /** The chunk with its frame bytes in place. */
  materialize(encoded: Uint8Array): Uint8Array {
    if (this.list.length === 0) return encoded;
    const out = new Uint8Array(encoded.length + this.bytes);
    let o = 0;
    let p = 0;
    for (let k = 0; k < this.list.length; k += SPLICE_WORDS) {
      const at = this.list[k]!;
      const len = this.list[k + 3]!;
      out.set(encoded.subarray(p, at), o);
      o += at - p;
      p = at;
      out.set(new Uint8Array(this.slabById.get(this.list[k + 1]!)!.sab, this.list[k + 2]!, len), o);
      o += len;
    }
    out.set(encoded.subarray(p), o);
    return out;
  }

  clear(): void {
    this.list.length = 0;
    this.slabById.clear();
    this.bytes = 0;
  }
}

/** Where the table starts after a chunk of `encoded` bytes. */
export function tableAt(encoded: number): number {
  return (encoded + 3) & ~3;
}
