// Event chunks leave the guest thread here. The recording writer encodes events into a buffer of
// its own and hands each full chunk over with one copy into a shared buffer of this process-wide
// pool (submit); one I/O thread compresses it (format 5, chunk-codec.ts: stored compressed only
// where that is smaller), computes its CRC, writes header and payload with one writev(2), and
// gives the buffer back. CRC and write were about a third of what recording cost the guest thread
// (~2% of a busy echo run), and compression would cost it more. The copy per chunk costs ~15 us
// for 256 KiB; encoding straight into shared memory cost far more (V8 copies each frame's bytes
// into a SharedArrayBuffer through a slow path, ~250 ns a call against ~35), and the bytes of
// received frames are not copied here at all: the thread copies them into the chunk from the
// wire's frame slabs (chunk-splices.ts). One thread writes the chunks in the order they were
// handed over, so a process killed at any moment still leaves a file whose complete chunks form
// a prefix (format.ts). The thread runs at a lower priority than the guest thread (nice 10), and
// up to MAX_BUFFERS chunks can be in flight, so a busy machine that gives it less CPU for a while
// does not stall the guest. Where the thread cannot run (no zlib.crc32 in this Node, or no
// worker threads) the writer compresses and writes on its own thread.
import * as zlib from "node:zlib";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { CHUNK_COMPRESSED, CHUNK_HEADER_BYTES, COMPRESSION_BROTLI } from "./format";
import { COMPRESSED_PREFIX_BYTES, EVENTS_BROTLI_QUALITY } from "./chunk-codec";
import { SPLICE_WORDS, tableAt, type ChunkSplices } from "./chunk-splices";
import type { FrameSlab } from "../frame-slabs";

/** Bytes per buffer: event chunks are flushed at 256 KiB (plus one event); larger ones are written directly. */
export const SLOT_BYTES = 512 * 1024;
/** Chunks in flight at most (8 MiB of buffers); a writer that gets further ahead of the disk waits. */
const MAX_BUFFERS = 16;
/**
 * Waking a sleeping thread (Atomics.notify, a futex wake) cost the guest thread 20-50 us per
 * chunk on these hosts, a third of what handing a chunk over cost. So publish() does not wake
 * the I/O thread until this many chunks wait; the thread looks for work every POLL_MS anyway, and
 * sync() and a writer waiting for a free buffer wake it at once.
 */
const NOTIFY_BACKLOG = 4;
const POLL_MS = 5;
/** The thread's nice value: it gives way to the guest thread when the CPUs are busy. */
export const BACKGROUND_NICE = 10;

// Control words (Int32): jobs published (guest thread), jobs done (I/O thread), and 1 + the fd
// whose write failed (its later chunks are dropped; other files' chunks are still written).
const PUBLISHED = 0;
const DONE = 1;
const FAILED = 2;
/** Set by the thread once it runs: until then chunks are written directly (see ready()). */
const READY = 3;
/** 1 while the thread is inside a write: a slow disk (dirty-page throttling) is not a dead thread. */
const BUSY = 4;
/**
 * The oldest frame slab a chunk in flight may still need: the thread lets go of older ones. (A
 * message to say so would cost the guest thread a post per slab, up to ~2 ms each on a busy
 * host; a slab sent again later lowers it before it is sent.)
 */
const OLDEST_SLAB = 5;
const CONTROL_WORDS = 8;
/**
 * Jobs go through a ring of MAX_BUFFERS slots in the control buffer (job j in slot j mod
 * MAX_BUFFERS; no more are ever in flight), each JOB_WORDS Int32s: fd, type, seq, buffer id,
 * length, compress, splices, and where their table is in the buffer (chunk-splices.ts). A
 * buffer is posted to the thread once, when it is made: a postMessage per chunk cost the guest
 * thread 0.1-0.3 ms on a busy host. So is a frame slab, when a chunk first needs it (see
 * OLDEST_SLAB for when the thread lets go of it).
 */
const JOB_WORDS = 8;
const JOBS_AT = CONTROL_WORDS;
const ERROR_BYTES = 1024;
/** Pending chunks and no write under way for this long: the thread is gone (the writer reports it). */
const STALL_MS = 30_000;
const ERROR_AT = (CONTROL_WORDS + MAX_BUFFERS * JOB_WORDS) * 4;
const CONTROL_BYTES = ERROR_AT + ERROR_BYTES;

// Plain CommonJS so it runs from any bundle (`eval: true` needs no file on disk). Each job is a
// slot of the ring, written before PUBLISHED counts it; each buffer a message on the port
// ({ id, sab }), posted before the first job that uses it, and so is each frame slab
// ({ slab, sab }). The splice loop is ChunkSplices.materialize's.
// The chunk header layout is writer.ts chunkHeader's: u8 type, 3 zero bytes, u32 seq, u32 length,
// u32 CRC; compression is chunk-codec.ts compressChunk's (brotliWindowBits included).
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { writevSync, writeSync } = require("node:fs");
const { crc32, brotliCompressSync, constants } = require("node:zlib");
const { control, port } = workerData;
const ctl = new Int32Array(control, 0, ${CONTROL_WORDS + MAX_BUFFERS * JOB_WORDS});
const buffers = [];
const slabs = new Map();
let scratch = new Uint8Array(0);
// A message is taken when a job needs what it brings (a buffer or a slab not seen yet).
function take() {
  const m = receiveMessageOnPort(port);
  if (!m) return false;
  const x = m.message;
  if (x.slab !== undefined) slabs.set(x.slab, x.sab);
  else buffers[x.id] = x.sab;
  return true;
}
// Below the guest thread: on a busy machine it yields the CPU to the guest, and catches up in
// the buffers it has (Linux: a thread's own priority, set through its tid).
try { require("node:os").setPriority(Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop()), ${BACKGROUND_NICE}); } catch {}
Atomics.store(ctl, ${READY}, 1);
for (;;) {
  const published = Atomics.load(ctl, ${PUBLISHED});
  const done = Atomics.load(ctl, ${DONE});
  // Polls: the guest thread does not wake it per chunk (see NOTIFY_BACKLOG).
  if (done === published) { Atomics.wait(ctl, ${PUBLISHED}, published, ${POLL_MS}); continue; }
  const at = ${JOBS_AT} + (done % ${MAX_BUFFERS}) * ${JOB_WORDS};
  const fd = ctl[at], type = ctl[at + 1], seq = ctl[at + 2], id = ctl[at + 3], encoded = ctl[at + 4], compress = ctl[at + 5] === 1;
  const nsplices = ctl[at + 6], table = ctl[at + 7];
  while (buffers[id] === undefined && take());
  if (buffers[id] === undefined) { Atomics.wait(ctl, ${PUBLISHED}, published, 1); continue; }
  const splices = new Int32Array(buffers[id], table, nsplices * ${SPLICE_WORDS});
  let missing = false;
  for (let k = 0; k < splices.length; k += ${SPLICE_WORDS}) {
    while (!slabs.has(splices[k + 1]) && take());
    if (!slabs.has(splices[k + 1])) missing = true;
  }
  if (missing) { Atomics.wait(ctl, ${PUBLISHED}, published, 1); continue; }
  const oldest = Atomics.load(ctl, ${OLDEST_SLAB});
  for (const s of slabs.keys()) if (s < oldest) slabs.delete(s);
  let payload = new Uint8Array(buffers[id], 0, encoded);
  if (nsplices > 0) {
    let total = encoded;
    for (let k = 0; k < splices.length; k += ${SPLICE_WORDS}) total += splices[k + 3];
    if (scratch.length < total) scratch = new Uint8Array(Math.max(total, scratch.length * 2));
    let o = 0, p = 0;
    for (let k = 0; k < splices.length; k += ${SPLICE_WORDS}) {
      const pos = splices[k], len = splices[k + 3];
      scratch.set(payload.subarray(p, pos), o);
      o += pos - p;
      p = pos;
      scratch.set(new Uint8Array(slabs.get(splices[k + 1]), splices[k + 2], len), o);
      o += len;
    }
    scratch.set(payload.subarray(p), o);
    payload = scratch.subarray(0, total);
  }
  const length = payload.length;
  if (Atomics.load(ctl, ${FAILED}) !== fd + 1) {
    try {
      let parts = [payload];
      let storedType = type;
      let stored = length;
      if (compress && length >= 64) {
        const lgwin = Math.max(16, Math.min(22, Math.ceil(Math.log2(length + 16))));
        const z = brotliCompressSync(payload, { params: { [constants.BROTLI_PARAM_QUALITY]: ${EVENTS_BROTLI_QUALITY}, [constants.BROTLI_PARAM_SIZE_HINT]: length, [constants.BROTLI_PARAM_LGWIN]: lgwin } });
        if (z.length + ${COMPRESSED_PREFIX_BYTES} < length) {
          const prefix = new Uint8Array(${COMPRESSED_PREFIX_BYTES});
          prefix[0] = ${COMPRESSION_BROTLI};
          new DataView(prefix.buffer).setUint32(4, length, true);
          parts = [prefix, z];
          storedType = type | ${CHUNK_COMPRESSED};
          stored = prefix.length + z.length;
        }
      }
      const head = new Uint8Array(${CHUNK_HEADER_BYTES});
      const v = new DataView(head.buffer);
      v.setUint8(0, storedType);
      v.setUint32(4, seq, true);
      v.setUint32(8, stored, true);
      let crc = crc32(head.subarray(0, 12));
      for (const p of parts) crc = crc32(p, crc);
      v.setUint32(12, crc, true);
      const bufs = [head, ...parts];
      const total = head.length + stored;
      Atomics.store(ctl, ${BUSY}, 1);
      let n = writevSync(fd, bufs);
      while (n < total) {
        let i = 0;
        let off = n;
        while (off >= bufs[i].length) off -= bufs[i++].length;
        n += writeSync(fd, bufs[i], off, bufs[i].length - off);
      }
    } catch (e) {
      new Uint8Array(control, ${ERROR_AT}, ${ERROR_BYTES}).set(new TextEncoder().encode(String(e && e.message || e)).subarray(0, ${ERROR_BYTES - 1}));
      Atomics.store(ctl, ${FAILED}, fd + 1);
    }
    Atomics.store(ctl, ${BUSY}, 0);
  }
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}`;

let shared: ChunkIo | undefined;
let unavailable = false;

/** The process's chunk I/O thread, started on first use; undefined where it cannot run. */
export function chunkIo(): ChunkIo | undefined {
  if (shared || unavailable) return shared;
  if (typeof (zlib as { crc32?: unknown }).crc32 !== "function") {
    unavailable = true;
    return undefined;
  }
  try {
    shared = new ChunkIo();
  } catch {
    unavailable = true;
  }
  return shared;
}

/** A shared buffer a chunk is copied into; `job` is the job that last carried it (-1: none). */
interface ChunkBuffer {
  /** Its number with the I/O thread. */
  readonly id: number;
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  job: number;
}

export class ChunkIo {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly ctl = new Int32Array(this.control, 0, CONTROL_WORDS + MAX_BUFFERS * JOB_WORDS);
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private published = 0;
  /** Buffers free to hand out (the most recently used last: its pages are the warm ones). */
  private readonly free: ChunkBuffer[] = [];
  /** Buffers in flight, in job order. */
  private readonly busy: ChunkBuffer[] = [];
  private buffers = 0;
  /** Frame slabs the thread holds, and the last job that needs each. */
  private readonly slabs = new Map<number, { slab: FrameSlab; lastJob: number }>();
  /** The newest slab a chunk has needed: chunks need slabs in about the order they were filled. */
  private newestSlab = -1;
  /** Set if the thread exited: chunks still in flight are lost, and every writer is told so. */
  private exited: string | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { control: this.control, port: port2 }, transferList: [port2] });
    // It blocks in Atomics.wait between chunks; it must not keep the process alive.
    this.worker.unref();
    this.worker.on("error", () => undefined);
    this.worker.once("exit", (code) => {
      if (shared === this) shared = undefined;
      unavailable = true;
      this.exited = `the chunk I/O thread exited (code ${code}); ${this.published - Atomics.load(this.ctl, DONE)} chunk(s) were not written`;
    });
  }

  /**
   * Whether the thread is running. A new thread finishes starting only once this thread's event
   * loop turns, so a writer must not wait on it before then: it writes directly meanwhile.
   */
  ready(): boolean {
    return !this.exited && Atomics.load(this.ctl, READY) === 1;
  }

  /** A buffer of SLOT_BYTES to copy a chunk into, then publish. Waits while MAX_BUFFERS chunks are in flight. */
  private acquire(): ChunkBuffer {
    this.reclaim();
    for (;;) {
      const b = this.free.pop();
      if (b) return b;
      if (this.buffers < MAX_BUFFERS || this.exited) {
        const id = this.buffers++;
        const sab = new SharedArrayBuffer(SLOT_BYTES);
        if (!this.exited) this.port.postMessage({ id, sab });
        return { id, sab, bytes: new Uint8Array(sab), job: -1 };
      }
      this.waitForProgress();
      this.reclaim();
    }
  }

  /**
   * Hands the first `length` bytes of `b` to the I/O thread as chunk `seq` of file descriptor
   * `fd`, to be stored compressed where that is smaller when `compress` is set. The caller must
   * not touch `b` afterwards (it comes back through acquire()).
   */
  private publish(fd: number, type: number, seq: number, b: ChunkBuffer, length: number, compress: boolean, splices: number, table: number): void {
    if (length > b.bytes.length) throw new RangeError(`a chunk of ${length} bytes does not fit its ${b.bytes.length}-byte buffer`);
    if (this.exited) {
      this.free.push(b);
      return;
    }
    b.job = this.published;
    this.busy.push(b);
    const at = JOBS_AT + (this.published % MAX_BUFFERS) * JOB_WORDS;
    const c = this.ctl;
    c[at] = fd;
    c[at + 1] = type;
    c[at + 2] = seq;
    c[at + 3] = b.id;
    c[at + 4] = length;
    c[at + 5] = compress ? 1 : 0;
    c[at + 6] = splices;
    c[at + 7] = table;
    this.published++;
    Atomics.store(this.ctl, PUBLISHED, this.published);
    if (this.published - Atomics.load(this.ctl, DONE) >= NOTIFY_BACKLOG) Atomics.notify(this.ctl, PUBLISHED);
  }

  /**
   * Hands `payload` to the I/O thread as chunk `seq` of file descriptor `fd` (copied: the caller
   * may reuse it at once), to be stored compressed where that is smaller when `compress` is set.
   * `splices`: frame bytes the thread copies into it (they must fit the buffer's rest as a table).
   */
  submit(fd: number, type: number, seq: number, payload: Uint8Array, compress = false, splices?: ChunkSplices): void {
    const n = splices?.count ?? 0;
    const table = tableAt(payload.length);
    if (table + n * SPLICE_WORDS * 4 > SLOT_BYTES) throw new RangeError(`a chunk of ${payload.length} bytes and ${n} splices does not fit an I/O buffer`);
    const b = this.acquire();
    b.bytes.set(payload);
    if (splices && n > 0) {
      splices.writeTable(new Int32Array(b.sab, table, n * SPLICE_WORDS));
      for (const slab of splices.slabs()) this.share(slab);
    }
    this.publish(fd, type, seq, b, payload.length, compress, n, table);
  }

  /** Makes sure the thread holds `slab` until the job about to be published is done. */
  private share(slab: FrameSlab): void {
    if (slab.id > this.newestSlab) this.newestSlab = slab.id;
    const held = this.slabs.get(slab.id);
    if (held) {
      held.lastJob = this.published;
      return;
    }
    this.slabs.set(slab.id, { slab, lastJob: this.published });
    // Lowered before the thread can see the slab: it must not let go of it at once.
    if (slab.id < Atomics.load(this.ctl, OLDEST_SLAB)) Atomics.store(this.ctl, OLDEST_SLAB, slab.id);
    if (!this.exited) this.port.postMessage({ slab: slab.id, sab: slab.sab });
  }

  /** Buffers whose chunks are written are free again. */
  private reclaim(): void {
    const done = Atomics.load(this.ctl, DONE);
    let k = 0;
    while (k < this.busy.length && (this.busy[k]!.job < done || this.exited)) k++;
    if (k) this.free.push(...this.busy.splice(0, k));
    // Slabs no job in flight needs, older than one a chunk has needed since: the thread lets go
    // of them (frames are recorded in about the order they reached the wire, and so the slabs).
    let oldest = 0x7fffffff;
    for (const [id, s] of this.slabs) {
      if (s.lastJob < done && id < this.newestSlab) this.slabs.delete(id);
      else oldest = Math.min(oldest, id);
    }
    if (oldest !== Atomics.load(this.ctl, OLDEST_SLAB)) Atomics.store(this.ctl, OLDEST_SLAB, oldest);
  }

  /** Waits until every chunk handed over is written (or failed). */
  sync(): void {
    for (;;) {
      if (Atomics.load(this.ctl, DONE) >= this.published || this.exited) return;
      this.waitForProgress();
    }
  }

  /**
   * Waits until the thread finishes a chunk, however slow the disk. Its 'exit' event cannot
   * arrive while this thread blocks, so one that is not even inside a write for STALL_MS counts
   * as gone.
   */
  private waitForProgress(): void {
    const done = Atomics.load(this.ctl, DONE);
    if (done >= this.published) return; // the last one finished just now
    Atomics.notify(this.ctl, PUBLISHED);
    if (Atomics.wait(this.ctl, DONE, done, STALL_MS) !== "timed-out" || Atomics.load(this.ctl, DONE) !== done) return;
    if (Atomics.load(this.ctl, BUSY) === 0)
      this.exited = `the chunk I/O thread stopped: nothing written for ${STALL_MS / 1000} s (${Atomics.load(this.ctl, DONE)} of ${this.published} chunks written, ready ${Atomics.load(this.ctl, READY)})`;
  }

  /** Why a write to `fd` failed, if one did; that file's later chunks are dropped, not written. */
  error(fd: number): string | undefined {
    if (this.exited) return this.exited;
    if (Atomics.load(this.ctl, FAILED) !== fd + 1) return undefined;
    const bytes = new Uint8Array(this.control, ERROR_AT, ERROR_BYTES);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? ERROR_BYTES : end)).toString("utf8");
  }

  /** Forgets `fd`'s failure once its writer is done with that file (the fd number can come back). */
  clearError(fd: number): void {
    this.sync();
    if (Atomics.load(this.ctl, FAILED) !== fd + 1) return;
    new Uint8Array(this.control, ERROR_AT, ERROR_BYTES).fill(0);
    Atomics.store(this.ctl, FAILED, 0);
  }
}
