// Appends a .lvmmrec file chunk by chunk while the machine runs. Each chunk is written with a
// single write(2) and no fsync: a process killed at any moment leaves every complete chunk on
// disk (the page cache outlives the process), and the reader replays that prefix. Event chunks
// are compressed, checksummed and written by the process's chunk I/O thread (chunk-io.ts), in
// order; the kernel, disk and snapshot chunks are compressed here (format 5, chunk-codec.ts).
// A failed write (a full disk) does not throw into the device callback that happened to fill a
// chunk: the writer stops writing and keeps the error in `failure` for the recorder to report;
// the chunks already written stay a readable prefix.
import { closeSync, fstatSync, openSync, writeSync, writevSync } from "node:fs";
import { ByteSink } from "./bytes";
import { encodeEvent, encodeFrameIn, encodeFrameInHeader, EVENT_RECORD_HEADER_BYTES, type RecordedEvent } from "./codec";
import { crc32 } from "./crc32";
import { CHUNK_HEADER_BYTES, ChunkType, EVENT_CHUNK_BYTES, EventKind, FIRST_VERSION_COMPRESSED, FORMAT_VERSION, MAGIC, PREAMBLE_BYTES, RecordingError, type RecordingHeader } from "./format";
import { chunkIo, SLOT_BYTES } from "./chunk-io";
import { compressChunk } from "./chunk-codec";
import { ChunkSplices } from "./chunk-splices";
import { slabOf } from "../frame-slabs";
import type { Snapshot } from "../snapshot";

/**
 * A chunk's header: type, sequence number, payload length, CRC-32 of header fields and payload
 * (the payload as stored: given in parts, it is their concatenation).
 */
export function chunkHeader(type: number, seq: number, payload: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  const out = new Uint8Array(CHUNK_HEADER_BYTES);
  const v = new DataView(out.buffer);
  v.setUint8(0, type);
  v.setUint32(4, seq, true);
  v.setUint32(
    8,
    parts.reduce((n, p) => n + p.length, 0),
    true,
  );
  let crc = crc32(out.subarray(0, 12));
  for (const p of parts) crc = crc32(p, crc);
  v.setUint32(12, crc, true);
  return out;
}

/** A whole chunk, its payload stored as given (`compress`: as a format 5 writer stores it). */
export function encodeChunk(type: ChunkType, seq: number, payload: Uint8Array, opts: { compress?: boolean } = {}): Uint8Array {
  const stored = opts.compress ? compressChunk(type, payload) : { type, parts: [payload], length: payload.length };
  const out = new Uint8Array(CHUNK_HEADER_BYTES + stored.length);
  out.set(chunkHeader(stored.type, seq, stored.parts));
  let at = CHUNK_HEADER_BYTES;
  for (const p of stored.parts) {
    out.set(p, at);
    at += p.length;
  }
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

/**
 * Kernel and disk images as stored, by image: a ring recording writes the same ones into every
 * segment, and they are compressed once.
 */
const storedImages = new WeakMap<Uint8Array, Map<number, ReturnType<typeof compressChunk>>>();

export class RecordingWriter {
  /** A chunk's worth from the start: growing into it cost a busy recording's first chunks a copy each. */
  private readonly sink = new ByteSink(SLOT_BYTES);
  /** Frame bytes the current chunk leaves for the I/O thread to copy in (frameIn). */
  private readonly splices = new ChunkSplices();
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
    /** Chunks are stored compressed where that is smaller (format 5 and later). */
    private readonly compress: boolean,
    /** Snapshot chunks are stored plain (written on the guest thread while the machine runs). */
    private readonly plainSnapshots: boolean,
  ) {}

  /**
   * Opens the file and writes the preamble, the header, the kernel and disk images (when
   * embedded) and, for a recording that starts at a snapshot (header.start), that snapshot.
   * `plainSnapshots`: a recorder of a running machine stores its snapshots plain: compressing
   * a few MiB (~20 ms) would pause the guest that long at every ring segment's start (a ring
   * recording's merge compresses the one snapshot it keeps).
   */
  static create(path: string, header: RecordingHeader, parts: { kernel?: Uint8Array; disk?: Uint8Array; start?: Snapshot; plainSnapshots?: boolean } = {}): RecordingWriter {
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
    const w = new RecordingWriter(fd, path, header.formatVersion >= FIRST_VERSION_COMPRESSED, parts.plainSnapshots ?? false);
    w.write([encodePreamble(header.formatVersion)]);
    // The header stays plain: a glance at the file shows it.
    w.writeChunk(ChunkType.Header, new TextEncoder().encode(JSON.stringify(header)), false);
    if (kernel) w.writeImage(ChunkType.Kernel, kernel);
    if (disk) w.writeImage(ChunkType.Disk, disk);
    if (start) w.writeChunk(ChunkType.Snapshot, encodeSnapshot(start), w.compress && !w.plainSnapshots);
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
    if (this.sink.length + this.splices.bytes >= EVENT_CHUNK_BYTES) this.writeEvents();
  }

  /**
   * A frame-in record into the current chunk (after directSink()). Bytes that are in a frame
   * slab (frame-slabs.ts; what the wire delivers) are not copied here: the I/O thread copies
   * them into the chunk as it writes it.
   */
  frameIn(icount: number, ns: number, bytes: Uint8Array): void {
    const slab = this.io?.ready() ? slabOf(bytes) : undefined;
    if (slab) {
      encodeFrameInHeader(this.sink, icount, ns, bytes.length);
      this.splices.add(this.sink.length, slab, bytes.byteOffset, bytes.length);
    } else encodeFrameIn(this.sink, icount, ns, bytes);
    this.encodedDirect();
  }

  private encodeQueued(): void {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      encodeEvent(this.sink, q[i]!);
      if (this.sink.length + this.splices.bytes >= EVENT_CHUNK_BYTES) this.writeEvents();
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
      if (--this.held === 0 && this.sink.length + this.splices.bytes >= EVENT_CHUNK_BYTES) this.writeEvents();
    };
  }

  /** Writes the pending events as a chunk (the recorder does this at every checkpoint too). */
  flush(): void {
    if (this.closed) return;
    this.encodeQueued();
    this.writeEvents();
  }

  /**
   * Hands the pending events to the I/O thread as a chunk (one copy into its shared buffer; it
   * copies the spliced frame bytes in); where the thread cannot run, or the chunk is too large
   * for its buffers, it is written here, frame bytes put in place first.
   */
  private writeEvents(): void {
    if (this.sink.length === 0 || this.held > 0) return;
    const io = this.io;
    const encoded = this.sink.length;
    const sp = this.splices;
    if (io?.ready() && !this.failure && encoded + sp.tableBytes(encoded) <= SLOT_BYTES) {
      io.submit(this.fd, ChunkType.Events, this.seq++, this.sink.contents(), this.compress, sp);
      // Before compression; close() sets the file's real size.
      this.bytesWritten += CHUNK_HEADER_BYTES + encoded + sp.bytes;
      this.checkIo();
    } else {
      this.writeChunk(ChunkType.Events, sp.materialize(this.sink.contents()));
    }
    this.sink.clear();
    sp.clear();
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
    return this.writeChunk(ChunkType.Snapshot, encodeSnapshot(s), this.compress && !this.plainSnapshots);
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
    try {
      // The chunk I/O thread compressed what it wrote: the file says how much that was.
      this.bytesWritten = fstatSync(this.fd).size;
    } catch {
      // keep the count as it is
    }
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

  private writeChunk(type: ChunkType, payload: Uint8Array, compress = this.compress): number {
    return this.writeStored(compress ? compressChunk(type, payload) : { type, parts: [payload], length: payload.length });
  }

  /** A kernel or disk image chunk, compressed once per image and process. */
  private writeImage(type: ChunkType, image: Uint8Array): number {
    if (!this.compress) return this.writeChunk(type, image, false);
    let byType = storedImages.get(image);
    if (!byType) storedImages.set(image, (byType = new Map<number, ReturnType<typeof compressChunk>>()));
    let stored = byType.get(type);
    if (!stored) byType.set(type, (stored = compressChunk(type, image)));
    return this.writeStored(stored);
  }

  private writeStored(stored: { type: number; parts: Uint8Array[] }): number {
    const seq = this.seq++;
    this.write([chunkHeader(stored.type, seq, stored.parts), ...stored.parts]);
    return seq;
  }

  /**
   * One writev(2) per chunk (a short write, rare on a regular file, finishes with write(2)),
   * after the chunks the I/O thread still has, so the file stays in order.
   */
  private write(parts: Uint8Array[]): void {
    if (this.failure) return;
    this.io?.sync();
    this.checkIo();
    if (this.failure) return;
    const total = parts.reduce((n, p) => n + p.length, 0);
    try {
      let done = writevSync(this.fd, parts);
      while (done < total) {
        let i = 0;
        let at = done;
        while (at >= parts[i]!.length) at -= parts[i++]!.length;
        done += writeSync(this.fd, parts[i]!, at, parts[i]!.length - at);
      }
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    this.bytesWritten += total;
  }
}
