// IPv4 (RFC 791): 20-byte header without options on output; options skipped on input.
import { ipv4ToBytes, ipv4ToString, type Ipv4Address } from "./addresses";
import { internetChecksum } from "./checksum";
import { PacketError } from "./errors";

export const IPV4_HEADER_LENGTH = 20;
export const IPV4_MAX_PACKET_LENGTH = 0xffff;
export const IP_PROTOCOL = { icmp: 1, tcp: 6, udp: 17 } as const;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

export interface Ipv4Packet {
  srcIp: Ipv4Address;
  dstIp: Ipv4Address;
  protocol: number;
  ttl: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In 8-byte units, as on the wire. */
  fragmentOffset: number;
  dscpEcn: number;
  headerLength: number;
  totalLength: number;
  headerChecksum: number;
  /** Whether the header checksum verifies. */
  checksumValid: boolean;
  /** A view into the input, `totalLength - headerLength` bytes (link-layer padding removed). */
  payload: Uint8Array;
}

export interface Ipv4PacketSpec {
  srcIp: Ipv4Address;
  dstIp: Ipv4Address;
  protocol: number;
  payload: Uint8Array;
  /** Default 64. */
  ttl?: number;
  /** Default 0. */
  identification?: number;
  /** Default true: we never fragment. */
  dontFragment?: boolean;
}

function checkByteField(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new PacketError("invalid-argument", "ipv4", `${name} ${v} is not an integer in 0..${max}`);
  }
}

export function buildIpv4Packet(spec: Ipv4PacketSpec): Uint8Array {
  const ttl = spec.ttl ?? 64;
  const id = spec.identification ?? 0;
  checkByteField("protocol", spec.protocol, 0xff);
  checkByteField("ttl", ttl, 0xff);
  checkByteField("identification", id, 0xffff);
  const total = IPV4_HEADER_LENGTH + spec.payload.length;
  if (total > IPV4_MAX_PACKET_LENGTH) {
    throw new PacketError("invalid-argument", "ipv4", `payload of ${spec.payload.length} bytes makes a packet longer than ${IPV4_MAX_PACKET_LENGTH}`);
  }
  const b = new Uint8Array(total);
  b[0] = 0x45;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  b[4] = id >> 8;
  b[5] = id & 0xff;
  const flags = spec.dontFragment === false ? 0 : FLAG_DF;
  b[6] = flags >> 8;
  b[8] = ttl;
  b[9] = spec.protocol;
  b.set(ipv4ToBytes(spec.srcIp), 12);
  b.set(ipv4ToBytes(spec.dstIp), 16);
  const sum = internetChecksum(b.subarray(0, IPV4_HEADER_LENGTH));
  b[10] = sum >> 8;
  b[11] = sum & 0xff;
  b.set(spec.payload, IPV4_HEADER_LENGTH);
  return b;
}

export function parseIpv4(bytes: Uint8Array): Ipv4Packet | PacketError {
  if (bytes.length < IPV4_HEADER_LENGTH) {
    return new PacketError("truncated", "ipv4", `packet of ${bytes.length} bytes is shorter than the ${IPV4_HEADER_LENGTH}-byte header`);
  }
  const version = bytes[0]! >> 4;
  if (version !== 4) return new PacketError("malformed", "ipv4", `version field is ${version}, not 4`);
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) {
    return new PacketError("malformed", "ipv4", `IHL gives a ${headerLength}-byte header, below the ${IPV4_HEADER_LENGTH}-byte minimum`);
  }
  if (headerLength > bytes.length) {
    return new PacketError("truncated", "ipv4", `IHL gives a ${headerLength}-byte header but only ${bytes.length} bytes are present`);
  }
  const totalLength = (bytes[2]! << 8) | bytes[3]!;
  if (totalLength < headerLength) {
    return new PacketError("malformed", "ipv4", `total length ${totalLength} is shorter than the ${headerLength}-byte header`);
  }
  if (totalLength > bytes.length) {
    return new PacketError("truncated", "ipv4", `total length ${totalLength} but only ${bytes.length} bytes are present`);
  }
  const flagsFragment = (bytes[6]! << 8) | bytes[7]!;
  return {
    srcIp: ipv4ToString(bytes, 12),
    dstIp: ipv4ToString(bytes, 16),
    protocol: bytes[9]!,
    ttl: bytes[8]!,
    identification: (bytes[4]! << 8) | bytes[5]!,
    dontFragment: (flagsFragment & FLAG_DF) !== 0,
    moreFragments: (flagsFragment & FLAG_MF) !== 0,
    fragmentOffset: flagsFragment & FRAGMENT_OFFSET_MASK,
    dscpEcn: bytes[1]!,
    headerLength,
    totalLength,
    headerChecksum: (bytes[10]! << 8) | bytes[11]!,
    checksumValid: internetChecksum(bytes.subarray(0, headerLength)) === 0,
    payload: bytes.subarray(headerLength, totalLength),
  };
}
