// The hint index: for each RTP packet of a stored MPEG-TS file, where its payload lies in the
// file and when it is due (our analogue of Darwin's hint tracks). Binary, little-endian,
// fixed-size records, sector-aligned, so a small C program on the I/O engine can read it from
// disk sectors without a parser:
//
//   header, 512 bytes (one sector):
//     0  char[8] magic "SSHINT\0\0"      32 u64 media_bytes
//     8  u32 version (1)                 40 u64 duration_ticks (90 kHz)
//    12  u32 header_bytes (512)          48 u32 mean_bps   (RTP payload + 12-byte RTP header)
//    16  u32 record_bytes (16)           52 u32 peak_bps   (same, busiest 1 s window)
//    20  u32 record_count                56 u32 media_crc32   (CRC-32/IEEE of the media file)
//    24  u32 clock_rate (90000)          60 u32 records_crc32 (of all record bytes)
//    28  u8  payload_type (33)           64 u32 pcr_pid
//    29  u8  ts_packets_per_rtp (7)      68 char[64] media file name, NUL padded
//    30  u16 ts_packet_size (188)       132..507 zero   508 u32 header_crc32 (of bytes 0..507)
//   records from byte 512, 16 bytes each (32 per sector, none straddles a sector):
//     0 u64 media_offset   8 u32 send_ticks (90 kHz from the first packet; also the RTP
//     timestamp offset)   12 u16 length (bytes)   14 u16 flags (bit 0: random access point,
//     bit 1: discontinuity)
// Any change to this layout bumps HINT_FORMAT_VERSION.
import { crc32 } from "node:zlib";

export const HINT_MAGIC = Buffer.from("SSHINT\0\0", "latin1");
export const HINT_FORMAT_VERSION = 1;
export const HINT_HEADER_BYTES = 512;
export const HINT_RECORD_BYTES = 16;
export const HINT_NAME_BYTES = 64;
export const RTP_CLOCK_HZ = 90_000; // RFC 2250 §2: 90 kHz timestamps for MP2T
export const RTP_PT_MP2T = 33; // RFC 3551 §6, RFC 2250 §2
export const TS_PACKETS_PER_RTP = 7; // 7 x 188 = 1316 bytes: fits a 1500-byte MTU
export const RTP_HEADER_BYTES = 12;

export const HintFlag = { RandomAccess: 1, Discontinuity: 2 } as const;

export interface HintHeader {
  version: number;
  recordCount: number;
  clockRate: number;
  payloadType: number;
  tsPacketsPerRtp: number;
  tsPacketSize: number;
  mediaBytes: number;
  durationTicks: number;
  meanBps: number;
  peakBps: number;
  mediaCrc32: number;
  recordsCrc32: number;
  pcrPid: number;
  mediaName: string;
}

export interface HintRecords {
  offset: Float64Array;
  ticks: Uint32Array;
  length: Uint16Array;
  flags: Uint16Array;
}

export interface HintIndex {
  header: HintHeader;
  records: HintRecords;
}

export class HintIndexError extends Error {
  constructor(file: string, why: string) {
    super(`hint index ${file}: ${why}; re-run ingest on the media file`);
    this.name = "HintIndexError";
  }
}

export function allocRecords(n: number): HintRecords {
  return { offset: new Float64Array(n), ticks: new Uint32Array(n), length: new Uint16Array(n), flags: new Uint16Array(n) };
}

export function encodeRecords(r: HintRecords): Buffer {
  const n = r.ticks.length;
  const buf = Buffer.alloc(n * HINT_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const o = i * HINT_RECORD_BYTES;
    buf.writeBigUInt64LE(BigInt(r.offset[i]!), o);
    buf.writeUInt32LE(r.ticks[i]!, o + 8);
    buf.writeUInt16LE(r.length[i]!, o + 12);
    buf.writeUInt16LE(r.flags[i]!, o + 14);
  }
  return buf;
}

export function encodeHintIndex(h: Omit<HintHeader, "version" | "recordsCrc32" | "recordCount">, records: HintRecords): Buffer {
  const body = encodeRecords(records);
  const head = Buffer.alloc(HINT_HEADER_BYTES);
  HINT_MAGIC.copy(head, 0);
  head.writeUInt32LE(HINT_FORMAT_VERSION, 8);
  head.writeUInt32LE(HINT_HEADER_BYTES, 12);
  head.writeUInt32LE(HINT_RECORD_BYTES, 16);
  head.writeUInt32LE(records.ticks.length, 20);
  head.writeUInt32LE(h.clockRate, 24);
  head.writeUInt8(h.payloadType, 28);
  head.writeUInt8(h.tsPacketsPerRtp, 29);
  head.writeUInt16LE(h.tsPacketSize, 30);
  head.writeBigUInt64LE(BigInt(h.mediaBytes), 32);
  head.writeBigUInt64LE(BigInt(h.durationTicks), 40);
  head.writeUInt32LE(Math.min(h.meanBps, 0xffffffff), 48);
  head.writeUInt32LE(Math.min(h.peakBps, 0xffffffff), 52);
  head.writeUInt32LE(h.mediaCrc32, 56);
  head.writeUInt32LE(crc32(body), 60);
  head.writeUInt32LE(h.pcrPid, 64);
  const name = Buffer.from(h.mediaName, "utf8");
  if (name.length >= HINT_NAME_BYTES) throw new RangeError(`media name longer than ${HINT_NAME_BYTES - 1} bytes`);
  name.copy(head, 68);
  head.writeUInt32LE(crc32(head.subarray(0, HINT_HEADER_BYTES - 4)), HINT_HEADER_BYTES - 4);
  return Buffer.concat([head, body]);
}

export function decodeHintHeader(buf: Buffer, file: string): HintHeader {
  if (buf.length < HINT_HEADER_BYTES) throw new HintIndexError(file, "shorter than its header");
  if (!buf.subarray(0, 8).equals(HINT_MAGIC)) throw new HintIndexError(file, "bad magic (not a hint index)");
  const version = buf.readUInt32LE(8);
  if (version !== HINT_FORMAT_VERSION) throw new HintIndexError(file, `format version ${version}, this server reads ${HINT_FORMAT_VERSION}`);
  if (buf.readUInt32LE(HINT_HEADER_BYTES - 4) !== crc32(buf.subarray(0, HINT_HEADER_BYTES - 4))) throw new HintIndexError(file, "header checksum mismatch");
  if (buf.readUInt32LE(12) !== HINT_HEADER_BYTES || buf.readUInt32LE(16) !== HINT_RECORD_BYTES) throw new HintIndexError(file, "unexpected header or record size");
  const nameBytes = buf.subarray(68, 68 + HINT_NAME_BYTES);
  const nul = nameBytes.indexOf(0);
  return {
    version,
    recordCount: buf.readUInt32LE(20),
    clockRate: buf.readUInt32LE(24),
    payloadType: buf.readUInt8(28),
    tsPacketsPerRtp: buf.readUInt8(29),
    tsPacketSize: buf.readUInt16LE(30),
    mediaBytes: Number(buf.readBigUInt64LE(32)),
    durationTicks: Number(buf.readBigUInt64LE(40)),
    meanBps: buf.readUInt32LE(48),
    peakBps: buf.readUInt32LE(52),
    mediaCrc32: buf.readUInt32LE(56),
    recordsCrc32: buf.readUInt32LE(60),
    pcrPid: buf.readUInt32LE(64),
    mediaName: nameBytes.subarray(0, nul < 0 ? HINT_NAME_BYTES : nul).toString("utf8"),
  };
}

export function decodeHintIndex(buf: Buffer, file: string): HintIndex {
  const header = decodeHintHeader(buf, file);
  const n = header.recordCount;
  const body = buf.subarray(HINT_HEADER_BYTES);
  if (body.length !== n * HINT_RECORD_BYTES) throw new HintIndexError(file, `expected ${n} records, file holds ${body.length} bytes of records`);
  if (crc32(body) !== header.recordsCrc32) throw new HintIndexError(file, "records checksum mismatch");
  const records = allocRecords(n);
  for (let i = 0; i < n; i++) {
    const o = i * HINT_RECORD_BYTES;
    records.offset[i] = Number(body.readBigUInt64LE(o));
    records.ticks[i] = body.readUInt32LE(o + 8);
    records.length[i] = body.readUInt16LE(o + 12);
    records.flags[i] = body.readUInt16LE(o + 14);
  }
  return { header, records };
}

/** First record to send for a start position: the last random-access point at or before it. */
export function seekRecord(index: HintIndex, ticks: number): number {
  const { records } = index;
  let lo = 0;
  let hi = records.ticks.length - 1;
  // last record with ticks <= target
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (records.ticks[mid]! <= ticks) lo = mid;
    else hi = mid - 1;
  }
  for (let i = lo; i >= 0; i--) if ((records.flags[i]! & HintFlag.RandomAccess) !== 0) return i;
  return 0;
}
