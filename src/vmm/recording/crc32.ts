// CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320, reflected). Every recorded byte
// passes through here, so it shows in the recording overhead: zlib's (Node >= 20.15, ~3 GB/s)
// when the runtime has it, else slicing-by-8 in JS (eight tables, 8 bytes a step, ~0.6 GB/s).
import * as zlib from "node:zlib";

const native = typeof zlib.crc32 === "function" ? zlib.crc32 : undefined;

/** CRC-32 of `bytes`, continuing from `crc` (pass the previous result to chain). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return native ? native(bytes, crc) : crc32Js(bytes, crc);
}

const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** The JS implementation (exported so tests check it against zlib's). */
export function crc32Js(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc | 0;
  let i = 0;
  const n = bytes.length;
  for (const end = n - 8; i <= end; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
