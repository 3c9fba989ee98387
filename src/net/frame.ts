// Whole frames: builders for the frames tests and the stream server send (UDP over IPv4 over
// Ethernet, ARP), and a layered decoder that never throws, for wire tests and the DMA inspector.
import { BROADCAST_MAC, ZERO_MAC, type Ipv4Address, type MacAddress } from "./addresses";
import { ARP_OP, buildArpPacket, parseArp, type ArpPacket } from "./arp";
import { buildEthernetFrame, ETHERTYPE, parseEthernet, type EthernetFrame } from "./ethernet";
import { PacketError } from "./errors";
import { buildIpv4Packet, IP_PROTOCOL, parseIpv4, type Ipv4Packet } from "./ipv4";
import { buildUdpDatagram, parseUdp, type UdpDatagram } from "./udp";

export interface UdpFrameSpec {
  srcMac: MacAddress;
  dstMac: MacAddress;
  srcIp: Ipv4Address;
  dstIp: Ipv4Address;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  ttl?: number;
  identification?: number;
  /** Pad to the 60-byte Ethernet minimum. Default false. */
  pad?: boolean;
}

export function buildUdpFrame(spec: UdpFrameSpec): Uint8Array {
  const udp = buildUdpDatagram(spec);
  const ip = buildIpv4Packet({
    srcIp: spec.srcIp,
    dstIp: spec.dstIp,
    protocol: IP_PROTOCOL.udp,
    payload: udp,
    ...(spec.ttl !== undefined ? { ttl: spec.ttl } : {}),
    ...(spec.identification !== undefined ? { identification: spec.identification } : {}),
  });
  return buildEthernetFrame({ dstMac: spec.dstMac, srcMac: spec.srcMac, etherType: ETHERTYPE.ipv4, payload: ip, pad: spec.pad ?? false });
}

export interface ArpRequestSpec {
  srcMac: MacAddress;
  srcIp: Ipv4Address;
  /** The address being resolved. */
  targetIp: Ipv4Address;
  pad?: boolean;
}

/** A broadcast who-has request. */
export function buildArpRequest(spec: ArpRequestSpec): Uint8Array {
  const arp = buildArpPacket({ op: ARP_OP.request, senderMac: spec.srcMac, senderIp: spec.srcIp, targetMac: ZERO_MAC, targetIp: spec.targetIp });
  return buildEthernetFrame({ dstMac: BROADCAST_MAC, srcMac: spec.srcMac, etherType: ETHERTYPE.arp, payload: arp, pad: spec.pad ?? false });
}

export interface ArpReplySpec {
  srcMac: MacAddress;
  srcIp: Ipv4Address;
  dstMac: MacAddress;
  dstIp: Ipv4Address;
  pad?: boolean;
}

/** An is-at reply sent to the requester. */
export function buildArpReply(spec: ArpReplySpec): Uint8Array {
  const arp = buildArpPacket({ op: ARP_OP.reply, senderMac: spec.srcMac, senderIp: spec.srcIp, targetMac: spec.dstMac, targetIp: spec.dstIp });
  return buildEthernetFrame({ dstMac: spec.dstMac, srcMac: spec.srcMac, etherType: ETHERTYPE.arp, payload: arp, pad: spec.pad ?? false });
}

/** A frame decoded layer by layer. Layers above the first failure are absent. */
export interface DecodedFrame {
  ethernet?: EthernetFrame;
  arp?: ArpPacket;
  ipv4?: Ipv4Packet;
  udp?: UdpDatagram;
  /** Why decoding stopped early; absent when every recognised layer decoded. */
  error?: PacketError;
}

export interface ParseFrameOptions {
  /** Report a bad IPv4 header or UDP checksum as an error ("bad-checksum") instead of only
   * setting `checksumValid: false`. The failing layer is still included. Default false. */
  requireValidChecksums?: boolean;
}

/** Decode Ethernet, then ARP or IPv4, then UDP. Never throws. Unknown EtherTypes and IP
 * protocols are not errors: the decode simply stops at the last layer it knows. */
export function parseFrame(bytes: Uint8Array, options: ParseFrameOptions = {}): DecodedFrame {
  const strict = options.requireValidChecksums ?? false;
  const ethernet = parseEthernet(bytes);
  if (ethernet instanceof PacketError) return { error: ethernet };
  if (ethernet.etherType === ETHERTYPE.arp) {
    const arp = parseArp(ethernet.payload);
    return arp instanceof PacketError ? { ethernet, error: arp } : { ethernet, arp };
  }
  if (ethernet.etherType !== ETHERTYPE.ipv4) return { ethernet };

  const ipv4 = parseIpv4(ethernet.payload);
  if (ipv4 instanceof PacketError) return { ethernet, error: ipv4 };
  if (strict && !ipv4.checksumValid) {
    return { ethernet, ipv4, error: new PacketError("bad-checksum", "ipv4", `header checksum 0x${ipv4.headerChecksum.toString(16).padStart(4, "0")} does not verify`) };
  }
  if (ipv4.protocol !== IP_PROTOCOL.udp) return { ethernet, ipv4 };
  if (ipv4.moreFragments || ipv4.fragmentOffset !== 0) {
    return { ethernet, ipv4, error: new PacketError("unsupported", "ipv4", "fragmented packet: UDP is not decoded from fragments") };
  }

  const udp = parseUdp(ipv4.payload, ipv4.srcIp, ipv4.dstIp);
  if (udp instanceof PacketError) return { ethernet, ipv4, error: udp };
  if (strict && !udp.checksumValid) {
    return { ethernet, ipv4, udp, error: new PacketError("bad-checksum", "udp", `checksum 0x${udp.checksum.toString(16).padStart(4, "0")} does not verify against the pseudo-header`) };
  }
  return { ethernet, ipv4, udp };
}
