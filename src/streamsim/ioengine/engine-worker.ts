// The I/O engine's own thread: the analogue of the thesis's dedicated processor. It boots the
// engine's machine, paces it to wall-clock time, and bridges its NIC's wire to the host: the
// linkage's datagrams go to and from the main thread (which keeps RTSP, management and
// metrics), while the media the engine sends leaves through this thread's own UDP sockets, so
// a packet never waits for the main thread. Streams carried in an RTSP connection
// (interleaved) are the exception: their packets go to the main thread, batched per step.
import { PerformanceObserver } from "node:perf_hooks";
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { bindUdpPortPair, closeUdpPortPair, type UdpPortPair } from "../delivery/udp-port-pair";
import { udpSink, type PacketSink } from "../delivery/packet-sink";
import { EngineGateway } from "./engine-gateway";
import { EngineHost } from "./engine-host";
import type { EngineLoad, EngineWorkerInit, FromEngine, MediaTarget, ToEngine } from "./engine-messages";
import { decodeMessage, LinkageDecodeError, LinkType } from "./linkage-codec";
import { MediaRouter } from "./media-router";
import { Pacer } from "./pacer";
import { threadCpuMs } from "./thread-cpu";
import { raiseThreadPriority } from "./thread-priority";

const LOAD_REPORT_MS = 500;

const LINK_TYPE_NAMES = new Map<number, string>(Object.entries(LinkType).map(([name, code]) => [code, name]));

/** A linkage datagram to the engine as a recording's control event (what, not the bytes: those are the frame-in). */
function linkageNote(d: Uint8Array): Record<string, unknown> {
  const m = decodeMessage(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  if (m instanceof LinkageDecodeError) return { linkage: "undecodable", bytes: d.length };
  return { linkage: LINK_TYPE_NAMES.get(m.type) ?? `type ${m.type}`, seq: m.seq, bytes: d.length };
}

/** The engine's thread, once its machine is up. */
class EngineThread {
  private readonly router: MediaRouter;
  private readonly gateway: EngineGateway;
  private toMain: { num: number; rtcp: boolean; bytes: Uint8Array }[] = [];
  private readonly loadTimer: NodeJS.Timeout;
  private last = { at: performance.now(), awakeMs: 0, cpuMs: threadCpuMs(), packets: 0, bytes: 0, late: 0, icount: 0, runMs: 0, sendMs: 0, gcMs: 0 };
  private gcMs = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcMs += e.duration;
  });

  constructor(
    private readonly host: EngineHost,
    private readonly udp: UdpPortPair,
    private readonly pacer: Pacer,
    private readonly post: (m: FromEngine) => void,
    linkLoss: EngineWorkerInit["linkLoss"],
  ) {
    this.router = new MediaRouter((num, why) => this.post({ t: "failed", num, why }));
    this.gateway = new EngineGateway(host.machine.wire, {
      onControl: (d) => this.post({ t: "control", bytes: d }),
      onMedia: (ip, port, frame, offset, length) => this.router.route(ip, port, frame, offset, length),
      ...(linkLoss ? { loss: linkLoss } : {}),
    });
    udp.rtcp.on("message", (msg, rinfo) => this.post({ t: "rtcp", from: rinfo.address, bytes: msg }));
    udp.rtp.on("message", () => {}); // clients' NAT punch packets
    udp.rtp.on("error", () => {}); // per-datagram errors (e.g. ICMP unreachable) are not fatal
    udp.rtcp.on("error", () => {});
    this.loadTimer = setInterval(() => this.reportLoad(), LOAD_REPORT_MS);
    this.gc.observe({ entryTypes: ["gc"] });
  }

  handle(m: ToEngine): void {
    switch (m.t) {
      case "control":
        this.host.noteControl(() => linkageNote(m.bytes));
        this.gateway.sendControl(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
        return;
      case "route":
        this.router.add(m.num, m.keys, this.sinkFor(m.num, m.target));
        return;
      case "hold":
        this.router.hold(m.num);
        return;
      case "release":
        this.router.release(m.num);
        return;
      case "unroute":
        this.router.remove(m.num);
        return;
      case "halt":
        void this.host.halt();
        return;
    }
  }

  private sinkFor(num: number, target: MediaTarget): PacketSink {
    if (target.kind === "udp") return udpSink(target, this.udp.rtp, this.udp.rtcp);
    // the RTSP connection lives on the main thread: copy the datagram out of the frame
    return {
      why: "",
      sendRtp: (header, payload) => {
        this.toMain.push({ num, rtcp: false, bytes: Buffer.concat([header, payload]) });
        return true;
      },
      sendRtcp: (packet) => {
        this.toMain.push({ num, rtcp: true, bytes: Buffer.from(packet) });
        return true;
      },
      sendPacket: (rtcp, bytes, offset, length) => {
        this.toMain.push({ num, rtcp, bytes: bytes.slice(offset, offset + length) });
        return true;
      },
    };
  }

  /** After each step: the interleaved streams' packets, in one message. */
  flush(): void {
    if (!this.toMain.length) return;
    this.post({ t: "media", items: this.toMain });
    this.toMain = [];
  }

  private reportLoad(): void {
    const now = performance.now();
    const packets = this.router.sent;
    const icount = this.host.machine.icountNumber;
    const dPackets = packets - this.last.packets;
    // the thread's CPU time where /proc tells it (spinning included), else its time awake
    const cpuMs = threadCpuMs();
    const dAwake = cpuMs !== undefined && this.last.cpuMs !== undefined ? cpuMs - this.last.cpuMs : this.host.awakeMs - this.last.awakeMs;
    const load: EngineLoad = {
      intervalMs: now - this.last.at,
      busyRatio: this.host.busyRatio(),
      packets: dPackets,
      bytes: this.router.sentBytes - this.last.bytes,
      lateOver5ms: this.router.lateOver5ms - this.last.late,
      instructionsPerPacket: dPackets ? (icount - this.last.icount) / dPackets : 0,
      hostUsPerPacket: dPackets ? (dAwake * 1000) / dPackets : 0,
      threadBusyRatio: now > this.last.at ? dAwake / (now - this.last.at) : 0,
      wakeJitterUs: this.pacer.jitter(),
      breakdownUs: this.breakdown(dPackets),
      totalPackets: packets,
      totalInstructions: icount,
    };
    this.last = {
      at: now,
      awakeMs: this.host.awakeMs,
      cpuMs,
      packets,
      bytes: this.router.sentBytes,
      late: this.router.lateOver5ms,
      icount,
      runMs: this.host.runMs,
      sendMs: this.router.sendMs,
      gcMs: this.gcMs,
    };
    this.post({ t: "load", load, lateness: this.router.lateness() });
  }

  /** Wall µs per packet in each part of a step since the last report (sends happen inside the run). */
  private breakdown(packets: number): EngineLoad["breakdownUs"] {
    if (!packets) return { guest: 0, send: 0, gc: 0, step: 0 };
    const us = (ms: number) => (ms * 1000) / packets;
    const run = this.host.runMs - this.last.runMs;
    const send = this.router.sendMs - this.last.sendMs;
    const awake = this.host.awakeMs - this.last.awakeMs;
    return { guest: us(run - send), send: us(send), gc: us(this.gcMs - this.last.gcMs), step: us(awake - run) };
  }

  close(): void {
    this.gc.disconnect();
    clearInterval(this.loadTimer);
    this.gateway.close();
    closeUdpPortPair(this.udp);
  }
}

async function main(): Promise<void> {
  const { init, port } = workerData as { init: EngineWorkerInit; port: MessagePort };
  const post = (m: FromEngine) => parentPort!.postMessage(m);
  const log = (msg: string) => post({ t: "log", msg });
  let udp: UdpPortPair;
  try {
    udp = await bindUdpPortPair(init.host, init.rtpPort);
  } catch (e) {
    if (init.rtpPort === 0) throw e;
    // the previous incarnation's ports are taken meanwhile: any pair will do (new SETUPs learn it)
    log(`media ports ${init.rtpPort}-${init.rtpPort + 1} are taken (${(e as Error).message}); binding others`);
    udp = await bindUdpPortPair(init.host, 0);
  }
  const pacer = new Pacer(init.wake);
  let thread: EngineThread | undefined;
  const drain = () => {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) thread?.handle(m.message as ToEngine);
  };
  const host = await EngineHost.boot({
    kernel: init.kernel,
    disk: init.disk,
    bootId: init.bootId,
    pacer,
    beforeStep: drain,
    afterStep: () => thread?.flush(),
    ...(init.capacityMbps !== undefined ? { capacityMbps: init.capacityMbps } : {}),
    ...(init.testControl ? { testControl: true } : {}),
    ...(init.hz !== undefined ? { hz: init.hz } : {}),
    ...(init.mips !== undefined ? { mips: init.mips } : {}),
    ...(init.memoryMB !== undefined ? { memoryMB: init.memoryMB } : {}),
    ...(init.console ? { console: (line: string) => post({ t: "console", line }) } : {}),
    ...(init.record
      ? {
          record: {
            ...init.record,
            onSaved: (r) =>
              log(
                `recorded the I/O engine (boot ${init.bootId}): ${r.path}, ${((r.end.ns - r.start.ns) / 1e9).toFixed(1)} virtual s, ${r.events} events, ${r.checkpoints} checkpoints; check it with: lvmm replay ${r.path} --verify`,
              ),
            onError: (e) => log(`recording the I/O engine (boot ${init.bootId}) failed: ${e.message} (segments already written stay in ${init.record!.path}.ring); it runs on unrecorded`),
          },
        }
      : {}),
  });
  thread = new EngineThread(host, udp, pacer, post, init.linkLoss);
  const nice = raiseThreadPriority();
  post({ t: "ready", ports: udp.ports, nice });
  const stop = await host.stopped;
  thread.close();
  if (!host.isHalting) host.machine.destroy();
  post({ t: "stopped", stop });
  port.close();
}

main().catch((e: unknown) => {
  parentPort!.postMessage({ t: "stopped", stop: { kind: "host-request", detail: `the engine's thread failed: ${e instanceof Error ? e.message : String(e)}` } } satisfies FromEngine);
});
