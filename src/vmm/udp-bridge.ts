// Bridges the guest's NIC to real UDP sockets on 127.0.0.1. The host side of the virtual wire
// plays the gateway (10.0.2.2 by default): it answers the guest's ARP, turns datagrams arriving
// on forwarded host ports into frames for the guest, and sends the guest's UDP frames for the
// gateway's address out of real sockets. Only loopback is ever bound or sent to.
import { createSocket, type Socket } from "node:dgram";
import { ARP_OP, buildArpReply, buildUdpFrame, macToString, parseFrame, type Ipv4Address, type MacAddress } from "../net";
import { DEFAULT_MAC } from "./devices/e1000-pci";
import type { Machine } from "./machine";

export interface UdpForward {
  /** Port bound on 127.0.0.1 (0: any free port; see `boundPorts`). */
  hostPort: number;
  /** Guest UDP port the datagrams go to. */
  guestPort: number;
}

export interface UdpBridgeOptions {
  forwards: UdpForward[];
  guestIp?: Ipv4Address;
  guestMac?: MacAddress;
  /** The gateway address the guest sees for everything on the host side. */
  hostIp?: Ipv4Address;
  hostMac?: MacAddress;
}

export interface UdpBridgeStats {
  toGuest: number;
  fromGuest: number;
  arpReplies: number;
  /** Guest frames for the host side that were not UDP/ARP or not for the gateway. */
  ignored: number;
}

const LOOPBACK = "127.0.0.1";
/** Virtual source ports the bridge uses for flows from host clients into the guest. */
const FLOW_PORT_BASE = 49152;

interface Flow {
  socket: Socket;
  address: string;
  port: number;
}

export class UdpBridge {
  readonly stats: UdpBridgeStats = { toGuest: 0, fromGuest: 0, arpReplies: 0, ignored: 0 };
  private readonly sockets: Socket[] = [];
  private readonly flowsByVirtualPort = new Map<number, Flow>();
  private readonly virtualPortByClient = new Map<string, number>();
  private nextVirtualPort = FLOW_PORT_BASE;
  private outbound: Socket | undefined;
  private readonly stopTx: () => void;
  private readonly o: Required<Omit<UdpBridgeOptions, "forwards">>;

  private constructor(
    private readonly machine: Machine,
    opts: UdpBridgeOptions,
  ) {
    this.o = {
      guestIp: opts.guestIp ?? "10.0.2.15",
      guestMac: opts.guestMac ?? macToString(DEFAULT_MAC),
      hostIp: opts.hostIp ?? "10.0.2.2",
      hostMac: opts.hostMac ?? "52:54:00:aa:bb:cc",
    };
    this.stopTx = machine.wire.onTransmit((frame) => this.fromGuest(frame));
  }

  /** Binds every forward on 127.0.0.1 and starts bridging. */
  static async open(machine: Machine, opts: UdpBridgeOptions): Promise<UdpBridge> {
    const bridge = new UdpBridge(machine, opts);
    try {
      for (const f of opts.forwards) await bridge.bind(f);
    } catch (e) {
      bridge.close();
      throw e;
    }
    return bridge;
  }

  /** The host ports actually bound, in the order of the forwards. */
  get boundPorts(): number[] {
    return this.sockets.map((s) => s.address().port);
  }

  private bind(f: UdpForward): Promise<void> {
    if (!Number.isInteger(f.guestPort) || f.guestPort < 1 || f.guestPort > 65535) {
      return Promise.reject(new RangeError(`guestPort must be 1..65535, got ${f.guestPort}`));
    }
    return new Promise((resolve, reject) => {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.on("message", (msg, rinfo) => this.toGuest(s, f.guestPort, msg, rinfo.address, rinfo.port));
      s.bind(f.hostPort, LOOPBACK, () => {
        s.off("error", reject);
        s.on("error", () => undefined); // a client's ICMP unreachable must not kill the bridge
        this.sockets.push(s);
        resolve();
      });
    });
  }

  private toGuest(socket: Socket, guestPort: number, payload: Buffer, address: string, port: number): void {
    const key = `${address}:${port}>${guestPort}`;
    let vport = this.virtualPortByClient.get(key);
    if (vport === undefined) {
      vport = this.nextVirtualPort++;
      if (this.nextVirtualPort > 65535) this.nextVirtualPort = FLOW_PORT_BASE;
      this.virtualPortByClient.set(key, vport);
    }
    this.flowsByVirtualPort.set(vport, { socket, address, port });
    const frame = buildUdpFrame({
      srcMac: this.o.hostMac,
      dstMac: this.o.guestMac,
      srcIp: this.o.hostIp,
      dstIp: this.o.guestIp,
      srcPort: vport,
      dstPort: guestPort,
      payload: new Uint8Array(payload),
    });
    this.stats.toGuest++;
    this.machine.wire.inject(frame);
  }

  private fromGuest(frame: Uint8Array): void {
    const f = parseFrame(frame);
    if (f.arp) {
      if (f.arp.op === ARP_OP.request && f.arp.targetIp === this.o.hostIp) {
        this.stats.arpReplies++;
        this.machine.wire.inject(buildArpReply({ srcMac: this.o.hostMac, srcIp: this.o.hostIp, dstMac: f.arp.senderMac, dstIp: f.arp.senderIp }));
      }
      return;
    }
    if (!f.udp || !f.ipv4 || f.ipv4.dstIp !== this.o.hostIp || f.error) {
      this.stats.ignored++;
      return;
    }
    this.stats.fromGuest++;
    const flow = this.flowsByVirtualPort.get(f.udp.dstPort);
    const data = Buffer.from(f.udp.payload);
    if (flow) {
      flow.socket.send(data, flow.port, flow.address);
    } else {
      // Not a reply to a client flow: the guest sends to a host port (e.g. RTP to a player).
      this.outbound ??= createSocket("udp4").on("error", () => undefined);
      this.outbound.send(data, f.udp.dstPort, LOOPBACK);
    }
  }

  close(): void {
    this.stopTx();
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
    this.outbound?.close();
    this.outbound = undefined;
  }
}
