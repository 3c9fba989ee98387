// The host end of the engine's cable, playing the gateway 10.0.2.2: answers the engine's ARP,
// carries linkage datagrams (UDP port 5000 both ways), and hands every other UDP datagram the
// engine sends through the gateway (RTP and RTCP for clients) to `onMedia` by destination
// address and port. Media frames are parsed on a fast path (fixed offsets: the engine sends
// IPv4 without options); anything else goes through the full decoder.
import { ARP_OP, buildArpReply, buildUdpFrame, ETHERTYPE, macToString, parseFrame } from "../../net";
import { DEFAULT_MAC } from "../../vmm/devices/e1000-pci";
import { LINK_PORT, numberToIpv4 } from "./linkage-codec";

/** The engine's cable as the gateway sees it: the machine's wire, or a socket to QEMU's NIC. */
export interface FrameWire {
  inject(frame: Uint8Array): void;
  onTransmit(fn: (frame: Uint8Array) => void): () => void;
}

export interface EngineGatewayOptions {
  guestIp?: string;
  guestMac?: string;
  hostIp?: string;
  hostMac?: string;
  onControl(datagram: Buffer): void;
  /**
   * A UDP datagram from the engine for dstIp:dstPort (not the linkage): `length` bytes at
   * `offset` in `frame`, the frame as the engine sent it (not copied out: the media path makes
   * no object per packet it need not).
   */
  onMedia(dstIp: number, dstPort: number, frame: Uint8Array, offset: number, length: number): void;
  /** test hook: drop this fraction of linkage datagrams, each direction (seeded, repeatable) */
  loss?: { toEngine: number; fromEngine: number; seed?: number };
}

export interface EngineGatewayStats {
  controlIn: number;
  controlOut: number;
  controlDroppedIn: number;
  controlDroppedOut: number;
  media: number;
  arpReplies: number;
  ignored: number;
}

const ETH_HLEN = 14;
const IP_HLEN = 20;
const UDP_HLEN = 8;

export class EngineGateway {
  readonly stats: EngineGatewayStats = { controlIn: 0, controlOut: 0, controlDroppedIn: 0, controlDroppedOut: 0, media: 0, arpReplies: 0, ignored: 0 };
  private readonly o: Required<Omit<EngineGatewayOptions, "loss">> & Pick<EngineGatewayOptions, "loss">;
  private readonly off: () => void;
  private rng: number;

  constructor(
    private readonly wire: FrameWire,
    opts: EngineGatewayOptions,
  ) {
    this.o = { guestIp: "10.0.2.15", guestMac: macToString(DEFAULT_MAC), hostIp: "10.0.2.2", hostMac: "52:54:00:aa:bb:cc", ...opts };
    this.rng = (opts.loss?.seed ?? 0x2545f491) >>> 0 || 1;
    this.off = wire.onTransmit((frame) => this.fromEngine(frame));
  }

  private drop(fraction: number | undefined): boolean {
    if (!fraction) return false;
    let x = this.rng; // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 2 ** 32 < fraction;
  }

  /** Sends a linkage datagram to the engine's control port. */
  sendControl(payload: Buffer): void {
    if (this.drop(this.o.loss?.toEngine)) {
      this.stats.controlDroppedOut++;
      return;
    }
    this.stats.controlOut++;
    this.wire.inject(
      buildUdpFrame({
        srcMac: this.o.hostMac,
        dstMac: this.o.guestMac,
        srcIp: this.o.hostIp,
        dstIp: this.o.guestIp,
        srcPort: LINK_PORT,
        dstPort: LINK_PORT,
        payload,
      }),
    );
  }

  private fromEngine(frame: Uint8Array): void {
    const b = frame;
    if (b.length >= ETH_HLEN + IP_HLEN + UDP_HLEN && u16(b, 12) === ETHERTYPE.ipv4 && b[ETH_HLEN] === 0x45 && b[ETH_HLEN + 9] === 17) {
      const ipLen = u16(b, ETH_HLEN + 2);
      const dstIp = u16(b, ETH_HLEN + 16) * 65536 + u16(b, ETH_HLEN + 18);
      const u = ETH_HLEN + IP_HLEN;
      const dstPort = u16(b, u + 2);
      const udpLen = u16(b, u + 4);
      if (udpLen < UDP_HLEN || u + udpLen > b.length || IP_HLEN + udpLen > ipLen) {
        this.stats.ignored++;
        return;
      }
      if (dstPort === LINK_PORT && numberToIpv4(dstIp) === this.o.hostIp) {
        if (this.drop(this.o.loss?.fromEngine)) {
          this.stats.controlDroppedIn++;
          return;
        }
        this.stats.controlIn++;
        this.o.onControl(Buffer.from(b.buffer, b.byteOffset + u + UDP_HLEN, udpLen - UDP_HLEN));
        return;
      }
      this.stats.media++;
      this.o.onMedia(dstIp, dstPort, b, u + UDP_HLEN, udpLen - UDP_HLEN);
      return;
    }
    const f = parseFrame(frame);
    if (f.arp && f.arp.op === ARP_OP.request && f.arp.targetIp === this.o.hostIp) {
      this.stats.arpReplies++;
      this.wire.inject(buildArpReply({ srcMac: this.o.hostMac, srcIp: this.o.hostIp, dstMac: f.arp.senderMac, dstIp: f.arp.senderIp }));
      return;
    }
    this.stats.ignored++;
  }

  close(): void {
    this.off();
  }
}

/** Big-endian u16 at `at` (the frame is a plain Uint8Array view: no Buffer made for it). */
function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}
