// The linkage protocol's messages (docs/linkage.md; the engine's side is guest/delivery/
// link_proto.h): a 16-byte header and a fixed-layout payload per type, big-endian. Decoders
// never throw: malformed input yields a LinkageDecodeError value.
export const LINK_PORT = 5000;
export const LINK_MAGIC = 0x4c4b; // "LK"
export const LINK_VERSION = 1;
export const LINK_HDR = 16;
export const LINK_NO_UNTIL = 0xffffffff;
export const LINK_CNAME_MAX = 32;
export const LINK_STATS_ENTRY = 76;
const STATS_HEADER = 56;
const HELLO_BYTES = 40;
export const LATE_BOUNDS_US = [1000, 2000, 5000, 10000, 20000, 50000, 100000, 250000, 500000, 1000000] as const;

export const LinkType = {
  HELLO: 0x01,
  START: 0x02,
  STOP: 0x03,
  PAUSE: 0x04,
  RESUME: 0x05,
  SEEK: 0x06,
  STATS: 0x07,
  ENDED: 0x08,
  FAILED: 0x09,
  FAULT: 0x0a,
  ACK: 0x80,
  NACK: 0x81,
} as const;
export type LinkTypeCode = (typeof LinkType)[keyof typeof LinkType];

export const LinkError = {
  MALFORMED: 1,
  NO_STREAM: 2,
  NO_CONTENT: 3,
  NO_CAPACITY: 4,
  EXISTS: 5,
  BAD_ARG: 6,
  DISK: 7,
  FORBIDDEN: 8,
} as const;
const ERROR_TEXT: Record<number, string> = {
  1: "malformed command",
  2: "no such stream on the engine",
  3: "no such content on the engine's disk",
  4: "no free stream slot on the engine",
  5: "stream already started",
  6: "bad argument",
  7: "disk read error",
  8: "not permitted (engine not booted with testctl)",
};
export const linkErrorText = (code: number) => ERROR_TEXT[code] ?? `error ${code}`;

export interface LinkHeader {
  type: number;
  seq: number;
  boot: number;
  payload: Buffer;
}

export class LinkageDecodeError {
  constructor(readonly why: string) {}
}

export function encodeMessage(type: number, seq: number, boot: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(LINK_HDR + payload.length);
  b.writeUInt16BE(LINK_MAGIC, 0);
  b[2] = LINK_VERSION;
  b[3] = type;
  b.writeUInt32BE(seq >>> 0, 4);
  b.writeUInt32BE(boot >>> 0, 8);
  b.writeUInt16BE(payload.length, 12);
  payload.copy(b, LINK_HDR);
  return b;
}

export function decodeMessage(b: Buffer): LinkHeader | LinkageDecodeError {
  if (b.length < LINK_HDR) return new LinkageDecodeError(`${b.length} bytes, shorter than the header`);
  if (b.readUInt16BE(0) !== LINK_MAGIC) return new LinkageDecodeError("bad magic");
  if (b[2] !== LINK_VERSION) return new LinkageDecodeError(`version ${b[2]}, this side speaks ${LINK_VERSION}`);
  const len = b.readUInt16BE(12);
  if (LINK_HDR + len > b.length) return new LinkageDecodeError("payload length past the datagram");
  return { type: b[3]!, seq: b.readUInt32BE(4), boot: b.readUInt32BE(8), payload: b.subarray(LINK_HDR, LINK_HDR + len) };
}

// ---- commands (node -> engine) -------------------------------------------------------------

export interface StartCommand {
  streamId: number;
  contentId: number;
  /** IPv4 address as a 32-bit number */
  clientIp: number;
  rtpPort: number;
  rtcpPort: number;
  ssrc: number;
  seq: number;
  /** playback rate x 100; the engine accepts 100 only */
  scaleX100: number;
  rtpTimeBase: number;
  fromTicks: number;
  untilTicks: number;
  cname: string;
}

export function encodeStart(c: StartCommand): Buffer {
  const b = Buffer.alloc(36 + LINK_CNAME_MAX);
  b.writeUInt32BE(c.streamId >>> 0, 0);
  b.writeUInt32BE(c.contentId >>> 0, 4);
  b.writeUInt32BE(c.clientIp >>> 0, 8);
  b.writeUInt16BE(c.rtpPort, 12);
  b.writeUInt16BE(c.rtcpPort, 14);
  b.writeUInt32BE(c.ssrc >>> 0, 16);
  b.writeUInt16BE(c.seq & 0xffff, 20);
  b.writeUInt16BE(c.scaleX100, 22);
  b.writeUInt32BE(c.rtpTimeBase >>> 0, 24);
  b.writeUInt32BE(c.fromTicks >>> 0, 28);
  b.writeUInt32BE(c.untilTicks >>> 0, 32);
  Buffer.from(c.cname, "utf8").subarray(0, LINK_CNAME_MAX).copy(b, 36);
  return b;
}

export const encodeStreamId = (id: number) => u32(id);

export function encodeSeek(streamId: number, toTicks: number, untilTicks: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(streamId >>> 0, 0);
  b.writeUInt32BE(toTicks >>> 0, 4);
  b.writeUInt32BE(untilTicks >>> 0, 8);
  return b;
}

/** HELLO's acknowledgement: NTP-epoch microseconds at engine time 0. */
export function encodeHelloAck(ntpOffsetUs: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(ntpOffsetUs, 0);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

// ---- replies and notices (engine -> node) --------------------------------------------------

export interface EnginePosition {
  seq: number;
  rtptime: number;
  ticks: number;
}

export function decodePosition(p: Buffer): EnginePosition | LinkageDecodeError {
  if (p.length < 12) return new LinkageDecodeError("short position");
  return { seq: p.readUInt16BE(0), rtptime: p.readUInt32BE(4), ticks: p.readUInt32BE(8) };
}

export interface Hello {
  maxStreams: number;
  hz: number;
  capacityBps: number;
  dma: boolean;
  contentItems: number;
  diskSectors: number;
  engineNowUs: bigint;
  buildId: string;
}

export function decodeHello(p: Buffer): Hello | LinkageDecodeError {
  if (p.length < HELLO_BYTES) return new LinkageDecodeError("short HELLO");
  const id = p.subarray(24, 40);
  const nul = id.indexOf(0);
  return {
    maxStreams: p.readUInt16BE(0),
    hz: p.readUInt16BE(2),
    capacityBps: p.readUInt32BE(4) * 1000,
    dma: p[8] === 1,
    contentItems: p[9]!,
    diskSectors: p.readUInt32BE(12),
    engineNowUs: p.readBigUInt64BE(16),
    buildId: id.subarray(0, nul < 0 ? 16 : nul).toString("latin1"),
  };
}

export const StreamState = { free: 0, paused: 1, playing: 2, done: 3 } as const;

export interface EngineStreamStats {
  streamId: number;
  packets: number;
  bytes: number;
  rtcpPackets: number;
  positionTicks: number;
  lateSumUs: number;
  lateMaxUs: number;
  deadlineMisses: number;
  state: number;
  readStalls: number;
  /** cumulative counts per LATE_BOUNDS_US */
  lateBuckets: number[];
}

export function decodeStreamStats(p: Buffer, o = 0): EngineStreamStats {
  const buckets: number[] = [];
  for (let i = 0; i < LATE_BOUNDS_US.length; i++) buckets.push(p.readUInt32BE(o + 36 + 4 * i));
  return {
    streamId: p.readUInt32BE(o),
    packets: p.readUInt32BE(o + 4),
    bytes: p.readUInt32BE(o + 8),
    rtcpPackets: p.readUInt32BE(o + 12),
    positionTicks: p.readUInt32BE(o + 16),
    lateSumUs: p.readUInt32BE(o + 20),
    lateMaxUs: p.readUInt32BE(o + 24),
    deadlineMisses: p.readUInt32BE(o + 28),
    state: p[o + 32]!,
    readStalls: p.readUInt16BE(o + 34),
    lateBuckets: buckets,
  };
}

export interface EngineStats {
  uptimeMs: number;
  /** streams on the scheduler's heap (playing) */
  scheduled: number;
  /** stream slots in use */
  streams: number;
  maxStreams: number;
  part: number;
  parts: number;
  capacityBps: number;
  packets: number;
  deadlineMisses: number;
  /** packets due but unsent at the end of the last pass, and the most since the last report */
  backlog: number;
  backlogMax: number;
  diskReads: number;
  diskErrors: number;
  txDropped: number;
  /** commands the engine carried out, and repeats it suppressed (answered from its reply cache) */
  commandsExecuted: number;
  duplicatesSuppressed: number;
  entries: EngineStreamStats[];
}

export function decodeStats(p: Buffer): EngineStats | LinkageDecodeError {
  if (p.length < STATS_HEADER) return new LinkageDecodeError("short STATS");
  const n = p.readUInt16BE(44);
  if (STATS_HEADER + n * LINK_STATS_ENTRY > p.length) return new LinkageDecodeError("STATS entries past the payload");
  const entries: EngineStreamStats[] = [];
  for (let i = 0; i < n; i++) entries.push(decodeStreamStats(p, STATS_HEADER + i * LINK_STATS_ENTRY));
  return {
    uptimeMs: p.readUInt32BE(0),
    scheduled: p.readUInt16BE(4),
    streams: p.readUInt16BE(6),
    maxStreams: p.readUInt16BE(8),
    part: p[10]!,
    parts: p[11]!,
    capacityBps: p.readUInt32BE(12) * 1000,
    packets: p.readUInt32BE(16),
    deadlineMisses: p.readUInt32BE(20),
    backlog: p.readUInt32BE(24),
    backlogMax: p.readUInt32BE(28),
    diskReads: p.readUInt32BE(32),
    diskErrors: p.readUInt32BE(36),
    txDropped: p.readUInt32BE(40),
    commandsExecuted: p.readUInt32BE(48),
    duplicatesSuppressed: p.readUInt32BE(52),
    entries,
  };
}

export function decodeNack(p: Buffer): { code: number; type: number } {
  return { code: p.length >= 2 ? p.readUInt16BE(0) : 0, type: p.length >= 4 ? p.readUInt16BE(2) : 0 };
}

export function ipv4ToNumber(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function numberToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
