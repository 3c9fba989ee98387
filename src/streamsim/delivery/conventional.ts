// ConventionalDelivery: the single-OS baseline (what Darwin does on one machine). Node itself
// reads the media, paces RTP by the hint index on one shared scheduler, and sends it over UDP
// from one server socket pair or as interleaved frames in the RTSP connection.
import type { DeliveryBackend, DeliveryEvent, DeliveryStart, PlayPosition } from "./backend";
import { ConventionalStream } from "./conventional-stream";
import { MediaReader } from "./media-reader";
import { makePacketSink } from "./packet-sink";
import { readReceptionReports } from "./rtcp";
import { DeliveryScheduler } from "./scheduler";
import { bindUdpPortPair, closeUdpPortPair, type UdpPortPair } from "./udp-port-pair";

export interface ConventionalDeliveryOptions {
  /** address the RTP/RTCP sockets bind to; default 127.0.0.1 */
  host?: string;
  /** even RTP port, RTCP on the next; default 0 = any free pair */
  rtpPort?: number;
  /** declared capacity for admission control, bits/s; default 100 Mbit/s */
  capacityBps?: number;
  /** RTCP sender report interval; default 5 s */
  srIntervalSec?: number;
  /** how often "stats" events are emitted per stream; default 1 s */
  statsIntervalSec?: number;
  /** interleaved streams whose connection queues more than this are failed; default 4 MiB */
  maxQueuedBytes?: number;
}

export class UnknownStreamError extends Error {
  constructor(id: string) {
    super(`no delivery stream ${JSON.stringify(id)}`);
    this.name = "UnknownStreamError";
  }
}

export class ConventionalDelivery implements DeliveryBackend {
  readonly kind = "conventional";
  readonly capacityBps: number;
  private readonly scheduler = new DeliveryScheduler();
  private readonly streams = new Map<string, ConventionalStream>();
  private readonly listeners = new Set<(e: DeliveryEvent) => void>();
  private readonly tick: NodeJS.Timeout;
  private available = true;
  private closed = false;

  private constructor(
    private readonly udp: UdpPortPair,
    private readonly opts: ConventionalDeliveryOptions,
  ) {
    this.capacityBps = opts.capacityBps ?? 100e6;
    udp.rtp.on("error", () => {}); // per-datagram errors (e.g. ICMP unreachable) are not fatal
    udp.rtcp.on("error", () => {});
    udp.rtp.on("message", () => {}); // clients' NAT "punch" packets: nothing to do
    udp.rtcp.on("message", (msg, rinfo) => this.onRtcp(msg, rinfo.address));
    this.tick = setInterval(() => this.onTick(), (opts.statsIntervalSec ?? 1) * 1000);
    this.tick.unref();
  }

  static async open(opts: ConventionalDeliveryOptions = {}): Promise<ConventionalDelivery> {
    const udp = await bindUdpPortPair(opts.host ?? "127.0.0.1", opts.rtpPort ?? 0);
    return new ConventionalDelivery(udp, opts);
  }

  isUp(): boolean {
    return this.available && !this.closed;
  }

  /** Operator switch: when down, the server refuses new work with 503; running streams go on. */
  setAvailable(up: boolean): void {
    if (this.available === up) return;
    this.available = up;
    this.emit({ type: "availability", up: this.isUp() });
  }

  udpServerPorts(): [number, number] {
    return this.udp.ports;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  subscribe(listener: (e: DeliveryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: DeliveryEvent): void {
    for (const l of this.listeners) l(e);
  }

  private stream(id: string): ConventionalStream {
    const s = this.streams.get(id);
    if (!s) throw new UnknownStreamError(id);
    return s;
  }

  async start(p: DeliveryStart): Promise<PlayPosition> {
    if (this.closed) throw new Error("delivery backend is closed");
    if (this.streams.has(p.streamId)) throw new Error(`stream ${p.streamId} already started`);
    const sink = makePacketSink(p.target, this.udp.rtp, this.udp.rtcp, this.opts.maxQueuedBytes ?? 4 * 1024 * 1024);
    let stream: ConventionalStream | undefined;
    const reader = new MediaReader(
      p.content.mediaPath,
      p.content.index.records,
      () => stream?.dataReady(),
      (err) => stream && this.fail(stream, err.message),
    );
    stream = new ConventionalStream(p, reader, sink, {
      clock: this.scheduler.clock,
      wallAt: (t) => performance.timeOrigin + t,
      reschedule: (s) => this.scheduler.schedule(s),
      ended: (s) => {
        this.scheduler.remove(s);
        this.emitStats(s);
        this.emit({ type: "ended", streamId: s.id });
      },
      failed: (s, reason) => this.fail(s, reason),
    });
    this.streams.set(p.streamId, stream);
    stream.seek(p.fromSec, p.untilSec);
    return stream.resume();
  }

  private fail(s: ConventionalStream, reason: string): void {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    this.scheduler.remove(s);
    void s.close();
    this.emit({ type: "failed", streamId: s.id, reason });
  }

  async pause(streamId: string): Promise<number> {
    const s = this.stream(streamId);
    this.scheduler.remove(s);
    return s.pause();
  }

  async resume(streamId: string): Promise<PlayPosition> {
    return this.stream(streamId).resume();
  }

  async seek(streamId: string, toSec: number, untilSec?: number): Promise<PlayPosition> {
    return this.stream(streamId).seek(toSec, untilSec);
  }

  async stop(streamId: string): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) return;
    this.streams.delete(streamId);
    this.scheduler.remove(s);
    this.emitStats(s);
    await s.close();
  }

  private emitStats(s: ConventionalStream): void {
    this.emit({ type: "stats", streamId: s.id, stats: s.snapshot() });
  }

  private onTick(): void {
    const srMs = (this.opts.srIntervalSec ?? 5) * 1000;
    for (const s of this.streams.values()) {
      s.sendRtcp(false, srMs);
      this.emitStats(s);
    }
  }

  private onRtcp(msg: Buffer, from: string): void {
    for (const report of readReceptionReports(msg)) {
      for (const s of this.streams.values()) {
        // only the client the stream goes to may report on it
        if (s.ssrc === report.sourceSsrc && s.udpAddress === from) this.emit({ type: "receiverReport", streamId: s.id, report });
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    this.scheduler.close();
    const all = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(all.map((s) => s.close()));
    closeUdpPortPair(this.udp);
  }
}
