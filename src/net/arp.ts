// ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet only (hardware type 1, protocol 0x0800).
import { ipv4ToBytes, ipv4ToString, macToBytes, macToString, type Ipv4Address, type MacAddress } from "./addresses";
import { ETHERTYPE } from "./ethernet";
import { PacketError } from "./errors";

export const ARP_PACKET_LENGTH = 28;
export const ARP_HARDWARE_ETHERNET = 1;
export const ARP_OP = { request: 1, reply: 2 } as const;

export interface ArpPacket {
  /** 1 request, 2 reply (ARP_OP); other values are reported as they are. */
  op: number;
  senderMac: MacAddress;
  senderIp: Ipv4Address;
  targetMac: MacAddress;
  targetIp: Ipv4Address;
}

export function buildArpPacket(p: ArpPacket): Uint8Array {
  if (!Number.isInteger(p.op) || p.op < 0 || p.op > 0xffff) {
    throw new PacketError("invalid-argument", "arp", `opcode ${p.op} is not a 16-bit value`);
  }
  const b = new Uint8Array(ARP_PACKET_LENGTH);
  b[1] = ARP_HARDWARE_ETHERNET;
  b[2] = ETHERTYPE.ipv4 >> 8;
  b[3] = ETHERTYPE.ipv4 & 0xff;
  b[4] = 6;
  b[5] = 4;
  b[6] = p.op >> 8;
  b[7] = p.op & 0xff;
  b.set(macToBytes(p.senderMac), 8);
  b.set(ipv4ToBytes(p.senderIp), 14);
  b.set(macToBytes(p.targetMac), 18);
  b.set(ipv4ToBytes(p.targetIp), 24);
  return b;
}

export function parseArp(bytes: Uint8Array): ArpPacket | PacketError {
  if (bytes.length < ARP_PACKET_LENGTH) {
    return new PacketError("truncated", "arp", `packet of ${bytes.length} bytes is shorter than ${ARP_PACKET_LENGTH}`);
  }
  const htype = (bytes[0]! << 8) | bytes[1]!;
  const ptype = (bytes[2]! << 8) | bytes[3]!;
  if (htype !== ARP_HARDWARE_ETHERNET || ptype !== ETHERTYPE.ipv4 || bytes[4] !== 6 || bytes[5] !== 4) {
    return new PacketError("malformed", "arp", `hardware type ${htype}, protocol 0x${ptype.toString(16)}, address lengths ${bytes[4]}/${bytes[5]}: only Ethernet/IPv4 (1, 0x800, 6/4) is decoded`);
  }
  return {
    op: (bytes[6]! << 8) | bytes[7]!,
    senderMac: macToString(bytes, 8),
    senderIp: ipv4ToString(bytes, 14),
    targetMac: macToString(bytes, 18),
    targetIp: ipv4ToString(bytes, 24),
  };
}
