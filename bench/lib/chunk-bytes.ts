// A recording's bytes by chunk type, as stored and inflated: what the recording bench and the
// evaluation's logging section report as log size.
import { readFileSync } from "node:fs";
import { inflateChunk } from "../../src/vmm/recording/chunk-codec";
import { CHUNK_COMPRESSED } from "../../src/vmm/recording/format";

export function chunkBytes(path: string): Map<number, { stored: number; inflated: number }> {
  const b = new Uint8Array(readFileSync(path));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Map<number, { stored: number; inflated: number }>();
  for (let pos = 16; pos + 16 <= b.length;) {
    const raw = v.getUint8(pos);
    const n = v.getUint32(pos + 8, true);
    const stored = b.subarray(pos + 16, pos + 16 + n);
    const type = raw & ~CHUNK_COMPRESSED;
    const x = out.get(type) ?? { stored: 0, inflated: 0 };
    x.stored += 16 + n;
    x.inflated += 16 + (raw & CHUNK_COMPRESSED ? inflateChunk(stored, 0, pos).length : n);
    out.set(type, x);
    pos += 16 + n;
  }
  return out;
}
