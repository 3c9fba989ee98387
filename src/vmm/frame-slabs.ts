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
let nextId = 0;

/** Frames copied one after another into slabs; a new slab (`fresh`) when the current one is full. */
class SlabFill {
  private bytes: Uint8Array | undefined;
  private used = 0;

  constructor(private readonly fresh: () => Uint8Array) {}

  /** A copy of `frame` in the current slab (past MAX_FRAME, in a buffer of its own). */
  copy(frame: Uint8Array): Uint8Array {
    const n = frame.length;
    if (n > MAX_FRAME) return frame.slice();
    if (!this.bytes || this.used + n > SLAB_BYTES) {
      this.bytes = this.fresh();
      this.used = 0;
    }
    const at = this.used;
    this.bytes.set(frame, at);
    this.used = at + n;
    return this.bytes.subarray(at, at + n);
  }
}

const wire = new SlabFill(() => {
  const slab = { id: nextId++, sab: new SharedArrayBuffer(SLAB_BYTES) };
  byBuffer.set(slab.sab, slab);
  return new Uint8Array(slab.sab);
});

/** A copy of `frame` in the current slab (or, past MAX_FRAME, in a buffer of its own). */
export function copyToSlab(frame: Uint8Array): Uint8Array {
  return wire.copy(frame);
}

/**
 * Frames a guest transmitted: copied out of guest RAM (the guest reuses its buffers) into slabs
 * of their own. An ArrayBuffer per frame was a malloc and external memory each: at a stream
 * server's packet rate its engine thread's p99 send lateness was ~7 ms at 192 streams, against
 * ~2.5 ms with slabs. They are not in `byBuffer` (no recording splices them): registered there,
 * they outlived the young collections that should have freed them, and the server's RSS passed
 * 1.3 GB.
 */
const transmitted = new SlabFill(() => new Uint8Array(new SharedArrayBuffer(SLAB_BYTES)));

/** A copy of a transmitted frame, in the current transmit slab (past MAX_FRAME, in a buffer of its own). */
export function copyTransmitted(frame: Uint8Array): Uint8Array {
  return transmitted.copy(frame);
}

/** The slab slabOf found last: frames come in slab order, and a WeakMap lookup per frame cost ~90 ns. */
let lastSlab: FrameSlab | undefined;

/** The slab a frame's bytes are in, if they are in one. */
export function slabOf(bytes: Uint8Array): FrameSlab | undefined {
  const buffer = bytes.buffer;
  if (buffer === lastSlab?.sab) return lastSlab;
  const slab = byBuffer.get(buffer);
  if (slab) lastSlab = slab;
  return slab;
}
