// Event chunks leave the guest thread here: the recording writer copies each finished chunk's
// payload into a slot of a shared buffer, and one process-wide I/O thread computes its CRC,
// writes header and payload with one writev(2), and frees the slot. CRC and write were about a
// third of what recording cost the guest thread (~2% of a busy echo run). One thread writes the
// chunks in the order they were handed over, so a process killed at any moment still leaves a
// file whose complete chunks form a prefix (format.ts). Where the thread cannot run (no
// zlib.crc32 in this Node, or no worker threads) the writer writes on its own thread, as before.
import * as zlib from "node:zlib";
import { Worker } from "node:worker_threads";
import { CHUNK_HEADER_BYTES } from "./format";

/** Chunks in flight at most; a writer that gets ahead of the disk waits for a free slot. */
const SLOTS = 8;
/** Payload room per slot: event chunks are flushed at 64 KiB (plus one event); larger ones are written directly. */
export const SLOT_BYTES = 256 * 1024;

// Control words (Int32): jobs published (guest thread), jobs done (I/O thread), and 1 + the fd
// whose write failed (its later chunks are dropped; other files' chunks are still written).
const PUBLISHED = 0;
const DONE = 1;
const FAILED = 2;
/** Set by the thread once it runs: until then chunks are written directly (see ready()). */
const READY = 3;
/** 1 while the thread is inside a write: a slow disk (dirty-page throttling) is not a dead thread. */
const BUSY = 4;
const CONTROL_WORDS = 8;
// Per slot (Int32): fd, chunk type, sequence number, payload length.
const JOB_WORDS = 4;
const ERROR_BYTES = 1024;
/** Pending chunks and no write under way for this long: the thread is gone (the writer reports it). */
const STALL_MS = 30_000;
const JOBS_AT = CONTROL_WORDS * 4;
const ERROR_AT = JOBS_AT + SLOTS * JOB_WORDS * 4;
const DATA_AT = ERROR_AT + ERROR_BYTES;

// Plain CommonJS so it runs from any bundle (`eval: true` needs no file on disk). The chunk
// header layout is writer.ts chunkHeader's: u8 type, 3 zero bytes, u32 seq, u32 length, u32 CRC.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { writevSync, writeSync } = require("node:fs");
const { crc32 } = require("node:zlib");
const sab = workerData;
const ctl = new Int32Array(sab, 0, ${CONTROL_WORDS});
const jobs = new Int32Array(sab, ${JOBS_AT}, ${SLOTS * JOB_WORDS});
Atomics.store(ctl, ${READY}, 1);
for (;;) {
  const published = Atomics.load(ctl, ${PUBLISHED});
  const done = Atomics.load(ctl, ${DONE});
  if (done === published) { Atomics.wait(ctl, ${PUBLISHED}, published); continue; }
  const slot = done % ${SLOTS};
  const [fd, type, seq, length] = jobs.subarray(slot * ${JOB_WORDS}, slot * ${JOB_WORDS} + ${JOB_WORDS});
  const payload = new Uint8Array(sab, ${DATA_AT} + slot * ${SLOT_BYTES}, length);
  if (Atomics.load(ctl, ${FAILED}) !== fd + 1) {
    try {
      const head = new Uint8Array(${CHUNK_HEADER_BYTES});
      const v = new DataView(head.buffer);
      v.setUint8(0, type);
      v.setUint32(4, seq, true);
      v.setUint32(8, length, true);
      v.setUint32(12, crc32(payload, crc32(head.subarray(0, 12))), true);
      const total = head.length + length;
      Atomics.store(ctl, ${BUSY}, 1);
      let n = writevSync(fd, [head, payload]);
      while (n < total) n += n < head.length ? writeSync(fd, head, n, head.length - n) : writeSync(fd, payload, n - head.length, total - n);
    } catch (e) {
      new Uint8Array(sab, ${ERROR_AT}, ${ERROR_BYTES}).set(new TextEncoder().encode(String(e && e.message || e)).subarray(0, ${ERROR_BYTES - 1}));
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

export class ChunkIo {
  private readonly sab = new SharedArrayBuffer(DATA_AT + SLOTS * SLOT_BYTES);
  private readonly ctl = new Int32Array(this.sab, 0, CONTROL_WORDS);
  private readonly jobs = new Int32Array(this.sab, JOBS_AT, SLOTS * JOB_WORDS);
  private readonly worker: Worker;
  private published = 0;
  /** Set if the thread exited: chunks still in its slots are lost, and every writer is told so. */
  private exited: string | undefined;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.sab });
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

  /**
   * Hands a chunk for file descriptor `fd` to the I/O thread (the payload is copied; the caller
   * may reuse it at once). Waits while every slot is in flight.
   */
  submit(fd: number, type: number, seq: number, payload: Uint8Array): void {
    if (payload.length > SLOT_BYTES) throw new RangeError(`a chunk of ${payload.length} bytes does not fit an I/O slot`);
    if (this.exited) return;
    while (this.published - Atomics.load(this.ctl, DONE) >= SLOTS) {
      this.waitForProgress();
      if (this.exited) return;
    }
    const slot = this.published % SLOTS;
    new Uint8Array(this.sab, DATA_AT + slot * SLOT_BYTES, payload.length).set(payload);
    this.jobs.set([fd, type, seq, payload.length], slot * JOB_WORDS);
    this.published++;
    Atomics.store(this.ctl, PUBLISHED, this.published);
    Atomics.notify(this.ctl, PUBLISHED);
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
    if (Atomics.wait(this.ctl, DONE, done, STALL_MS) !== "timed-out" || Atomics.load(this.ctl, DONE) !== done) return;
    if (Atomics.load(this.ctl, BUSY) === 0) this.exited = `the chunk I/O thread stopped: nothing written for ${STALL_MS / 1000} s (${Atomics.load(this.ctl, DONE)} of ${this.published} chunks written, ready ${Atomics.load(this.ctl, READY)})`;
  }

  /** Why a write to `fd` failed, if one did; that file's later chunks are dropped, not written. */
  error(fd: number): string | undefined {
    if (this.exited) return this.exited;
    if (Atomics.load(this.ctl, FAILED) !== fd + 1) return undefined;
    const bytes = new Uint8Array(this.sab, ERROR_AT, ERROR_BYTES);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? ERROR_BYTES : end)).toString("utf8");
  }

  /** Forgets `fd`'s failure once its writer is done with that file (the fd number can come back). */
  clearError(fd: number): void {
    this.sync();
    if (Atomics.load(this.ctl, FAILED) !== fd + 1) return;
    new Uint8Array(this.sab, ERROR_AT, ERROR_BYTES).fill(0);
    Atomics.store(this.ctl, FAILED, 0);
  }
}
