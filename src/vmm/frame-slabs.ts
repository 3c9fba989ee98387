// Frames that reach a machine's wire are kept in shared slabs (SharedArrayBuffers), one after
// another, so that a recording's chunk I/O thread can copy their bytes into the file itself:
// the guest thread writes a frame-in record's header and where its bytes are, not the bytes.
// Copying them into each chunk on the guest thread cost it ~2% of a busy echo run (~22 MB in
// 8 virtual s, by the profile). The wire copied every frame it was given anyway; that copy
// now lands here. A slab lives as long as a view of it does (the journal keeps its frames).

/**
 * Bytes per slab: the chunk I/O thread is sent each slab once (a message, which cost the guest
 * thread up to ~2 ms on a busy host), so a few a second at most. A frame above a quarter of it
 * keeps a buffer of its own (and is copied into the file on the guest thread).
 */
export const SLAB_BYTES = 4 << 20;
const MAX_FRAME = SLAB_BYTES >> 2;

export interface FrameSlab {
  /** Its number in this thread (each thread has its own slabs and its own chunk I/O thread). */
  readonly id: number;
  readonly sab: SharedArrayBuffer;
}

const byBuffer = new WeakMap<ArrayBufferLike, FrameSlab>();
let current: { slab: FrameSlab; bytes: Uint8Array; used: number } | undefined;
let nextId = 0;

/** A copy of `frame` in the current slab (or, past MAX_FRAME, in a buffer of its own). */
export function copyToSlab(frame: Uint8Array): Uint8Array {
  const n = frame.length;
  if (n > MAX_FRAME) return new Uint8Array(frame);
  if (!current || current.used + n > SLAB_BYTES) {
    const slab = { id: nextId++, sab: new SharedArrayBuffer(SLAB_BYTES) };
    byBuffer.set(slab.sab, slab);
    current = { slab, bytes: new Uint8Array(slab.sab), used: 0 };
  }
  const at = current.used;
  current.bytes.set(frame, at);
  current.used = at + n;
  return current.bytes.subarray(at, at + n);
}

/**
 * Frames a guest transmitted: copied out of guest RAM (the guest reuses its buffers) into slabs
 * of their own. An ArrayBuffer per frame was a malloc and external memory each: at a stream
 * server's packet rate its engine thread's p99 send lateness was ~7 ms at 192 streams, against
 * ~2.5 ms with slabs. They are not in `byBuffer` (no recording splices them): registered there,
 * they outlived the young collections that should have freed them, and the server's RSS passed
 * 1.3 GB.
 */
let tx: { bytes: Uint8Array; used: number } | undefined;

/** A copy of a transmitted frame, in the current transmit slab (past MAX_FRAME, in a buffer of its own). */
export function copyTransmitted(frame: Uint8Array): Uint8Array {
  const n = frame.length;
  if (n > MAX_FRAME) return frame.slice();
  if (!tx || tx.used + n > SLAB_BYTES) tx = { bytes: new Uint8Array(new SharedArrayBuffer(SLAB_BYTES)), used: 0 };
  const at = tx.used;
  tx.bytes.set(frame, at);
  tx.used = at + n;
  return tx.bytes.subarray(at, at + n);
}

/** The slab a frame's bytes are in, if they are in one. */
export function slabOf(bytes: Uint8Array): FrameSlab | undefined {
  return byBuffer.get(bytes.buffer);
}
