// The .lvmmrec recording format: constants, the versioned enum of event kinds, the header and
// the typed errors. Modelled on QEMU's replay/replay-internal.h: every event is keyed to the
// instruction count, and any change to the set of event kinds or their encoding bumps
// FORMAT_VERSION (test/recording/corrupt.test.ts pins the enum to the version).
//
// Layout (all integers little-endian):
//   preamble   8 bytes MAGIC "LVMMREC\0", u32 format version, u32 flags (0)
//   chunk*     u8 type, u8[3] 0, u32 sequence (0, 1, 2, ...), u32 payload length, u32 CRC-32
//              over the first 12 header bytes and the payload; then the payload
// Chunk 0 is the header (JSON); an embedded kernel image follows as its own chunk, then an
// embedded disk image (header.launch.disk.embedded, format 4); a recording that starts at a
// snapshot instead of power-on (header.start, format 3) has that snapshot as the next chunk; then event chunks (about EVENT_CHUNK_BYTES each) and optional snapshot chunks,
// in the order written. From format 5 a chunk's type may carry CHUNK_COMPRESSED: its payload is
// then stored compressed (chunk-codec.ts), and the chunk is read as its plain type.
// Each chunk goes to the file with one write, so a process killed mid-recording leaves every
// complete chunk readable, and a reader replays that prefix.

export const MAGIC = Uint8Array.from([0x4c, 0x56, 0x4d, 0x4d, 0x52, 0x45, 0x43, 0x00]); // "LVMMREC\0"
export const FORMAT_VERSION = 5;
/**
 * Versions this lvmm reads. Version 3 (from 2) adds the optional start point (header.start and
 * its snapshot chunk); version 4 the embedded disk image chunk, and checkpoint hashes over the
 * RAM pages that are not all zero (machine-hash.ts; older files hashed all of RAM, and are
 * verified that way); version 5 compressed chunks (CHUNK_COMPRESSED), and no transmit records:
 * only what a replay needs is stored, and the transmit descriptors, the guest's output, are
 * recomputed by replaying (transmits.ts). Events are encoded as in version 2 throughout, so
 * older files read unchanged; each bump keeps an older lvmm from misreading a newer file.
 */
export const READABLE_VERSIONS: readonly number[] = [2, 3, 4, 5];
/** The first version whose files hold no TX DMA records (replaying derives them). */
export const FIRST_VERSION_WITHOUT_TX = 5;
/** The first version whose chunks may be compressed. */
export const FIRST_VERSION_COMPRESSED = 5;
export const PREAMBLE_BYTES = 16;
export const CHUNK_HEADER_BYTES = 16;
/** Event chunks are flushed when they reach this size (before compression; and at every checkpoint). */
export const EVENT_CHUNK_BYTES = 256 * 1024;
/** Larger chunks are refused as corrupt (a kernel or a snapshot is far smaller). */
export const MAX_CHUNK_BYTES = 1 << 30;

export enum ChunkType {
  Header = 1,
  Kernel = 2,
  Events = 3,
  Snapshot = 4,
  /** The disk image the machine ran with (format 4; right after the kernel). */
  Disk = 5,
}

/**
 * Added to a chunk's type (format 5): the payload is stored compressed as u8 method (1: raw
 * DEFLATE, RFC 1951; 2: brotli, RFC 7932), u8[3] 0, u32 length of the payload it inflates to,
 * then the compressed bytes. The chunk is read as the plain type (type & 0x7f); its CRC covers
 * the bytes stored.
 */
export const CHUNK_COMPRESSED = 0x80;
/** Compression methods of a compressed chunk (writers use brotli). */
export const COMPRESSION_DEFLATE_RAW = 1;
export const COMPRESSION_BROTLI = 2;

/**
 * Event kinds of format versions 2 to 5. Never renumber; a new kind or encoding is a new version.
 * Version 2 (from 1): an RX DMA descriptor's bytes are either literal or a reference to an
 * earlier frame-in event (its ordinal and an offset), since they are the incoming frame's bytes.
 * Version 3: the header's optional start point (a snapshot), and the optional input-digest event.
 * Version 5: no tx-dma events are written (a reader still decodes them in any version).
 */
export enum EventKind {
  /** A frame arrived on the NIC wire (an input; body: the frame bytes). */
  FrameIn = 0x01,
  /** Serial input reached the guest's UART (an input; body: UTF-8 text). */
  SerialIn = 0x02,
  /** A command arrived on the control channel (body: UTF-8 JSON); replays ignore it. */
  ControlCommand = 0x03,
  /** An interrupt was delivered (body: i8 IRQ line, -1 if unknown). */
  Interrupt = 0x10,
  /** A line the guest wrote on its console (body: UTF-8 text), for the log and the guard. */
  SerialOut = 0x11,
  /** State hash at a checkpoint (body: 32-byte sha256, f64 run limit ns, i32 snapshot chunk or -1). */
  CheckpointHash = 0x20,
  /** Light state digest where an input reached the guest (body: 16 bytes; state-hash.ts inputDigest). Optional. */
  InputDigest = 0x21,
  /** One receive interrupt of the NIC DMA log; descriptor bytes refer to frame-in events (codec.ts). */
  RxDmaInterrupt = 0x30,
  /** One transmit descriptor the NIC consumed (see codec.ts). Formats 2 to 4; later files leave them out (replaying recomputes them). */
  TxDma = 0x31,
  /** The end of the recording (body: UTF-8 JSON {reason, detail?, untilNs?}). */
  End = 0x7f,
}

export const EVENT_KIND_NAMES: Record<EventKind, string> = {
  [EventKind.FrameIn]: "frame-in",
  [EventKind.SerialIn]: "serial-in",
  [EventKind.ControlCommand]: "control",
  [EventKind.Interrupt]: "interrupt",
  [EventKind.SerialOut]: "serial-out",
  [EventKind.CheckpointHash]: "checkpoint",
  [EventKind.InputDigest]: "input-digest",
  [EventKind.RxDmaInterrupt]: "rx-dma",
  [EventKind.TxDma]: "tx-dma",
  [EventKind.End]: "end",
};

/** The launch configuration: everything Machine.create needs besides the kernel image. */
export interface LaunchConfig {
  cmdline: string;
  memoryMB: number;
  mips: number;
  jit: boolean;
  /** NIC MAC as "52:54:00:12:34:56", or null for no NIC. */
  mac: string | null;
  seed: number;
  epochMs: number;
  hangWatchdogMs: number;
  maxQuantumMs: number;
  /** The primary IDE disk: its identity, and whether the file carries it (format 4). */
  disk: { sha256: string; bytes: number; embedded?: boolean } | null;
}

/**
 * Where a recording that does not start at power-on starts: the machine state there is the
 * snapshot chunk right after the header (and the embedded kernel), and events are keyed to the
 * run's absolute instruction counts, all at or after this point.
 */
export interface StartPoint {
  icount: number;
  ns: number;
  /** The console line the guest had begun to print there (not yet ended by a newline). */
  consoleLine: string;
}

export interface RecordingHeader {
  format: "lvmmrec";
  formatVersion: number;
  /** The pinned v86 build and its wasm hash. */
  v86: { version: string; wasmSha256: string };
  kernel: { sha256: string; bytes: number; name: string; embedded: boolean };
  launch: LaunchConfig;
  /** Virtual ns between checkpoint hashes. */
  checkpointIntervalNs: number;
  /** What produced the run (free-form, shown by `lvmm events`). */
  scenario: Record<string, unknown>;
  /** Host wall-clock time the recording started (informational). */
  createdAt: string;
  /** Absent: the recording starts at power-on. Format 3 and later. */
  start?: StartPoint;
}

export type RecordingErrorCode = "truncated" | "bad-magic" | "wrong-version" | "checksum" | "bad-chunk" | "bad-header" | "bad-event" | "wrong-kernel" | "wrong-disk" | "wrong-vmm" | "bad-start" | "io";

/** Everything wrong with a recording a user can hand us; `code` says which. */
export class RecordingError extends Error {
  constructor(
    readonly code: RecordingErrorCode,
    message: string,
    /** Byte offset in the file, when the problem is at a place. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = "RecordingError";
  }
}
