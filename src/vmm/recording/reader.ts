// Reads and validates a .lvmmrec file. Every problem is a RecordingError with a code; nothing
// else escapes, whatever the bytes. A file that ends inside a chunk (a recorder killed
// mid-write) yields its complete prefix with `truncated` set, unless `strict` is asked for.
import { decodeEvent, sha256Hex, type DecodeContext, type RecordedEvent } from "./codec";
import { ByteSource } from "./bytes";
import { crc32 } from "./crc32";
import { inflateChunk } from "./chunk-codec";
import {
  CHUNK_COMPRESSED,
  CHUNK_HEADER_BYTES,
  ChunkType,
  EventKind,
  FIRST_VERSION_COMPRESSED,
  MAGIC,
  MAX_CHUNK_BYTES,
  PREAMBLE_BYTES,
  READABLE_VERSIONS,
  RecordingError,
  type RecordingHeader,
} from "./format";
import { PINNED_V86_VERSION } from "../v86/pinned";
import { SNAPSHOT_VERSION, type Snapshot } from "../snapshot";
import { finish, type LongWork } from "../long-work";

/** The kernel and disk image chunks, which come before a start snapshot. */
const IMAGES = new Set<number>([ChunkType.Kernel, ChunkType.Disk]);

const ORDERED = new Set([EventKind.FrameIn, EventKind.SerialIn, EventKind.Interrupt, EventKind.CheckpointHash]);

export interface Recording {
  header: RecordingHeader;
  /** The kernel image, if the recording embeds it. */
  kernel?: Uint8Array;
  /** The disk image, if the machine had one and the recording embeds it (format 4). */
  disk?: Uint8Array;
  /**
   * The machine state the recording starts at, when it does not start at power-on
   * (header.start; a ring recording's segment or merged file). Its chunk is `startChunk`.
   */
  start?: Snapshot;
  startChunk?: number;
  events: RecordedEvent[];
  /** Snapshot chunks by chunk number (decoded on demand). */
  snapshots: Map<number, () => Snapshot>;
  chunks: number;
  /** True when the file ends with an End event. */
  complete: boolean;
  /** Set when the file ends inside a chunk: where, and what was lost. */
  truncated?: { offset: number; message: string };
}

export interface ReadOptions {
  /** Refuse a truncated file instead of returning its prefix. */
  strict?: boolean;
}

export function readRecording(bytes: Uint8Array, opts: ReadOptions = {}): Recording {
  return finish(readRecordingWork(bytes, opts));
}

/** `readRecording` as long work (long-work.ts): progress in bytes, chunk by chunk. */
export function* readRecordingWork(bytes: Uint8Array, opts: ReadOptions = {}): LongWork<Recording> {
  try {
    return yield* parse(bytes, opts);
  } catch (e) {
    if (e instanceof RecordingError) throw e;
    // Defence in depth: the parser is meant to throw only RecordingError.
    throw new RecordingError("bad-event", `unreadable recording: ${(e as Error)?.message ?? String(e)}`);
  }
}

function* parse(bytes: Uint8Array, opts: ReadOptions): LongWork<Recording> {
  const head = bytes.subarray(0, Math.min(bytes.length, MAGIC.length));
  if (!head.every((b, i) => b === MAGIC[i])) {
    throw new RecordingError("bad-magic", "not an LVMM recording (the file does not start with LVMMREC); record one with `lvmm record --out FILE`", 0);
  }
  if (bytes.length < PREAMBLE_BYTES) throw new RecordingError("truncated", `the recording is truncated: ${bytes.length} bytes, shorter than its ${PREAMBLE_BYTES}-byte preamble`, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (!READABLE_VERSIONS.includes(version)) {
    throw new RecordingError(
      "wrong-version",
      `the recording has format version ${version}; this lvmm reads versions ${READABLE_VERSIONS.slice(0, -1).join(", ")} and ${READABLE_VERSIONS[READABLE_VERSIONS.length - 1]} (use the lvmm release that made it, or record again)`,
      8,
    );
  }

  const rec: Recording = { header: undefined as unknown as RecordingHeader, events: [], snapshots: new Map(), chunks: 0, complete: false };
  let pos = PREAMBLE_BYTES;
  let last = { icount: 0, ns: 0 };
  const ctx: DecodeContext = { frames: [] };
  while (pos < bytes.length) {
    const at = pos;
    const lost = (what: string): void => {
      const message = `the recording is truncated at byte ${bytes.length} inside chunk ${rec.chunks} (${what}); ${rec.chunks} complete chunks precede it`;
      if (opts.strict || !rec.header) throw new RecordingError("truncated", rec.header ? message : `${message}, not even the header`, at);
      rec.truncated = { offset: at, message };
    };
    if (bytes.length - pos < CHUNK_HEADER_BYTES) {
      lost("its header is cut");
      break;
    }
    const storedType = view.getUint8(pos);
    // Format 5: the payload may be stored compressed; the chunk is its plain type all the same.
    const type = storedType & ~CHUNK_COMPRESSED;
    const seq = view.getUint32(pos + 4, true);
    const length = view.getUint32(pos + 8, true);
    const crc = view.getUint32(pos + 12, true);
    if (length > MAX_CHUNK_BYTES) throw new RecordingError("bad-chunk", `chunk ${rec.chunks} at byte ${at} claims ${length} bytes: the file is corrupt`, at);
    if (pos + CHUNK_HEADER_BYTES + length > bytes.length) {
      lost(`${length - (bytes.length - pos - CHUNK_HEADER_BYTES)} of its ${length} bytes are missing`);
      break;
    }
    const stored = bytes.subarray(pos + CHUNK_HEADER_BYTES, pos + CHUNK_HEADER_BYTES + length);
    const actual = crc32(stored, crc32(bytes.subarray(pos, pos + 12)));
    if (actual !== crc) {
      const what = rec.header?.start && !rec.start && !IMAGES.has(type) ? " (the recording's start snapshot)" : "";
      throw new RecordingError("checksum", `chunk ${rec.chunks}${what} at byte ${at} fails its CRC-32 (stored ${hex8(crc)}, computed ${hex8(actual)}): the file is corrupt`, at);
    }
    if (seq !== rec.chunks) throw new RecordingError("bad-chunk", `chunk at byte ${at} has sequence number ${seq}, expected ${rec.chunks}`, at);
    if (view.getUint8(pos + 1) | view.getUint8(pos + 2) | view.getUint8(pos + 3)) throw new RecordingError("bad-chunk", `chunk ${seq} at byte ${at} has non-zero reserved bytes`, at);
    if (seq === 0 && (storedType as ChunkType) !== ChunkType.Header) throw new RecordingError("bad-chunk", "the first chunk is not the header", at);
    let payload = stored;
    if (storedType & CHUNK_COMPRESSED) {
      if (version < FIRST_VERSION_COMPRESSED)
        throw new RecordingError("bad-chunk", `chunk ${seq} at byte ${at} is compressed, which format version ${version} does not allow: the file is corrupt`, at);
      payload = inflateChunk(stored, seq, at);
    }
    const dataAt = pos + CHUNK_HEADER_BYTES;
    pos = dataAt + length;
    const start = rec.header?.start;
    if (start && !rec.start && !IMAGES.has(type) && seq > 0) {
      // A recording that starts at a snapshot: that snapshot comes right after the header (and images).
      if ((type as ChunkType) !== ChunkType.Snapshot) {
        throw new RecordingError(
          "bad-start",
          `the recording starts at a snapshot (icount ${start.icount}), but chunk ${seq} at byte ${at}, where that snapshot belongs, is not a snapshot chunk: the file is corrupt`,
          at,
        );
      }
      rec.start = decodeStartSnapshot(payload, dataAt, start, seq);
      rec.startChunk = seq;
      last = { icount: start.icount, ns: start.ns };
    }
    switch (type as ChunkType) {
      case ChunkType.Header:
        if (seq !== 0) throw new RecordingError("bad-chunk", `a second header at byte ${at}`, at);
        rec.header = parseHeader(payload, at, version);
        break;
      case ChunkType.Kernel:
        rec.kernel = payload.slice();
        if (sha256Hex(rec.kernel) !== rec.header.kernel.sha256) throw new RecordingError("wrong-kernel", "the embedded kernel image does not match the header's sha256: the file is corrupt", at);
        break;
      case ChunkType.Disk: {
        const disk = rec.header.launch.disk;
        if (!disk?.embedded || rec.disk || rec.events.length) throw new RecordingError("bad-chunk", `a disk image chunk at byte ${at} the header does not announce there`, at);
        rec.disk = payload.slice();
        if (sha256Hex(rec.disk) !== disk.sha256) throw new RecordingError("wrong-disk", "the embedded disk image does not match the header's sha256: the file is corrupt", at);
        break;
      }
      case ChunkType.Events: {
        const src = new ByteSource(payload, 0, payload.length, "bad-event", dataAt);
        while (src.remaining > 0) {
          if (rec.complete) src.fail("an event after the end record");
          const e = decodeEvent(src, ctx);
          // Inputs, interrupts and checkpoints happen at sync points, in order; DMA and console
          // records are written when complete, so they may trail.
          if (ORDERED.has(e.kind)) {
            if (e.icount < last.icount || (e.icount === last.icount && e.ns < last.ns)) src.fail(`events out of order (instruction count ${e.icount} after ${last.icount})`);
            last = e;
          }
          rec.events.push(e);
          if (e.kind === EventKind.End) rec.complete = true;
        }
        break;
      }
      case ChunkType.Snapshot:
        rec.snapshots.set(seq, () => decodeSnapshot(payload, dataAt));
        break;
      default:
        throw new RecordingError("bad-chunk", `unknown chunk type ${type} at byte ${at}`, at);
    }
    rec.chunks++;
    yield { done: pos, total: bytes.length };
  }
  if (!rec.header) throw new RecordingError("truncated", "the recording has no header chunk", PREAMBLE_BYTES);
  if (rec.header.start && !rec.start) {
    // Nothing replays without the state the recording starts from.
    throw new RecordingError(
      "truncated",
      `the recording starts at a snapshot (icount ${rec.header.start.icount}), but the file ends ${rec.truncated ? "inside" : "before"} that snapshot's chunk (${bytes.length} bytes): nothing in it can be replayed`,
      rec.truncated?.offset ?? bytes.length,
    );
  }
  if (rec.header.launch.disk?.embedded && !rec.disk) {
    throw new RecordingError(
      "truncated",
      `the recording embeds its disk image, but the file ends ${rec.truncated ? "inside" : "before"} that image's chunk (${bytes.length} bytes): nothing in it can be replayed`,
      rec.truncated?.offset ?? bytes.length,
    );
  }
  if (opts.strict && !rec.complete) throw new RecordingError("truncated", `the recording has no end record after its ${rec.chunks} chunks (the recorder stopped abruptly)`, bytes.length);
  return rec;
}

function parseHeader(payload: Uint8Array, at: number, version: number): RecordingHeader {
  let h: RecordingHeader;
  try {
    h = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload)) as RecordingHeader;
  } catch {
    throw new RecordingError("bad-header", `the header at byte ${at} is not JSON`, at);
  }
  const bad = (what: string): never => {
    throw new RecordingError("bad-header", `the header lacks a valid ${what}`, at);
  };
  if (!h || typeof h !== "object" || h.format !== "lvmmrec") bad("format tag");
  if (h.formatVersion !== version) throw new RecordingError("wrong-version", `the header says format version ${h.formatVersion}, the preamble ${version}`, at);
  if (typeof h.kernel?.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(h.kernel.sha256)) bad("kernel sha256");
  const l = h.launch;
  if (!l || typeof l !== "object") bad("launch configuration");
  if (typeof l.cmdline !== "string") bad("launch.cmdline");
  for (const k of ["memoryMB", "mips", "seed", "epochMs", "hangWatchdogMs", "maxQuantumMs"] as const) if (typeof l[k] !== "number" || !Number.isFinite(l[k])) bad(`launch.${k}`);
  if (typeof l.jit !== "boolean") bad("launch.jit");
  if (l.mac !== null && (typeof l.mac !== "string" || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(l.mac))) bad("launch.mac");
  if (typeof h.v86?.version !== "string") bad("v86 version");
  if (!(typeof h.checkpointIntervalNs === "number" && h.checkpointIntervalNs > 0)) bad("checkpoint interval");
  if (l.disk != null) {
    const d = l.disk;
    if (!d || typeof d !== "object" || typeof d.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(d.sha256) || !Number.isSafeInteger(d.bytes) || d.bytes <= 0 || d.bytes % 512 !== 0) bad("launch.disk");
    if (d.embedded !== undefined && typeof d.embedded !== "boolean") bad("launch.disk.embedded");
    if (d.embedded && version < 4) bad("format version for an embedded disk (4 or later)");
  }
  if (h.start !== undefined) {
    const s = h.start;
    if (version < 3) bad("format version for a start point (3 or later)");
    if (!s || typeof s !== "object" || !Number.isSafeInteger(s.icount) || s.icount < 0 || !(typeof s.ns === "number" && s.ns >= 0 && Number.isFinite(s.ns)) || typeof s.consoleLine !== "string")
      bad("start point");
  }
  if (h.v86.version !== PINNED_V86_VERSION) {
    throw new RecordingError(
      "wrong-vmm",
      `the recording was made on v86 ${h.v86.version}; this lvmm runs v86 ${PINNED_V86_VERSION} and cannot replay it exactly (use the lvmm release that made it)`,
      at,
    );
  }
  return h;
}

/** The start snapshot, decoded now: a file whose start is unreadable is refused as a whole. */
function decodeStartSnapshot(payload: Uint8Array, at: number, start: NonNullable<RecordingHeader["start"]>, seq: number): Snapshot {
  let s: Snapshot;
  try {
    s = decodeSnapshot(payload, at);
  } catch (e) {
    if (!(e instanceof RecordingError)) throw e;
    throw new RecordingError("bad-start", `the recording's start snapshot (chunk ${seq}) is unreadable: ${e.message}`, e.offset ?? at);
  }
  if (s.icount !== start.icount || s.clock?.syncNs !== start.ns) {
    throw new RecordingError(
      "bad-start",
      `the recording's start snapshot (chunk ${seq}) is at icount ${s.icount}, t=${s.clock?.syncNs} ns, not at the header's start point (icount ${start.icount}, t=${start.ns} ns)`,
      at,
    );
  }
  return s;
}

function decodeSnapshot(payload: Uint8Array, at: number): Snapshot {
  const src = new ByteSource(payload, 0, payload.length, "bad-chunk", at);
  const n = src.u32("snapshot JSON length");
  let rest: Omit<Snapshot, "v86">;
  try {
    rest = JSON.parse(new TextDecoder().decode(src.bytes(n, "snapshot JSON"))) as Omit<Snapshot, "v86">;
  } catch (e) {
    if (e instanceof RecordingError) throw e;
    return src.fail("a snapshot whose JSON does not parse");
  }
  const version: number = rest.version;
  const expected: number = SNAPSHOT_VERSION;
  if (version !== expected) src.fail(`snapshot version ${version}, expected ${expected}`);
  const v86 = src.bytes(src.remaining, "v86 state");
  return { ...rest, v86: v86.buffer.slice(v86.byteOffset, v86.byteOffset + v86.byteLength) as ArrayBuffer };
}

/** Checks that `kernel` is the image the recording was made with. */
export function checkKernel(header: RecordingHeader, kernel: Uint8Array, path: string): void {
  const got = sha256Hex(kernel);
  if (got !== header.kernel.sha256) {
    throw new RecordingError(
      "wrong-kernel",
      `the recording was made with kernel ${header.kernel.name} sha256 ${header.kernel.sha256}, but ${path} has sha256 ${got}: ` +
        "pass the recorded image with --kernel PATH (or record with --embed-kernel so the file carries it)",
    );
  }
}

/** Checks that `disk` is the image the recording's machine had. */
export function checkDisk(header: RecordingHeader, disk: Uint8Array, path: string): void {
  const want = header.launch.disk;
  if (!want) throw new RecordingError("wrong-disk", `the recording's machine had no disk, but ${path} was given as one`);
  const got = sha256Hex(disk);
  if (got !== want.sha256) {
    throw new RecordingError(
      "wrong-disk",
      `the recording was made with a ${want.bytes}-byte disk image sha256 ${want.sha256}, but ${path} (${disk.length} bytes) has sha256 ${got}: pass the recorded image with --disk PATH`,
    );
  }
}

function hex8(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
