// RTP fixed header (RFC 3550 §5.1).
export const RTP_VERSION = 2;

export interface RtpHeaderFields {
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

export function rtpHeader(f: RtpHeaderFields): Buffer {
  const h = Buffer.allocUnsafe(12);
  h[0] = RTP_VERSION << 6; // V=2, P=0, X=0, CC=0
  h[1] = ((f.marker ? 1 : 0) << 7) | (f.payloadType & 0x7f);
  h.writeUInt16BE(f.seq & 0xffff, 2);
  h.writeUInt32BE(f.timestamp >>> 0, 4);
  h.writeUInt32BE(f.ssrc >>> 0, 8);
  return h;
}
