// The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum UDP adds to it (RFC 768).
import { ipv4ToBytes, type Ipv4Address } from "./addresses";

/** One's complement sum of big-endian 16-bit words (odd tail padded with 0), folded to 16 bits. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even < bytes.length) sum += bytes[even]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The value to put in a checksum field; over data that includes a correct checksum it is 0. */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}

/** Sum of the IPv4 pseudo-header (source, destination, zero, protocol, length). */
export function ipv4PseudoHeaderSum(srcIp: Ipv4Address, dstIp: Ipv4Address, protocol: number, length: number): number {
  const p = new Uint8Array(12);
  p.set(ipv4ToBytes(srcIp), 0);
  p.set(ipv4ToBytes(dstIp), 4);
  p[9] = protocol;
  p[10] = length >> 8;
  p[11] = length & 0xff;
  return onesComplementSum(p);
}
