// Ethernet II framing (IEEE 802.3 clause 3 with an EtherType). Frames carry no FCS: NICs add
// and strip it (the e1000 guest runs with RCTL.SECRC and TX IFCS).
import { macToBytes, macToString, type MacAddress } from "./addresses";
import { PacketError } from "./errors";

export const ETHERNET_HEADER_LENGTH = 14;
/** Shortest frame on the wire without FCS; shorter frames are padded by the sender. */
export const ETHERNET_MIN_FRAME_LENGTH = 60;
export const ETHERNET_MTU = 1500;

export const ETHERTYPE = { ipv4: 0x0800, arp: 0x0806, vlan: 0x8100, ipv6: 0x86dd } as const;

export interface EthernetFrame {
  dstMac: MacAddress;
  srcMac: MacAddress;
  etherType: number;
  /** A view into the input bytes, not a copy. May include padding after the upper-layer packet. */
  payload: Uint8Array;
}

export interface EthernetFrameSpec {
  dstMac: MacAddress;
  srcMac: MacAddress;
  etherType: number;
  payload: Uint8Array;
  /** Pad with zeros to the 60-byte minimum, as a NIC would. Default false. */
  pad?: boolean;
}

export function buildEthernetFrame(spec: EthernetFrameSpec): Uint8Array {
  if (spec.payload.length > ETHERNET_MTU) {
    throw new PacketError("invalid-argument", "ethernet", `payload of ${spec.payload.length} bytes exceeds the ${ETHERNET_MTU}-byte MTU`);
  }
  if (!Number.isInteger(spec.etherType) || spec.etherType < 0x0600 || spec.etherType > 0xffff) {
    throw new PacketError("invalid-argument", "ethernet", `EtherType ${spec.etherType} is not in 0x0600..0xffff`);
  }
  const length = ETHERNET_HEADER_LENGTH + spec.payload.length;
  const frame = new Uint8Array(spec.pad ? Math.max(length, ETHERNET_MIN_FRAME_LENGTH) : length);
  frame.set(macToBytes(spec.dstMac), 0);
  frame.set(macToBytes(spec.srcMac), 6);
  frame[12] = spec.etherType >> 8;
  frame[13] = spec.etherType & 0xff;
  frame.set(spec.payload, ETHERNET_HEADER_LENGTH);
  return frame;
}

export function parseEthernet(bytes: Uint8Array): EthernetFrame | PacketError {
  if (bytes.length < ETHERNET_HEADER_LENGTH) {
    return new PacketError("truncated", "ethernet", `frame of ${bytes.length} bytes is shorter than the ${ETHERNET_HEADER_LENGTH}-byte header`);
  }
  const etherType = (bytes[12]! << 8) | bytes[13]!;
  if (etherType < 0x0600) {
    return new PacketError("malformed", "ethernet", `type/length field 0x${etherType.toString(16)} is an 802.3 length, not an Ethernet II EtherType`);
  }
  return {
    dstMac: macToString(bytes, 0),
    srcMac: macToString(bytes, 6),
    etherType,
    payload: bytes.subarray(ETHERNET_HEADER_LENGTH),
  };
}
