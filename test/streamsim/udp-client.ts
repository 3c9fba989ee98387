// A test client's RTP/RTCP UDP ports: records what arrives.
import type { Socket } from "node:dgram";
import { bindUdpPortPair } from "../../src/streamsim/delivery/udp-port-pair";

export interface RtpSeen {
  seq: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  bytes: number;
  at: number;
}

export class UdpClient {
  readonly rtp: RtpSeen[] = [];
  readonly rtcp: Buffer[] = [];
  private constructor(
    readonly rtpSock: Socket,
    readonly rtcpSock: Socket,
    readonly ports: [number, number],
  ) {
    rtpSock.on("message", (m) => {
      if (m.length >= 12) this.rtp.push({ seq: m.readUInt16BE(2), timestamp: m.readUInt32BE(4), ssrc: m.readUInt32BE(8), payloadType: m[1]! & 0x7f, bytes: m.length, at: Date.now() });
    });
    rtcpSock.on("message", (m) => this.rtcp.push(m));
  }

  static async open(): Promise<UdpClient> {
    const p = await bindUdpPortPair("127.0.0.1");
    return new UdpClient(p.rtp, p.rtcp, p.ports);
  }

  get transport(): string {
    return `RTP/AVP;unicast;client_port=${this.ports[0]}-${this.ports[1]}`;
  }

  /** sends an RTCP packet to the server's RTCP port */
  sendRtcp(packet: Buffer, serverRtcpPort: number): Promise<void> {
    return new Promise((resolve) => this.rtcpSock.send(packet, serverRtcpPort, "127.0.0.1", () => resolve()));
  }

  close(): void {
    for (const s of [this.rtpSock, this.rtcpSock]) {
      try {
        s.close();
      } catch {
        // closed
      }
    }
  }
}

/** An RTCP RR (RFC 3550 §6.4.2) with one report block. */
export function receiverReport(reporter: number, source: number, cumulativeLost: number, jitter: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x81;
  b[1] = 201;
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(reporter, 4);
  b.writeUInt32BE(source >>> 0, 8);
  b[12] = 64; // fraction lost 0.25
  b.writeIntBE(cumulativeLost, 13, 3);
  b.writeUInt32BE(1000, 16);
  b.writeUInt32BE(jitter, 20);
  return b;
}
