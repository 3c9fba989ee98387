// IoEngineDelivery: the DeliveryBackend of the split architecture. Delivery control and the
// delivery driver run on the I/O engine (the guest OS on the LVMM); this side only starts and
// stops delivery scheduling over the linkage, forwards the engine's RTP/RTCP to the clients'
// UDP ports (or into their RTSP connections), reads RTCP receiver reports, and watches the
// engine: when it crashes or stops answering, the backend is down (the front answers 503)
// until a rebooted engine says HELLO again.
import { join } from "node:path";
import type { Machine } from "../../vmm/machine";
import { buildContentDisk, type ContentDisk, type DiskEntry } from "../ioengine/contentDisk";
import { EngineGateway } from "../ioengine/engineGateway";
import { EngineHost, newBootId, type EngineRecording } from "../ioengine/engineHost";
import {
  decodeMessage,
  decodePosition,
  decodeStreamStats,
  encodeHelloAck,
  encodeSeek,
  encodeStart,
  encodeStreamId,
  ipv4ToNumber,
  LinkageDecodeError,
  LinkError,
  LINK_NO_UNTIL,
  LinkType,
  type EngineStats,
  type EngineStreamStats,
  type Hello,
} from "../ioengine/linkageCodec";
import { LinkageClient, LinkageCommandError, type LinkageClientStats } from "../ioengine/linkageClient";
import type { DeliveryBackend, DeliveryEvent, DeliveryStart, DeliveryStats, PlayPosition } from "./backend";
import { UnknownStreamError } from "./conventional";
import { makePacketSink, type PacketSink } from "./packetSink";
import { NTP_UNIX_OFFSET_SEC, readReceptionReports } from "./rtcp";
import { bindUdpPortPair, closeUdpPortPair, type UdpPortPair } from "./udpPortPair";

const CLOCK_HZ = 90_000;
const GATEWAY_IP = "10.0.2.2";
const RELAY_PORT_BASE = 20000;
const RELAY_PORT_END = 30000;

export interface IoEngineDeliveryOptions {
  /** the guest kernel (guest/build/ioengine.elf) */
  kernel: Uint8Array;
  /** every item here is written onto the engine's disk at each boot */
  contentDir: string;
  /** address the RTP/RTCP sockets bind to; default 127.0.0.1 */
  host?: string;
  rtpPort?: number;
  /** capacity the engine declares in HELLO (Mbit/s); default: the engine's own (100) */
  capacityMbps?: number;
  /** let the engine accept FAULT (tests) */
  testControl?: boolean;
  hz?: number;
  mips?: number;
  /** wait for HELLO this long per boot; default 30 s */
  bootTimeoutMs?: number;
  /** the engine is presumed dead after this long without a datagram from it; default 3 s */
  livenessMs?: number;
  /** reboot after a crash; default true, after rebootDelayMs (default 200) */
  autoReboot?: boolean;
  rebootDelayMs?: number;
  maxQueuedBytes?: number;
  rtoMs?: number;
  maxTries?: number;
  /** test hook: drop linkage datagrams */
  linkLoss?: { toEngine: number; fromEngine: number; seed?: number };
  log?: (msg: string) => void;
  /** the guest's console lines */
  console?: (line: string) => void;
  /**
   * Record each incarnation of the engine: a ring of at least the last `windowNs` virtual ns,
   * written to `${dir}/engine-<bootId>.lvmmrec` when it stops (replayable with `lvmm replay`).
   */
  record?: { dir: string; windowNs: number; checkpointIntervalNs?: number };
}

/**
 * For a machine someone else created and runs (the debug adapter's target): booted with
 * engineCmdline({bootId, ...}) and `disk.image` as its IDE primary master. The backend never
 * runs, reboots or destroys it; the linkage's timeouts and the liveness watchdog run on the
 * machine's virtual clock, so while its owner holds it (a breakpoint) delivery simply stands
 * still and the engine is not declared down.
 */
export interface IoEngineAttachOptions extends Omit<IoEngineDeliveryOptions, "kernel" | "contentDir" | "autoReboot" | "rebootDelayMs" | "hz" | "testControl" | "capacityMbps" | "console"> {
  machine: Machine;
  bootId: number;
  /** the disk the machine was created with (buildContentDisk(contentDir)) */
  disk: ContentDisk;
  /** the machine's MIPS (for the busy ratio); default 500 */
  mips?: number;
}

export interface EngineStatus {
  up: boolean;
  bootId: number;
  boots: number;
  hello: Hello | undefined;
  /** the latest STATS report (all parts merged) */
  stats: EngineStats | undefined;
  /** guest CPU busy ratio over the last report interval (from the VMM's instruction count) */
  busyRatio: number;
  link: LinkageClientStats | undefined;
  strayMedia: number;
}

interface Incarnation {
  bootId: number;
  host: EngineHost;
  gateway: EngineGateway;
  link: LinkageClient;
  hello?: Hello;
  down: boolean;
}

interface EngineStream {
  id: string;
  num: number;
  p: DeliveryStart;
  sink: PacketSink;
  keys: number[];
  failed: boolean;
  /**
   * Media held while a START/RESUME/SEEK is being answered: the engine sends its first packets
   * in the same instant as its ACK, and a client must see the PLAY reply first (ffmpeg drops
   * interleaved data that precedes it).
   */
  gate?: { rtcp: boolean; payload: Buffer }[];
}
const GATE_MAX = 4096;

const routeKey = (ip: number, port: number) => ip * 65536 + port;

const LINK_TYPE_NAMES = new Map<number, string>(Object.entries(LinkType).map(([name, code]) => [code, name]));

/** A linkage datagram to the engine as a recording's control event (what, not the bytes: those are the frame-in). */
function linkageNote(d: Buffer): Record<string, unknown> {
  const m = decodeMessage(d);
  if (m instanceof LinkageDecodeError) return { linkage: "undecodable", bytes: d.length };
  return { linkage: LINK_TYPE_NAMES.get(m.type) ?? `type ${m.type}`, seq: m.seq, bytes: d.length };
}

export class IoEngineDelivery implements DeliveryBackend {
  readonly kind = "ioengine";
  private capacity = 0;
  private up = false;
  private closed = false;
  private current: Incarnation | undefined;
  private boots = 0;
  private nextNum = 0;
  private nextRelay = RELAY_PORT_BASE;
  private strayMedia = 0;
  private busy = 0;
  private lastStats: EngineStats | undefined;
  private partial: EngineStats | undefined;
  private rebootTimer: NodeJS.Timeout | undefined;
  private readonly streams = new Map<string, EngineStream>();
  private readonly byNum = new Map<number, EngineStream>();
  private readonly routes = new Map<number, { s: EngineStream; rtcp: boolean }>();
  private readonly listeners = new Set<(e: DeliveryEvent) => void>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly log: (m: string) => void;
  private attached: IoEngineAttachOptions | undefined;
  private helloWait: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: IoEngineDeliveryOptions,
    private readonly udp: UdpPortPair,
    private disk: { image: Uint8Array; entries: Map<string, DiskEntry> },
  ) {
    this.log = o.log ?? ((m) => console.error(`[ioengine] ${m}`));
    udp.rtp.on("error", () => {});
    udp.rtcp.on("error", () => {});
    udp.rtp.on("message", () => {}); // clients' NAT punch packets
    udp.rtcp.on("message", (msg, rinfo) => this.onRtcp(msg, rinfo.address));
    this.watchdog = setInterval(() => this.checkLiveness(), 250);
    this.watchdog.unref();
  }

  /** Writes the content disk, boots the engine and waits for its HELLO. */
  static async open(o: IoEngineDeliveryOptions): Promise<IoEngineDelivery> {
    const log = o.log ?? ((m: string) => console.error(`[ioengine] ${m}`));
    const disk = await buildContentDisk(o.contentDir, log);
    const udp = await bindUdpPortPair(o.host ?? "127.0.0.1", o.rtpPort ?? 0);
    const d = new IoEngineDelivery(o, udp, { image: disk.image, entries: new Map(disk.entries.map((e) => [e.name, e])) });
    try {
      await d.boot();
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }

  /**
   * Runs delivery on a machine its owner created and runs (IoEngineAttachOptions). Returns at
   * once; the backend is up (isUp()) once the engine says HELLO, i.e. once the owner runs the
   * machine far enough; whenUp() waits for that.
   */
  static async attach(o: IoEngineAttachOptions): Promise<IoEngineDelivery> {
    const udp = await bindUdpPortPair(o.host ?? "127.0.0.1", o.rtpPort ?? 0);
    const d = new IoEngineDelivery({ ...o, kernel: new Uint8Array(0), contentDir: "", autoReboot: false }, udp, {
      image: o.disk.image,
      entries: new Map(o.disk.entries.map((e) => [e.name, e])),
    });
    d.attached = o;
    d.helloWait = d.boot();
    d.helloWait.catch((err: unknown) => {
      if (!d.closed) d.log((err as Error).message);
    });
    return d;
  }

  /** Resolves when the engine has said HELLO (rejects if it stopped or the backend closed first). */
  whenUp(): Promise<void> {
    return this.helloWait;
  }

  /** The clock the linkage and the watchdog use (ms): the attached machine's virtual time, else the wall clock. */
  private clockMs(): number {
    return this.attached ? this.attached.machine.nowNs / 1e6 : performance.now();
  }

  get capacityBps(): number {
    return this.capacity;
  }

  isUp(): boolean {
    return this.up && !this.closed;
  }

  udpServerPorts(): [number, number] {
    return this.udp.ports;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /** Content names on the engine's disk. */
  get diskContent(): string[] {
    return [...this.disk.entries.keys()];
  }

  status(): EngineStatus {
    return {
      up: this.isUp(),
      bootId: this.current?.bootId ?? 0,
      boots: this.boots,
      hello: this.current?.hello,
      stats: this.lastStats,
      busyRatio: this.busy,
      link: this.current?.link.stats,
      strayMedia: this.strayMedia,
    };
  }

  /** The machine the engine runs on now (for tests and the debugger). */
  get machine() {
    return this.current?.host.machine;
  }

  subscribe(listener: (e: DeliveryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: DeliveryEvent): void {
    for (const l of this.listeners) l(e);
  }

  // ---- engine lifecycle -----------------------------------------------------------------

  private async boot(): Promise<void> {
    const a = this.attached;
    ++this.boots;
    const bootId = a ? a.bootId : newBootId(this.boots);
    const host = a ? EngineHost.attach(a.machine, a.mips ?? 500) : await EngineHost.boot({
      kernel: this.o.kernel,
      disk: this.disk.image,
      bootId,
      ...(this.o.capacityMbps !== undefined ? { capacityMbps: this.o.capacityMbps } : {}),
      ...(this.o.testControl ? { testControl: true } : {}),
      ...(this.o.hz !== undefined ? { hz: this.o.hz } : {}),
      ...(this.o.mips !== undefined ? { mips: this.o.mips } : {}),
      ...(this.o.console ? { console: this.o.console } : {}),
      ...(this.o.record ? { record: this.recordingFor(bootId) } : {}),
    });
    let hello: () => void = () => {};
    const helloSeen = new Promise<void>((resolve) => (hello = resolve));
    let gateway: EngineGateway | undefined;
    const inc: Incarnation = { bootId, host, down: false } as Incarnation;
    inc.link = new LinkageClient({
      boot: bootId,
      send: (d) => {
        host.noteControl(() => linkageNote(d));
        gateway?.sendControl(d);
      },
      ...(a ? { clock: () => this.clockMs() } : {}),
      ...(this.o.rtoMs !== undefined ? { rtoMs: this.o.rtoMs } : {}),
      ...(this.o.maxTries !== undefined ? { maxTries: this.o.maxTries } : {}),
      onHello: (h) => {
        const wallUs = BigInt(Math.round((Date.now() + NTP_UNIX_OFFSET_SEC * 1000) * 1000));
        if (!inc.hello) {
          inc.hello = h;
          hello();
        }
        return encodeHelloAck(wallUs - h.engineNowUs);
      },
      onNotice: (type, payload) => this.onNotice(inc, type, payload),
      onStats: (s) => this.onStats(inc, s),
      onUnresponsive: (why) => this.engineDown(inc, why),
    });
    gateway = inc.gateway = new EngineGateway(host.machine, {
      onControl: (d) => inc.link.receive(d),
      onMedia: (ip, port, payload) => this.route(ip, port, payload),
      ...(this.o.linkLoss ? { loss: this.o.linkLoss } : {}),
    });
    this.current = inc;
    void host.stopped.then((stop) => {
      if (!host.isHalting) this.engineDown(inc, `the guest stopped: ${stop.kind}${"detail" in stop ? ` (${stop.detail})` : ""}`);
    });
    // an attached machine runs when its owner says so (a debugger may sit at the entry): no timeout
    const timeoutMs = this.o.bootTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      helloSeen.then(() => "hello" as const),
      host.stopped.then(() => "stopped" as const),
      ...(a ? [] : [new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)))]),
    ]);
    clearTimeout(timer);
    if (outcome !== "hello" || inc.down || this.closed) {
      const why = outcome === "timeout" ? `no HELLO within ${timeoutMs} ms` : "the guest stopped during boot";
      this.engineDown(inc, why, false);
      throw new Error(`the I/O engine did not come up: ${why}`);
    }
    const h = inc.hello!;
    this.capacity = h.capacityBps;
    this.up = true;
    this.log(`I/O engine up (boot ${bootId}): ${h.contentItems} content items, ${h.maxStreams} stream slots, ${h.capacityBps / 1e6} Mbit/s, disk ${h.dma ? "bus-master DMA" : "PIO"}, ${h.hz} Hz`);
    this.emit({ type: "availability", up: true });
  }

  private recordingFor(bootId: number): EngineRecording {
    const r = this.o.record!;
    const path = join(r.dir, `engine-${bootId}.lvmmrec`);
    return {
      path,
      windowNs: r.windowNs,
      ...(r.checkpointIntervalNs !== undefined ? { checkpointIntervalNs: r.checkpointIntervalNs } : {}),
      onSaved: (m) => this.log(`recorded the I/O engine (boot ${bootId}): ${m.path}, ${((m.end.ns - m.start.ns) / 1e9).toFixed(1)} virtual s, ${m.events} events, ${m.checkpoints} checkpoints; check it with: lvmm replay ${m.path} --verify`),
      onError: (e) => this.log(`recording the I/O engine (boot ${bootId}) failed: ${e.message} (segments already written stay in ${path}.ring); it runs on unrecorded`),
    };
  }

  /**
   * The owner of an attached machine says its guest can no longer run (a triple fault, HLT with
   * interrupts off): the machine's clock stands still, so the watchdog would never notice.
   * The engine is down from here: running streams fail, new requests get 503.
   */
  guestDied(why: string): void {
    if (this.current && !this.current.down) this.engineDown(this.current, why, false);
  }

  private engineDown(inc: Incarnation, why: string, reboot = true): void {
    if (inc.down) return;
    inc.down = true;
    inc.link.close("the I/O engine went down");
    inc.gateway.close();
    void inc.host.halt();
    if (this.current !== inc) return;
    const wasUp = this.up;
    this.up = false;
    if (!this.closed) this.log(`I/O engine down (boot ${inc.bootId}): ${why}`);
    for (const s of [...this.streams.values()]) {
      this.forget(s);
      this.emit({ type: "failed", streamId: s.id, reason: `the I/O engine went down: ${why}` });
    }
    if (wasUp) this.emit({ type: "availability", up: false });
    if (reboot && !this.closed && this.o.autoReboot !== false) this.scheduleReboot(this.o.rebootDelayMs ?? 200);
  }

  private scheduleReboot(delayMs: number): void {
    clearTimeout(this.rebootTimer);
    this.rebootTimer = setTimeout(() => {
      if (this.closed) return;
      this.boot().catch((err: unknown) => {
        this.log(`reboot failed: ${(err as Error).message}; retrying`);
        if (!this.closed) this.scheduleReboot(Math.min(5000, delayMs * 2));
      });
    }, delayMs);
  }

  private checkLiveness(): void {
    const inc = this.current;
    if (!inc || inc.down || !this.up) return;
    const silentMs = this.clockMs() - inc.link.lastHeardMs;
    if (silentMs > (this.o.livenessMs ?? 3000)) this.engineDown(inc, `no datagram from the engine for ${Math.round(silentMs)} ms`);
  }

  /** Test control: makes the engine crash on purpose (it must be booted with testControl). */
  async injectFault(name: string): Promise<void> {
    const inc = this.requireUp();
    await inc.link.command(LinkType.FAULT, Buffer.from(name, "latin1"));
  }

  // ---- engine -> node ------------------------------------------------------------------

  private toStats(e: EngineStreamStats): DeliveryStats {
    return {
      rtpPackets: e.packets,
      rtpBytes: e.bytes,
      rtcpPackets: e.rtcpPackets,
      positionSec: e.positionTicks / CLOCK_HZ,
      lateness: { count: e.packets, sumSec: e.lateSumUs / 1e6, maxSec: e.lateMaxUs / 1e6, buckets: [...e.lateBuckets] },
    };
  }

  private onStats(inc: Incarnation, s: EngineStats): void {
    if (inc !== this.current) return;
    if (s.part === 0) this.partial = { ...s, entries: [...s.entries] };
    else if (this.partial) this.partial.entries.push(...s.entries);
    if (s.part === s.parts - 1 && this.partial) {
      this.busy = inc.host.busyRatio();
      this.lastStats = this.partial;
      this.partial = undefined;
    }
    for (const e of s.entries) {
      const st = this.byNum.get(e.streamId);
      if (st) this.emit({ type: "stats", streamId: st.id, stats: this.toStats(e) });
    }
  }

  private onNotice(inc: Incarnation, type: number, payload: Buffer): void {
    if (inc !== this.current || payload.length < 76) return;
    const e = decodeStreamStats(payload);
    const s = this.byNum.get(e.streamId);
    if (!s) return;
    this.emit({ type: "stats", streamId: s.id, stats: this.toStats(e) });
    if (type === LinkType.ENDED) this.emit({ type: "ended", streamId: s.id });
    else this.fail(s, "the engine could not read the content from its disk");
  }

  private route(dstIp: number, dstPort: number, payload: Buffer): void {
    const r = this.routes.get(routeKey(dstIp, dstPort));
    if (!r) {
      this.strayMedia++;
      return;
    }
    if (r.s.failed) return;
    if (r.s.gate) {
      if (r.s.gate.length < GATE_MAX) r.s.gate.push({ rtcp: r.rtcp, payload });
      return;
    }
    this.deliver(r.s, r.rtcp, payload);
  }

  private deliver(s: EngineStream, rtcp: boolean, payload: Buffer): void {
    if (s.failed) return;
    const ok = rtcp ? s.sink.sendRtcp(payload) : s.sink.sendRtp(payload.subarray(0, 12), payload.subarray(12));
    if (!ok) this.fail(s, s.sink.why);
  }

  /** Runs a command with the stream's media held until its reply has gone out. */
  private async gated<T>(s: EngineStream, command: () => Promise<T>): Promise<T> {
    s.gate ??= [];
    try {
      return await command();
    } finally {
      setImmediate(() => {
        const held = s.gate ?? [];
        s.gate = undefined;
        for (const m of held) this.deliver(s, m.rtcp, m.payload);
      });
    }
  }


  private onRtcp(msg: Buffer, from: string): void {
    for (const report of readReceptionReports(msg)) {
      for (const s of this.streams.values()) {
        const t = s.p.target;
        if (t.kind === "udp" && s.p.ssrc === report.sourceSsrc && t.address === from) this.emit({ type: "receiverReport", streamId: s.id, report });
      }
    }
  }

  private fail(s: EngineStream, reason: string): void {
    if (s.failed) return;
    s.failed = true;
    this.emit({ type: "failed", streamId: s.id, reason });
  }

  // ---- node -> engine (the DeliveryBackend interface) -----------------------------------

  private requireUp(): Incarnation {
    if (this.closed) throw new Error("delivery backend is closed");
    const inc = this.current;
    if (!inc || inc.down || !this.up) throw new Error("the I/O engine is down");
    return inc;
  }

  private stream(id: string): EngineStream {
    const s = this.streams.get(id);
    if (!s) throw new UnknownStreamError(id);
    return s;
  }

  private allocRelayPort(): number {
    for (let i = 0; i < (RELAY_PORT_END - RELAY_PORT_BASE) / 2; i++) {
      const port = this.nextRelay;
      this.nextRelay = port + 2 >= RELAY_PORT_END ? RELAY_PORT_BASE : port + 2;
      const gw = ipv4ToNumber(GATEWAY_IP);
      if (!this.routes.has(routeKey(gw, port))) return port;
    }
    throw new Error("no free relay port for an interleaved stream");
  }

  private forget(s: EngineStream): void {
    this.streams.delete(s.id);
    this.byNum.delete(s.num);
    for (const k of s.keys) if (this.routes.get(k)?.s === s) this.routes.delete(k);
  }

  async start(p: DeliveryStart): Promise<PlayPosition> {
    const inc = this.requireUp();
    if (this.streams.has(p.streamId)) throw new Error(`stream ${p.streamId} already started`);
    const entry = this.disk.entries.get(p.content.name);
    if (!entry) throw new Error(`content ${p.content.name} is not on the I/O engine's disk: restart the server to rewrite it`);
    if (entry.mediaCrc32 !== p.content.index.header.mediaCrc32) throw new Error(`content ${p.content.name} changed since the I/O engine's disk was written: restart the server`);
    let ip: number;
    let rtpPort: number;
    let rtcpPort: number;
    if (p.target.kind === "udp") {
      ip = ipv4ToNumber(p.target.address.replace(/^::ffff:/, ""));
      rtpPort = p.target.rtpPort;
      rtcpPort = p.target.rtcpPort;
    } else {
      ip = ipv4ToNumber(GATEWAY_IP);
      rtpPort = this.allocRelayPort();
      rtcpPort = rtpPort + 1;
    }
    const s: EngineStream = {
      id: p.streamId,
      num: ++this.nextNum,
      p,
      sink: makePacketSink(p.target, this.udp.rtp, this.udp.rtcp, this.o.maxQueuedBytes ?? 4 * 1024 * 1024),
      keys: [routeKey(ip, rtpPort), routeKey(ip, rtcpPort)],
      failed: false,
    };
    this.streams.set(s.id, s);
    this.byNum.set(s.num, s);
    this.routes.set(s.keys[0]!, { s, rtcp: false });
    this.routes.set(s.keys[1]!, { s, rtcp: true });
    try {
      const ack = await this.gated(s, () => inc.link.command(
        LinkType.START,
        encodeStart({
          streamId: s.num,
          contentId: entry.id,
          clientIp: ip,
          rtpPort,
          rtcpPort,
          ssrc: p.ssrc,
          seq: p.seqBase,
          scaleX100: 100,
          rtpTimeBase: p.rtpTimeBase,
          fromTicks: Math.round(p.fromSec * CLOCK_HZ),
          untilTicks: p.untilSec === undefined ? LINK_NO_UNTIL : Math.round(p.untilSec * CLOCK_HZ),
          cname: p.cname,
        }),
      ));
      return this.position(ack);
    } catch (err) {
      this.forget(s);
      throw err;
    }
  }

  private position(ack: Buffer): PlayPosition {
    const pos = decodePosition(ack);
    if (pos instanceof LinkageDecodeError) throw new Error(`I/O engine: ${pos.why}`);
    return { seq: pos.seq, rtptime: pos.rtptime, startSec: pos.ticks / CLOCK_HZ };
  }

  async pause(streamId: string): Promise<number> {
    const s = this.stream(streamId);
    const ack = await this.requireUp().link.command(LinkType.PAUSE, encodeStreamId(s.num));
    return this.position(ack).startSec;
  }

  async resume(streamId: string): Promise<PlayPosition> {
    const s = this.stream(streamId);
    const inc = this.requireUp();
    return this.position(await this.gated(s, () => inc.link.command(LinkType.RESUME, encodeStreamId(s.num))));
  }

  async seek(streamId: string, toSec: number, untilSec?: number): Promise<PlayPosition> {
    const s = this.stream(streamId);
    const until = untilSec === undefined ? LINK_NO_UNTIL : Math.round(untilSec * CLOCK_HZ);
    const inc = this.requireUp();
    return this.position(await this.gated(s, () => inc.link.command(LinkType.SEEK, encodeSeek(s.num, Math.round(toSec * CLOCK_HZ), until))));
  }

  async stop(streamId: string): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) return;
    this.forget(s);
    const inc = this.current;
    if (!inc || inc.down || !this.up) return; // the engine's state went with it
    try {
      const ack = await inc.link.command(LinkType.STOP, encodeStreamId(s.num));
      if (ack.length >= 76) this.emit({ type: "stats", streamId, stats: this.toStats(decodeStreamStats(ack)) });
    } catch (err) {
      if (err instanceof LinkageCommandError && err.code === LinkError.NO_STREAM) return;
      if (!inc.down) this.log(`STOP of ${streamId}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    clearTimeout(this.rebootTimer);
    const inc = this.current;
    if (inc && !inc.down) {
      inc.down = true;
      inc.link.close("server shutting down");
      inc.gateway.close();
      await inc.host.halt();
    }
    this.streams.clear();
    this.byNum.clear();
    this.routes.clear();
    closeUdpPortPair(this.udp);
  }
}

