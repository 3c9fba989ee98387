// RTCP packets the server sends (SR, SDES CNAME, BYE) and reads (report blocks from RR and SR),
// RFC 3550 §6.4-6.6. The reader never throws: malformed input yields what was readable.
export const RtcpType = { SR: 200, RR: 201, SDES: 202, BYE: 203 } as const; // RFC 3550 §12.1
const SDES_CNAME = 1; // RFC 3550 §6.5.1
/** seconds from 1900-01-01 (NTP era 0) to 1970-01-01 */
export const NTP_UNIX_OFFSET_SEC = 2_208_988_800;

export interface SenderInfo {
  ssrc: number;
  /** wall clock, ms since the Unix epoch, sub-ms precision */
  wallMs: number;
  rtpTime: number;
  packetCount: number;
  octetCount: number;
}

export function ntpTimestamp(wallMs: number): { sec: number; frac: number } {
  const totalSec = wallMs / 1000 + NTP_UNIX_OFFSET_SEC;
  const sec = Math.floor(totalSec);
  const frac = Math.min(0xffffffff, Math.round((totalSec - sec) * 2 ** 32));
  return { sec: sec >>> 0, frac: frac >>> 0 };
}

function header(type: number, count: number, words: number): Buffer {
  const b = Buffer.alloc(words * 4);
  b[0] = 0x80 | (count & 0x1f);
  b[1] = type;
  b.writeUInt16BE(words - 1, 2); // length in 32-bit words minus one
  return b;
}

export function senderReport(s: SenderInfo): Buffer {
  const b = header(RtcpType.SR, 0, 7);
  const ntp = ntpTimestamp(s.wallMs);
  b.writeUInt32BE(s.ssrc >>> 0, 4);
  b.writeUInt32BE(ntp.sec, 8);
  b.writeUInt32BE(ntp.frac, 12);
  b.writeUInt32BE(s.rtpTime >>> 0, 16);
  b.writeUInt32BE(s.packetCount >>> 0, 20);
  b.writeUInt32BE(s.octetCount >>> 0, 24);
  return b;
}

export function sdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, "utf8").subarray(0, 255);
  // ssrc(4) + type(1) + len(1) + text + at least one null terminator, padded to 32 bits
  const chunk = 4 + 2 + text.length + 1;
  const words = 1 + Math.ceil(chunk / 4);
  const b = header(RtcpType.SDES, 1, words);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b[8] = SDES_CNAME;
  b[9] = text.length;
  text.copy(b, 10);
  return b;
}

export function bye(ssrc: number): Buffer {
  const b = header(RtcpType.BYE, 1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}

/** A reception report block (RFC 3550 §6.4.1). */
export interface ReceptionReport {
  /** SSRC of the reporter (the client) */
  reporterSsrc: number;
  /** SSRC of the source reported on (our stream) */
  sourceSsrc: number;
  fractionLost: number;
  cumulativeLost: number;
  highestSeq: number;
  /** interarrival jitter, RTP timestamp units */
  jitter: number;
  lsr: number;
  dlsr: number;
}

/** Reads every report block in a (compound) RTCP packet. */
export function readReceptionReports(buf: Buffer): ReceptionReport[] {
  const out: ReceptionReport[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const v = buf[off]! >> 6;
    const count = buf[off]! & 0x1f;
    const type = buf[off + 1]!;
    const len = (buf.readUInt16BE(off + 2) + 1) * 4;
    if (v !== 2 || off + len > buf.length) break;
    if ((type === RtcpType.RR || type === RtcpType.SR) && len >= 8) {
      const reporter = buf.readUInt32BE(off + 4);
      let p = off + (type === RtcpType.SR ? 28 : 8);
      for (let i = 0; i < count && p + 24 <= off + len; i++, p += 24) {
        out.push({
          reporterSsrc: reporter,
          sourceSsrc: buf.readUInt32BE(p),
          fractionLost: buf[p + 4]! / 256,
          cumulativeLost: buf.readIntBE(p + 5, 3),
          highestSeq: buf.readUInt32BE(p + 8),
          jitter: buf.readUInt32BE(p + 12),
          lsr: buf.readUInt32BE(p + 16),
          dlsr: buf.readUInt32BE(p + 20),
        });
      }
    }
    off += len;
  }
  return out;
}
