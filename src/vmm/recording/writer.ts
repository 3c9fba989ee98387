// Appends a .lvmmrec file chunk by chunk while the machine runs. Each chunk is written with a
// single write(2) and no fsync: a process killed at any moment leaves every complete chunk on
// disk (the page cache outlives the process), and the reader replays that prefix. Event chunks
// are checksummed and written by the process's chunk I/O thread (chunk-io.ts), in order.
// A failed write (a full disk) does not throw into the device callback that happened to fill a
// chunk: the writer stops writing and keeps the error in `failure` for the recorder to report;
// the chunks already written stay a readable prefix.
import { closeSync, openSync, writeSync, writevSync } from "node:fs";
import { ByteSink } from "./bytes";
import { encodeEvent, EVENT_RECORD_HEADER_BYTES, type RecordedEvent } from "./codec";
import { crc32 } from "./crc32";
import { CHUNK_HEADER_BYTES, ChunkType, EVENT_CHUNK_BYTES, EventKind, FORMAT_VERSION, MAGIC, PREAMBLE_BYTES, RecordingError, type RecordingHeader } from "./format";
import { chunkIo, SLOT_BYTES } from "./chunk-io";
import type { Snapshot } from "../snapshot";

/** A chunk's header: type, sequence number, payload length, CRC-32 of header fields and payload. */
export function chunkHeader(type: ChunkType, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_BYTES);
  const v = new DataView(out.buffer);
  v.setUint8(0, type);
  v.setUint32(4, seq, true);
  v.setUint32(8, payload.length, true);
  v.setUint32(12, crc32(payload, crc32(out.subarray(0, 12))), true);
  return out;
}

export function encodeChunk(type: ChunkType, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_BYTES + payload.length);
  out.set(chunkHeader(type, seq, payload));
  out.set(payload, CHUNK_HEADER_BYTES);
  return out;
}

export function encodePreamble(version = FORMAT_VERSION): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(8, version, true);
  return out;
}

/** Snapshot chunk payload: u32 JSON length, JSON of everything but v86's state, then that state. */
export function encodeSnapshot(s: Snapshot): Uint8Array {
  const { v86, ...rest } = s;
  const json = new TextEncoder().encode(JSON.stringify(rest));
  const out = new Uint8Array(4 + json.length + v86.byteLength);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(new Uint8Array(v86), 4 + json.length);
  return out;
}

/** Events encoded together (a few hundred microseconds of guest time at high packet rates). */
const ENCODE_BATCH = 256;

export class RecordingWriter {
  private readonly sink = new ByteSink();
  private seq = 0;
  private closed = false;
  /** Checkpoint records still waiting for their hash: nothing is flushed meanwhile. */
  private held = 0;
  /** Events appended but not encoded yet. */
  private readonly queue: RecordedEvent[] = [];
  /** Bytes written so far (preamble and chunks). */
  bytesWritten = 0;
  events = 0;
  /** Set when a write failed: nothing more is written, and close() throws it. */
  failure: RecordingError | undefined;
  private readonly io = chunkIo();

  private constructor(
    private readonly fd: number,
    private readonly path: string,
  ) {}

  /**
   * Opens the file and writes the preamble, the header, the kernel and disk images (when
   * embedded) and, for a recording that starts at a snapshot (header.start), that snapshot.
   */
  static create(path: string, header: RecordingHeader, parts: { kernel?: Uint8Array; disk?: Uint8Array; start?: Snapshot } = {}): RecordingWriter {
    const { kernel, disk, start } = parts;
    if (!header.launch.disk?.embedded !== !disk) throw new RangeError("an embedded disk image goes with header.launch.disk.embedded, and only with it");
    if (!header.start !== !start) throw new RangeError("a start snapshot goes with header.start, and only with it");
    if (start && header.start && (start.icount !== header.start.icount || start.clock.syncNs !== header.start.ns)) {
      throw new RangeError(`the start snapshot is at icount ${start.icount}, t=${start.clock.syncNs} ns, not at the header's start point`);
    }
    let fd: number;
    try {
      fd = openSync(path, "w");
    } catch (e) {
      throw new RecordingError("io", `cannot create ${path}: ${(e as Error).message}`);
    }
    const w = new RecordingWriter(fd, path);
    w.write(encodePreamble());
    w.writeChunk(ChunkType.Header, new TextEncoder().encode(JSON.stringify(header)));
    if (kernel) w.writeChunk(ChunkType.Kernel, kernel);
    if (disk) w.writeChunk(ChunkType.Disk, disk);
    if (start) w.writeChunk(ChunkType.Snapshot, encodeSnapshot(start));
    if (w.failure) {
      w.abandon();
      throw w.failure;
    }
    return w;
  }

  /**
   * Queues an event; they are encoded a batch at a time, so the device callbacks that report
   * them (inside guest execution) stay short. The event's objects must not change afterwards.
   */
  append(e: RecordedEvent): void {
    if (this.closed) return;
    this.queue.push(e);
    if (this.queue.length >= ENCODE_BATCH) this.encodeQueued();
  }

  /**
   * For encoding records straight into the current chunk (codec.ts encodeFrameIn and the like;
   * the recorder's drain): the sink, after any queued events; undefined once closed. Call
   * encodedDirect after each record.
   */
  directSink(): ByteSink | undefined {
    if (this.closed) return undefined;
    if (this.queue.length) this.encodeQueued();
    return this.sink;
  }

  /** Counts a record encoded into directSink() and writes the chunk out once it is full. */
  encodedDirect(): void {
    this.events++;
    if (this.sink.length >= EVENT_CHUNK_BYTES) this.writeEvents();
  }

  private encodeQueued(): void {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      encodeEvent(this.sink, q[i]!);
      if (this.sink.length >= EVENT_CHUNK_BYTES) this.writeEvents();
    }
    this.events += q.length;
    q.length = 0;
  }

  /**
   * Appends a checkpoint record whose hash is not known yet; events after it stay in memory
   * (no chunk is written) until the returned function fills the hash in.
   */
  appendCheckpoint(e: Extract<RecordedEvent, { kind: EventKind.CheckpointHash }>): (hashHex: string) => void {
    if (this.closed) return () => undefined;
    this.encodeQueued();
    const at = this.sink.length + EVENT_RECORD_HEADER_BYTES;
    encodeEvent(this.sink, e);
    this.events++;
    this.held++;
    let done = false;
    return (hashHex) => {
      if (done || this.closed) return;
      done = true;
      const hash = Buffer.from(hashHex, "hex");
      if (hash.length !== 32) throw new RangeError(`a state hash is 32 bytes, got ${hash.length}`);
      this.sink.patchBytes(at, hash);
      if (--this.held === 0 && this.sink.length >= EVENT_CHUNK_BYTES) this.writeEvents();
    };
  }

  /** Writes the pending events as a chunk (the recorder does this at every checkpoint too). */
  flush(): void {
    if (this.closed) return;
    this.encodeQueued();
    this.writeEvents();
  }

  private writeEvents(): void {
    if (this.sink.length === 0 || this.held > 0) return;
    const payload = this.sink.contents();
    if (this.io?.ready() && payload.length <= SLOT_BYTES && !this.failure) {
      this.io.submit(this.fd, ChunkType.Events, this.seq++, payload);
      this.bytesWritten += CHUNK_HEADER_BYTES + payload.length;
      this.checkIo();
    } else {
      this.writeChunk(ChunkType.Events, payload);
    }
    this.sink.clear();
  }

  /** Picks up a write the I/O thread failed. */
  private checkIo(): void {
    const why = this.io?.error(this.fd);
    if (why !== undefined) this.fail(why);
  }

  private fail(why: string): void {
    this.failure ??= new RecordingError("io", `writing ${this.path} failed: ${why}; the chunks before the failed one are on disk and replay as a prefix`);
  }

  /** Writes a snapshot chunk after the pending events; returns its chunk number. */
  writeSnapshot(s: Snapshot): number {
    this.flush();
    return this.writeChunk(ChunkType.Snapshot, encodeSnapshot(s));
  }

  /** Writes what is pending and closes the file; throws `failure` if a write failed (the file is closed all the same). */
  close(): void {
    if (this.closed) return;
    if (this.held > 0) throw new Error("RecordingWriter.close with a checkpoint hash still pending");
    this.flush();
    this.closed = true;
    this.io?.sync();
    this.checkIo();
    this.io?.clearError(this.fd);
    closeSync(this.fd);
    if (this.failure) throw this.failure;
  }

  /** Closes the file without writing what is pending (after a failure). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.io?.sync();
    this.io?.clearError(this.fd);
    closeSync(this.fd);
  }

  private writeChunk(type: ChunkType, payload: Uint8Array): number {
    const seq = this.seq++;
    this.write(chunkHeader(type, seq, payload), payload);
    return seq;
  }

  /**
   * One writev(2) per chunk (a short write, rare on a regular file, finishes with write(2)),
   * after the chunks the I/O thread still has, so the file stays in order.
   */
  private write(head: Uint8Array, body?: Uint8Array): void {
    if (this.failure) return;
    this.io?.sync();
    this.checkIo();
    if (this.failure) return;
    const total = head.length + (body?.length ?? 0);
    try {
      let done = body ? writevSync(this.fd, [head, body]) : writeSync(this.fd, head);
      while (done < total) {
        const [part, at] = done < head.length ? [head, done] : [body!, done - head.length];
        done += writeSync(this.fd, part, at, part.length - at);
      }
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    this.bytesWritten += total;
  }
}
