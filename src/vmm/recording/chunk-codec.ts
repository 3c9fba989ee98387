// Compressed chunks (format 5): a chunk whose type carries CHUNK_COMPRESSED stores its payload
// as u8 method, u8[3] 0, u32 inflated length, then the compressed bytes. Writers compress with
// brotli (COMPRESSION_BROTLI) where that makes the chunk smaller and store it plain otherwise;
// the chunk I/O thread (chunk-io.ts) does the same for event chunks, off the guest thread, with
// a copy of this logic in its source. Measured on recorded event chunks, kernels, content disks
// and snapshots against raw DEFLATE level 1 and brotli qualities 0 to 2:
// - event chunks, written all the time: quality 0, the least CPU of them all (echo traffic
//   1.8 ms/MB against DEFLATE's 2.3 and quality 2's 2.5; incompressible payloads 3.8 against
//   20 and 11) at DEFLATE's size on traffic (the engine's events 55% against 46% and 37%). The
//   CPU counts twice: the chunk I/O thread's work slows the guest thread beside it (an echo
//   recording cost about 6% more guest-thread CPU at quality 2 than at 0).
// - kernel, disk and snapshot chunks, written once: quality 2, the smallest (the engine's disk
//   66% against DEFLATE's 89%, a snapshot 36% against 50%) at no more CPU than DEFLATE.
// Readers also take raw DEFLATE (method 1).
import { brotliCompressSync, brotliDecompressSync, constants, inflateRawSync } from "node:zlib";
import { CHUNK_COMPRESSED, ChunkType, COMPRESSION_BROTLI, COMPRESSION_DEFLATE_RAW, MAX_CHUNK_BYTES, RecordingError } from "./format";

/** Brotli quality for event chunks, and for the other chunks. */
export const EVENTS_BROTLI_QUALITY = 0;
export const BROTLI_QUALITY = 2;
/** Bytes before the compressed stream: method, three zero bytes, inflated length. */
export const COMPRESSED_PREFIX_BYTES = 8;

/** The brotli window for a payload: no larger than the payload needs (the default is 4 MiB). */
export function brotliWindowBits(length: number): number {
  return Math.max(16, Math.min(22, Math.ceil(Math.log2(length + 16))));
}

/** The compressed stream of a chunk's payload (brotli). */
export function compressPayload(payload: Uint8Array, quality = BROTLI_QUALITY): Uint8Array {
  return brotliCompressSync(payload, {
    params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length, [constants.BROTLI_PARAM_LGWIN]: brotliWindowBits(payload.length) },
  });
}

/**
 * The chunk as stored: compressed (type | CHUNK_COMPRESSED) when that saves bytes, else as it
 * is. The result's parts go to the file in order (no copy of the compressed bytes).
 */
export function compressChunk(type: number, payload: Uint8Array): { type: number; parts: Uint8Array[]; length: number } {
  if (payload.length < 64) return { type, parts: [payload], length: payload.length };
  const z = compressPayload(payload, (type as ChunkType) === ChunkType.Events ? EVENTS_BROTLI_QUALITY : BROTLI_QUALITY);
  if (z.length + COMPRESSED_PREFIX_BYTES >= payload.length) return { type, parts: [payload], length: payload.length };
  const prefix = compressedPrefix(payload.length);
  return { type: type | CHUNK_COMPRESSED, parts: [prefix, z], length: prefix.length + z.length };
}

export function compressedPrefix(inflatedLength: number, method = COMPRESSION_BROTLI): Uint8Array {
  const prefix = new Uint8Array(COMPRESSED_PREFIX_BYTES);
  prefix[0] = method;
  new DataView(prefix.buffer).setUint32(4, inflatedLength, true);
  return prefix;
}

export function inflateChunk(stored: Uint8Array, chunk: number, at: number): Uint8Array {
  const bad = (why: string): never => {
    throw new RecordingError("bad-chunk", `compressed chunk ${chunk} at byte ${at} ${why}: the file is corrupt`, at);
  };
  if (stored.length < COMPRESSED_PREFIX_BYTES) bad(`is ${stored.length} bytes, shorter than its ${COMPRESSED_PREFIX_BYTES}-byte prefix`);
  const v = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const method = v.getUint8(0);
  if (method !== COMPRESSION_BROTLI && method !== COMPRESSION_DEFLATE_RAW) bad(`uses unknown compression method ${method}`);
  if (v.getUint8(1) | v.getUint8(2) | v.getUint8(3)) bad("has non-zero reserved bytes");
  const length = v.getUint32(4, true);
  if (length > MAX_CHUNK_BYTES) bad(`claims to inflate to ${length} bytes`);
  let out: Buffer;
  try {
    // One byte more than announced is room enough to notice a stream that inflates further.
    const z = stored.subarray(COMPRESSED_PREFIX_BYTES);
    out = method === COMPRESSION_BROTLI ? brotliDecompressSync(z, { maxOutputLength: length + 1 }) : inflateRawSync(z, { maxOutputLength: length + 1 });
  } catch (e) {
    return bad(`does not inflate (${(e as Error).message})`);
  }
  if (out.length !== length) bad(`inflates to ${out.length > length ? "more than" : "only"} ${Math.min(out.length, length)} bytes, not the ${length} it announces`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
