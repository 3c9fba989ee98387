// UDP (RFC 768). The checksum covers an IPv4 pseudo-header, so both addresses are needed to
// build or verify a datagram. Outgoing checksums are always computed (0 is sent as 0xffff).
import type { Ipv4Address } from "./addresses";
import { internetChecksum, ipv4PseudoHeaderSum, onesComplementSum } from "./checksum";
import { PacketError } from "./errors";
import { IP_PROTOCOL, IPV4_HEADER_LENGTH } from "./ipv4";
import { ETHERNET_MTU } from "./ethernet";

export const UDP_HEADER_LENGTH = 8;
/** Largest payload that fits one Ethernet frame without fragmentation: 1472. */
export const UDP_MAX_PAYLOAD_UNFRAGMENTED = ETHERNET_MTU - IPV4_HEADER_LENGTH - UDP_HEADER_LENGTH;
const UDP_MAX_PAYLOAD = 0xffff - UDP_HEADER_LENGTH;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  /** The length field: header plus payload. */
  length: number;
  checksum: number;
  /** false when the sender left the checksum out (field 0). */
  checksumPresent: boolean;
  /** true when absent, or present and verifying against the pseudo-header. */
  checksumValid: boolean;
  /** A view into the input, `length - 8` bytes. */
  payload: Uint8Array;
}

export interface UdpDatagramSpec {
  srcIp: Ipv4Address;
  dstIp: Ipv4Address;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new PacketError("invalid-argument", "udp", `${name} ${port} is not a port number (0..65535)`);
  }
}

export function buildUdpDatagram(spec: UdpDatagramSpec): Uint8Array {
  checkPort("source port", spec.srcPort);
  checkPort("destination port", spec.dstPort);
  if (spec.payload.length > UDP_MAX_PAYLOAD) {
    throw new PacketError("invalid-argument", "udp", `payload of ${spec.payload.length} bytes exceeds the UDP maximum of ${UDP_MAX_PAYLOAD}`);
  }
  const length = UDP_HEADER_LENGTH + spec.payload.length;
  const b = new Uint8Array(length);
  b[0] = spec.srcPort >> 8;
  b[1] = spec.srcPort & 0xff;
  b[2] = spec.dstPort >> 8;
  b[3] = spec.dstPort & 0xff;
  b[4] = length >> 8;
  b[5] = length & 0xff;
  b.set(spec.payload, UDP_HEADER_LENGTH);
  const sum = internetChecksum(b, ipv4PseudoHeaderSum(spec.srcIp, spec.dstIp, IP_PROTOCOL.udp, length)) || 0xffff;
  b[6] = sum >> 8;
  b[7] = sum & 0xff;
  return b;
}

/** srcIp/dstIp are the enclosing IPv4 header's addresses, for the checksum. */
export function parseUdp(bytes: Uint8Array, srcIp: Ipv4Address, dstIp: Ipv4Address): UdpDatagram | PacketError {
  if (bytes.length < UDP_HEADER_LENGTH) {
    return new PacketError("truncated", "udp", `datagram of ${bytes.length} bytes is shorter than the ${UDP_HEADER_LENGTH}-byte header`);
  }
  const length = (bytes[4]! << 8) | bytes[5]!;
  if (length < UDP_HEADER_LENGTH) {
    return new PacketError("malformed", "udp", `length field ${length} is shorter than the ${UDP_HEADER_LENGTH}-byte header`);
  }
  if (length > bytes.length) {
    return new PacketError("truncated", "udp", `length field ${length} but only ${bytes.length} bytes are present`);
  }
  const checksum = (bytes[6]! << 8) | bytes[7]!;
  const datagram = bytes.subarray(0, length);
  const checksumPresent = checksum !== 0;
  const verifies = onesComplementSum(datagram, ipv4PseudoHeaderSum(srcIp, dstIp, IP_PROTOCOL.udp, length)) === 0xffff;
  return {
    srcPort: (bytes[0]! << 8) | bytes[1]!,
    dstPort: (bytes[2]! << 8) | bytes[3]!,
    length,
    checksum,
    checksumPresent,
    checksumValid: !checksumPresent || verifies,
    payload: bytes.subarray(UDP_HEADER_LENGTH, length),
  };
}
