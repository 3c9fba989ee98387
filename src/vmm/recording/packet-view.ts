// Human-readable packet decoding for the DMA report and the event log: Ethernet, ARP, IPv4,
// UDP and RTP (RFC 3550 5.1) headers, then a hex dump.
import { parseFrame } from "../../net";

/** One-line summary: "52:54:00:aa:bb:cc > 52:54:00:12:34:56 IPv4 10.0.2.2:40007 > 10.0.2.15:7 UDP 600 bytes". */
export function summarizeFrame(bytes: Uint8Array): string {
  const f = parseFrame(bytes);
  if (!f.ethernet) return `${bytes.length} bytes (not Ethernet: ${f.error?.message ?? "?"})`;
  const eth = `${f.ethernet.srcMac} > ${f.ethernet.dstMac}`;
  if (f.arp) return `${eth} ARP ${f.arp.op === 1 ? "who-has" : f.arp.op === 2 ? "is-at" : `op ${f.arp.op}`} ${f.arp.targetIp} tell ${f.arp.senderIp}`;
  if (f.udp && f.ipv4) return `${eth} IPv4 ${f.ipv4.srcIp}:${f.udp.srcPort} > ${f.ipv4.dstIp}:${f.udp.dstPort} UDP ${f.udp.payload.length} bytes`;
  if (f.ipv4) return `${eth} IPv4 ${f.ipv4.srcIp} > ${f.ipv4.dstIp} proto ${f.ipv4.protocol}`;
  return `${eth} type 0x${f.ethernet.etherType.toString(16).padStart(4, "0")}`;
}

export interface RtpHeader {
  version: number;
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
}

/** RTP fixed header (RFC 3550 5.1) when the payload looks like RTP version 2. */
export function parseRtp(p: Uint8Array): RtpHeader | undefined {
  if (p.length < 12 || p[0]! >> 6 !== 2) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const h = {
    version: 2,
    padding: (p[0]! & 0x20) !== 0,
    extension: (p[0]! & 0x10) !== 0,
    csrcCount: p[0]! & 0x0f,
    marker: (p[1]! & 0x80) !== 0,
    payloadType: p[1]! & 0x7f,
    sequence: v.getUint16(2),
    timestamp: v.getUint32(4),
    ssrc: v.getUint32(8),
  };
  return 12 + 4 * h.csrcCount <= p.length ? h : undefined;
}

/** Layer-by-layer header lines, indented. */
export function describeFrame(bytes: Uint8Array, indent = "    "): string[] {
  const f = parseFrame(bytes);
  const out: string[] = [];
  if (f.ethernet) out.push(`${indent}Ethernet ${f.ethernet.srcMac} > ${f.ethernet.dstMac} type 0x${f.ethernet.etherType.toString(16).padStart(4, "0")}`);
  if (f.arp) out.push(`${indent}ARP op ${f.arp.op} sender ${f.arp.senderMac} ${f.arp.senderIp} target ${f.arp.targetMac} ${f.arp.targetIp}`);
  if (f.ipv4) {
    const ip = f.ipv4;
    out.push(
      `${indent}IPv4 ${ip.srcIp} > ${ip.dstIp} proto ${ip.protocol} ttl ${ip.ttl} id ${ip.identification} len ${ip.totalLength} checksum 0x${ip.headerChecksum.toString(16).padStart(4, "0")}${ip.checksumValid ? "" : " (bad)"}`,
    );
  }
  if (f.udp) {
    const u = f.udp;
    out.push(`${indent}UDP ${u.srcPort} > ${u.dstPort} len ${u.length} checksum ${u.checksumPresent ? `0x${u.checksum.toString(16).padStart(4, "0")}${u.checksumValid ? "" : " (bad)"}` : "none"}`);
    const rtp = parseRtp(u.payload);
    if (rtp)
      out.push(
        `${indent}RTP v2 pt ${rtp.payloadType}${rtp.marker ? " marker" : ""} seq ${rtp.sequence} ts ${rtp.timestamp} ssrc 0x${rtp.ssrc.toString(16).padStart(8, "0")}${rtp.csrcCount ? ` csrc ${rtp.csrcCount}` : ""}`,
      );
  }
  if (f.error) out.push(`${indent}(decode stopped: ${f.error.message})`);
  return out;
}

/** Classic hex dump: offset, 16 bytes in hex, then ASCII. */
export function hexDump(bytes: Uint8Array, indent = "    ", limit = Infinity): string[] {
  const out: string[] = [];
  const n = Math.min(bytes.length, limit);
  for (let o = 0; o < n; o += 16) {
    const row = bytes.subarray(o, Math.min(n, o + 16));
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    out.push(`${indent}${o.toString(16).padStart(4, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (n < bytes.length) out.push(`${indent}... ${bytes.length - n} more bytes`);
  return out;
}
