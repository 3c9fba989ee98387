// Bridges UDP ports on 127.0.0.1 to guest UDP services over the NIC wire: a datagram sent to
// a host port becomes an Ethernet/IPv4/UDP frame on the wire, and the guest's UDP replies go
// back to whoever sent to that port.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { buildUdpFrame, macToString, parseFrame } from "../net";
import type { Wire } from "../vmm/wire";
import type { UdpBridgeRule } from "./launch-arguments";

/** The host's side of the guest's link, as QEMU's user network presents it. */
const HOST_MAC = "52:54:00:12:35:02";
const HOST_IP = "10.0.2.2";

export class UdpBridge {
  private readonly sockets: Socket[] = [];
  /** Guest-side source port of a bridged client -> where its replies go. */
  private readonly clients = new Map<number, { socket: Socket; remote: RemoteInfo }>();
  private nextPort = 40000;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly wire: Wire,
    private readonly guestMac: string,
    private readonly guestIp: string,
  ) {
    this.unsubscribe = wire.onTransmit((frame) => this.fromGuest(frame));
  }

  /** Binds every rule's host port; rejects with the port that could not be bound. */
  static async open(wire: Wire, guestMac: Uint8Array, guestIp: string, rules: UdpBridgeRule[]): Promise<UdpBridge> {
    const b = new UdpBridge(wire, macToString(guestMac), guestIp);
    try {
      for (const r of rules) await b.bind(r);
    } catch (e) {
      b.close();
      throw e;
    }
    return b;
  }

  private bind(rule: UdpBridgeRule): Promise<void> {
    const socket = createSocket("udp4");
    this.sockets.push(socket);
    socket.on("message", (msg, remote) => this.toGuest(socket, rule, msg, remote));
    return new Promise((resolve, reject) => {
      socket.once("error", (e) => reject(new Error(`udpBridge: cannot listen on 127.0.0.1:${rule.hostPort} (${e.message})`)));
      socket.bind(rule.hostPort, "127.0.0.1", () => resolve());
    });
  }

  private toGuest(socket: Socket, rule: UdpBridgeRule, msg: Buffer, remote: RemoteInfo): void {
    let port = [...this.clients.entries()].find(([, c]) => c.remote.port === remote.port && c.remote.address === remote.address && c.socket === socket)?.[0];
    if (port === undefined) {
      port = this.nextPort++;
      this.clients.set(port, { socket, remote });
    }
    try {
      const frame = buildUdpFrame({ srcMac: HOST_MAC, dstMac: this.guestMac, srcIp: HOST_IP, dstIp: this.guestIp, srcPort: port, dstPort: rule.guestPort, payload: new Uint8Array(msg), pad: true });
      this.wire.inject(frame);
    } catch {
      // Oversized datagrams cannot become one frame; drop them as a router would.
    }
  }

  private fromGuest(frame: Uint8Array): void {
    const f = parseFrame(frame);
    if (!f.udp || !f.ipv4 || f.ipv4.dstIp !== HOST_IP) return;
    const c = this.clients.get(f.udp.dstPort);
    if (c) c.socket.send(f.udp.payload, c.remote.port, c.remote.address);
  }

  close(): void {
    this.unsubscribe();
    for (const s of this.sockets) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
  }
}
