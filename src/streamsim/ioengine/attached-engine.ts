// An engine whose machine someone else created and runs on this thread: the debug adapter's
// target, booted with engineCmdline() and the content disk. The debugger owns the machine, so
// every DAP request reads it directly and a breakpoint in guest/delivery stops delivery where
// it stands. Its media leaves through this thread's sockets; the linkage runs on the machine's
// virtual clock, so nothing times out while the debugger holds the machine.
import type { Machine } from "../../vmm/machine";
import type { StopReason } from "../../vmm/stop-reason";
import type { DeliveryTarget, LatenessSummary } from "../delivery/backend";
import { makePacketSink } from "../delivery/packet-sink";
import { bindUdpPortPair, closeUdpPortPair, type UdpPortPair } from "../delivery/udp-port-pair";
import { EngineGateway } from "./engine-gateway";
import type { EngineLoad } from "./engine-messages";
import type { EngineEvents, EngineRuntime } from "./engine-runtime";
import { MediaRouter } from "./media-router";

const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export class AttachedEngine implements EngineRuntime {
  readonly stopped: Promise<StopReason>;
  private halting = false;
  private letGo: () => void = () => {};
  private readonly router: MediaRouter;
  private readonly gateway: EngineGateway;
  private last = { icount: 0, ns: 0, packets: 0, bytes: 0, late: 0 };

  private constructor(
    readonly machine: Machine,
    readonly bootId: number,
    private readonly mips: number,
    private readonly udp: UdpPortPair,
    events: EngineEvents,
  ) {
    this.stopped = new Promise<StopReason>((resolve) => (this.letGo = () => resolve({ kind: "paused" })));
    this.router = new MediaRouter((num, why) => events.streamFailed(num, why));
    this.gateway = new EngineGateway(machine.wire, {
      onControl: (d) => events.control(d),
      onMedia: (ip, port, frame, offset, length) => this.router.route(ip, port, frame, offset, length),
    });
    udp.rtp.on("message", () => {}); // clients' NAT punch packets
    udp.rtcp.on("message", (msg, rinfo) => events.rtcp(msg, rinfo.address));
  }

  static async attach(machine: Machine, bootId: number, o: { host: string; rtpPort: number; mips: number }, events: EngineEvents): Promise<AttachedEngine> {
    const udp = await bindUdpPortPair(o.host, o.rtpPort);
    udp.rtp.on("error", () => {});
    udp.rtcp.on("error", () => {});
    return new AttachedEngine(machine, bootId, o.mips, udp, events);
  }

  get ports(): [number, number] {
    return this.udp.ports;
  }

  get isHalting(): boolean {
    return this.halting;
  }

  clockMs(): number {
    return this.machine.nowNs / 1e6;
  }

  sendControl(d: Buffer): void {
    this.gateway.sendControl(d);
  }

  route(num: number, keys: number[], target: DeliveryTarget): void {
    this.router.add(num, keys, makePacketSink(target, this.udp.rtp, this.udp.rtcp, MAX_QUEUED_BYTES));
  }

  hold(num: number): void {
    this.router.hold(num);
  }

  release(num: number): void {
    this.router.release(num);
  }

  unroute(num: number): void {
    this.router.remove(num);
  }

  /** Busy ratio and instructions per packet since the last call (on the machine's virtual clock: its owner may hold it). */
  load(): EngineLoad | undefined {
    const icount = this.machine.icountNumber;
    const ns = this.machine.nowNs;
    const packets = this.router.sent;
    const dI = icount - this.last.icount;
    const dNs = ns - this.last.ns;
    const dP = packets - this.last.packets;
    const { sentBytes, lateOver5ms } = this.router;
    const bytes = sentBytes - this.last.bytes;
    const late = lateOver5ms - this.last.late;
    this.last = { icount, ns, packets, bytes: sentBytes, late: lateOver5ms };
    return {
      intervalMs: dNs / 1e6,
      busyRatio: dNs > 0 ? Math.min(1, dI / ((dNs * this.mips) / 1000)) : 0,
      packets: dP,
      bytes,
      lateOver5ms: late,
      instructionsPerPacket: dP ? dI / dP : 0,
      hostUsPerPacket: 0,
      threadBusyRatio: 0,
      wakeJitterUs: { p50: 0, p99: 0, max: 0 },
      breakdownUs: { guest: 0, send: 0, gc: 0, step: 0 },
      totalPackets: packets,
      totalInstructions: icount,
    };
  }

  sendLateness(num: number): LatenessSummary | undefined {
    return this.router.lateness().find((l) => l.num === num)?.lateness;
  }

  /** Lets go of the machine without destroying it. */
  async halt(): Promise<void> {
    if (this.halting) return;
    this.halting = true;
    this.gateway.close();
    closeUdpPortPair(this.udp);
    this.letGo();
  }
}
