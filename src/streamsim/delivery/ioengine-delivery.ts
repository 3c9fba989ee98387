// IoEngineDelivery: the DeliveryBackend of the split architecture. Delivery control and the
// delivery driver run on the I/O engine (the guest OS on the LVMM, on its own thread); this
// side only starts and stops delivery scheduling over the linkage, tells the engine's runtime
// where each stream's media goes, reads RTCP receiver reports, and watches the engine: when it
// crashes, stops answering or its thread dies, the backend is down (the front answers 503)
// until a rebooted engine says HELLO again. Its lifecycle is one state at a time (EngineState).
import { join } from "node:path";
import type { Machine } from "../../vmm/machine";
import { buildContentDisk, type ContentDisk, type DiskEntry } from "../ioengine/content-disk";
import { AttachedEngine } from "../ioengine/attached-engine";
import type { EngineLoad } from "../ioengine/engine-messages";
import type { EngineEvents, EngineRuntime } from "../ioengine/engine-runtime";
import { newBootId } from "../ioengine/engine-host";
import {
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
} from "../ioengine/linkage-codec";
import { LinkageClient, LinkageCommandError, type LinkageClientStats } from "../ioengine/linkage-client";
import { MeasuredCapacity, type CapacityEstimate } from "../ioengine/measured-capacity";
import { routeKey } from "../ioengine/media-router";
import { WorkerEngine } from "../ioengine/worker-engine";
import type { DeliveryBackend, DeliveryEvent, DeliveryStart, DeliveryStats, PlayPosition } from "./backend";
import { UnknownStreamError } from "./conventional";
import { NTP_UNIX_OFFSET_SEC, readReceptionReports } from "./rtcp";

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
  /** admit against the capacity measured on this machine (default), not only the declared one */
  measuredAdmission?: boolean;
  /** this engine's place in a pool (keeps boot ids distinct between engines booted together) */
  engineIndex?: number;
  /** an RTCP packet that reached this engine's port but is about no stream of its own (a pool's other engines) */
  rtcpElsewhere?: (msg: Buffer, from: string) => void;
}

/**
 * For a machine someone else created and runs (the debug adapter's target): booted with
 * engineCmdline({bootId, ...}) and `disk.image` as its IDE primary master. The backend never
 * runs, reboots or destroys it; the linkage's timeouts and the liveness watchdog run on the
 * machine's virtual clock, so while its owner holds it (a breakpoint) delivery simply stands
 * still and the engine is not declared down.
 */
export interface IoEngineAttachOptions extends Pick<IoEngineDeliveryOptions, "host" | "rtpPort" | "bootTimeoutMs" | "livenessMs" | "rtoMs" | "maxTries" | "log"> {
  machine: Machine;
  bootId: number;
  /** the disk the machine was created with (buildContentDisk(contentDir)) */
  disk: ContentDisk;
  /** the machine's MIPS (for the busy ratio); default 500 */
  mips?: number;
}

/** Where the engine's machine comes from: booted by us on its own thread, or someone else's on this one. */
type EngineSource = { kind: "owned"; o: IoEngineDeliveryOptions } | { kind: "attached"; o: IoEngineAttachOptions };

export interface EngineStatus {
  up: boolean;
  bootId: number;
  boots: number;
  hello: Hello | undefined;
  /** the latest STATS report (all parts merged) */
  stats: EngineStats | undefined;
  /** guest CPU busy ratio over the last report interval (instructions run outside HLT over those possible) */
  busyRatio: number;
  /** the engine's measured cost (its thread's report) */
  load: EngineLoad | undefined;
  /** the admission limit and what it rests on */
  admission: CapacityEstimate | undefined;
  link: LinkageClientStats | undefined;
  strayMedia: number;
}

interface Incarnation {
  bootId: number;
  rt: EngineRuntime;
  link: LinkageClient;
  hello?: Hello;
  /** owned engines: the admission limit measured on this machine */
  capacity?: MeasuredCapacity;
  /** linkage commands sent up to the last load report */
  commandsAtLoad?: number;
}

/**
 * The engine's lifecycle, one state at a time: booting (waiting for HELLO), up, down (a reboot
 * may be scheduled), closed. Only an incarnation that is `booting` or `up` gets commands.
 */
type EngineState =
  { kind: "booting"; inc: Incarnation } | { kind: "up"; inc: Incarnation } | { kind: "down"; inc: Incarnation | undefined; why: string; reboot: NodeJS.Timeout | undefined } | { kind: "closed" };

interface EngineStream {
  id: string;
  num: number;
  p: DeliveryStart;
  failed: boolean;
  /** interleaved: the gateway port the engine sends this stream's media to */
  relayPort?: number;
}

export class IoEngineDelivery implements DeliveryBackend {
  readonly kind = "ioengine";
  private capacity = 0;
  private state: EngineState = { kind: "down", inc: undefined, why: "not booted yet", reboot: undefined };
  private boots = 0;
  private nextNum = 0;
  private nextRelay = RELAY_PORT_BASE;
  private busy = 0;
  private lastStats: EngineStats | undefined;
  private partial: EngineStats | undefined;
  /** the media ports of the latest incarnation: a rebooted engine binds the same ones */
  private ports: [number, number] | undefined;
  private readonly streams = new Map<string, EngineStream>();
  private readonly byNum = new Map<number, EngineStream>();
  private readonly listeners = new Set<(e: DeliveryEvent) => void>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly log: (m: string) => void;
  private helloWait: Promise<void> = Promise.resolve();

  private constructor(
    private readonly source: EngineSource,
    private disk: { image: Uint8Array; entries: Map<string, DiskEntry> },
  ) {
    this.log = source.o.log ?? ((m) => console.error(`[ioengine] ${m}`));
    this.watchdog = setInterval(() => this.checkLiveness(), 250);
    this.watchdog.unref();
  }

  /** Writes the content disk, boots the engine on its own thread and waits for its HELLO. */
  static async open(o: IoEngineDeliveryOptions): Promise<IoEngineDelivery> {
    const log = o.log ?? ((m: string) => console.error(`[ioengine] ${m}`));
    const disk = await buildContentDisk(o.contentDir, log);
    const d = new IoEngineDelivery({ kind: "owned", o }, { image: disk.image, entries: new Map(disk.entries.map((e) => [e.name, e])) });
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
    const d = new IoEngineDelivery({ kind: "attached", o }, { image: o.disk.image, entries: new Map(o.disk.entries.map((e) => [e.name, e])) });
    d.helloWait = d.boot();
    d.helloWait.catch((err: unknown) => {
      if (d.state.kind !== "closed") d.log((err as Error).message);
    });
    return d;
  }

  /** Resolves when the engine has said HELLO (rejects if it stopped or the backend closed first). */
  whenUp(): Promise<void> {
    return this.helloWait;
  }

  /** What admission reserves against: the engine's declared capacity, or less where measured. */
  get capacityBps(): number {
    return this.current?.capacity?.estimate().bps ?? this.capacity;
  }

  isUp(): boolean {
    return this.state.kind === "up";
  }

  udpServerPorts(): [number, number] | undefined {
    return this.ports;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /** Content names on the engine's disk. */
  get diskContent(): string[] {
    return [...this.disk.entries.keys()];
  }

  private get current(): Incarnation | undefined {
    return this.state.kind === "closed" ? undefined : this.state.inc;
  }

  status(): EngineStatus {
    const inc = this.current;
    return {
      up: this.isUp(),
      bootId: inc?.bootId ?? 0,
      boots: this.boots,
      hello: inc?.hello,
      stats: this.lastStats,
      busyRatio: this.busy,
      load: inc?.rt.load(),
      admission: inc?.capacity?.estimate(),
      link: inc?.link.stats,
      strayMedia: 0,
    };
  }

  /** The engine's cost and pacing, for /metrics (Prometheus text lines). */
  metricsLines(): string[] {
    const l = this.current?.rt.load();
    if (!l) return [];
    const a = this.current?.capacity?.estimate();
    const g = (name: string, help: string, v: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`];
    return [
      ...g("lvmm_engine_up", "1 while the I/O engine accepts streams.", this.isUp() ? 1 : 0),
      ...g("lvmm_engine_guest_busy_ratio", "Guest instructions run outside HLT over those the virtual CPU could run (last interval).", l.busyRatio),
      ...g("lvmm_engine_thread_busy_ratio", "The engine thread's CPU time (running the machine, sending, pacing) over wall time (last interval).", l.threadBusyRatio),
      ...g("lvmm_engine_guest_instructions_per_packet", "Guest instructions per datagram the engine sent (last interval).", l.instructionsPerPacket),
      ...g("lvmm_engine_host_us_per_packet", "Host CPU microseconds on the engine's thread per datagram sent (last interval).", l.hostUsPerPacket),
      `# HELP lvmm_engine_packet_us Wall microseconds per packet on the engine's thread, by part (last interval): guest (the guest and its devices), send (UDP), gc, step (the rest of each pacing step).`,
      `# TYPE lvmm_engine_packet_us gauge`,
      ...Object.entries(l.breakdownUs).map(([part, us]) => `lvmm_engine_packet_us{part="${part}"} ${us}`),
      ...(this.current?.rt instanceof WorkerEngine
        ? g("lvmm_engine_thread_nice", "The nice value the engine's thread runs at (negative: ahead of ordinary work; 0 where raising it is not permitted).", this.current.rt.nice)
        : []),
      ...g("lvmm_engine_pacer_wake_late_p99_us", "How late the engine's pacer woke, p99 over the last interval (microseconds).", l.wakeJitterUs.p99),
      ...(a
        ? [
            "# HELP lvmm_engine_admission_limit_bps The engine's admission limit, bits/s; basis: declared (HELLO), measured (its cost per packet) or deadline-misses.",
            "# TYPE lvmm_engine_admission_limit_bps gauge",
            `lvmm_engine_admission_limit_bps{basis="${a.basis}"} ${a.bps}`,
          ]
        : []),
      ...(a?.usPerPacket !== undefined ? g("lvmm_engine_marginal_us_per_packet", "Measured marginal host cost of one more packet on the engine's thread, µs.", a.usPerPacket) : []),
      `# HELP lvmm_engine_packets_total Datagrams the engine sent.`,
      `# TYPE lvmm_engine_packets_total counter`,
      `lvmm_engine_packets_total ${l.totalPackets}`,
    ];
  }

  subscribe(listener: (e: DeliveryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: DeliveryEvent): void {
    for (const l of this.listeners) l(e);
  }

  // ---- engine lifecycle -----------------------------------------------------------------

  /** Starts the engine's runtime: its own thread (owned), or the owner's machine (attached). */
  private async startRuntime(bootId: number, events: EngineEvents): Promise<EngineRuntime> {
    const s = this.source;
    if (s.kind === "attached") {
      return AttachedEngine.attach(s.o.machine, bootId, { host: s.o.host ?? "127.0.0.1", rtpPort: s.o.rtpPort ?? 0, mips: s.o.mips ?? 500 }, events);
    }
    const o = s.o;
    return WorkerEngine.start(
      bootId,
      {
        kernel: o.kernel,
        disk: this.disk.image,
        bootId,
        host: o.host ?? "127.0.0.1",
        rtpPort: this.ports?.[0] ?? o.rtpPort ?? 0,
        ...(o.capacityMbps !== undefined ? { capacityMbps: o.capacityMbps } : {}),
        ...(o.testControl ? { testControl: true } : {}),
        ...(o.hz !== undefined ? { hz: o.hz } : {}),
        ...(o.mips !== undefined ? { mips: o.mips } : {}),
        ...(o.record
          ? {
              record: {
                path: join(o.record.dir, `engine-${bootId}.lvmmrec`),
                windowNs: o.record.windowNs,
                ...(o.record.checkpointIntervalNs !== undefined ? { checkpointIntervalNs: o.record.checkpointIntervalNs } : {}),
              },
            }
          : {}),
        ...(o.linkLoss ? { linkLoss: o.linkLoss } : {}),
      },
      events,
    );
  }

  private async boot(): Promise<void> {
    const attached = this.source.kind === "attached" ? this.source.o : undefined;
    ++this.boots;
    const bootId = this.source.kind === "attached" ? this.source.o.bootId : newBootId(this.boots + 100 * (this.source.o.engineIndex ?? 0));
    let hello: () => void = () => {};
    const helloSeen = new Promise<void>((resolve) => (hello = resolve));
    const o = this.source.o;
    // the incarnation is filled in as soon as its runtime exists; events before that cannot come
    const inc = { bootId } as Incarnation;
    const rt = await this.startRuntime(bootId, {
      control: (d) => inc.link?.receive(d),
      rtcp: (msg, from) => this.onRtcp(msg, from),
      streamFailed: (num, why) => {
        const s = this.byNum.get(num);
        if (s) this.fail(s, why);
      },
      ...(this.source.kind === "owned" && this.source.o.console ? { console: this.source.o.console } : {}),
      log: this.log,
      load: (l) => {
        const commands = inc.link ? inc.link.stats.commands : 0;
        inc.capacity?.update(l, l.intervalMs / 1000, this.lastStats?.deadlineMisses, commands - (inc.commandsAtLoad ?? commands));
        inc.commandsAtLoad = commands;
      },
    });
    inc.rt = rt;
    this.ports = rt.ports;
    inc.link = new LinkageClient({
      boot: bootId,
      send: (d) => rt.sendControl(d),
      ...(attached ? { clock: () => rt.clockMs() } : {}),
      ...(o.rtoMs !== undefined ? { rtoMs: o.rtoMs } : {}),
      ...(o.maxTries !== undefined ? { maxTries: o.maxTries } : {}),
      onHello: (h) => {
        const wallUs = BigInt(Math.round((Date.now() + NTP_UNIX_OFFSET_SEC * 1000) * 1000));
        if (!inc.hello) {
          inc.hello = h;
          hello();
        }
        return encodeHelloAck(wallUs - h.engineNowUs);
      },
      onNotice: (type, payload) => this.onNotice(inc, type, payload),
      onStats: (st) => this.onStats(inc, st),
      onUnresponsive: (why) => this.engineDown(inc, why),
    });
    if (this.state.kind === "closed") {
      await rt.halt();
      throw new Error("the I/O engine did not come up: the backend closed");
    }
    this.state = { kind: "booting", inc };
    void rt.stopped.then((stop) => {
      if (!rt.isHalting) this.engineDown(inc, `the guest stopped: ${stop.kind}${"detail" in stop ? ` (${stop.detail})` : ""}`);
    });
    // an attached machine runs when its owner says so (a debugger may sit at the entry): no timeout
    const timeoutMs = this.source.kind === "owned" ? (this.source.o.bootTimeoutMs ?? 30_000) : undefined;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      helloSeen.then(() => "hello" as const),
      rt.stopped.then(() => "stopped" as const),
      ...(timeoutMs !== undefined ? [new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)))] : []),
    ]);
    clearTimeout(timer);
    if (outcome !== "hello" || this.state.kind !== "booting" || this.state.inc !== inc) {
      const why = outcome === "timeout" ? `no HELLO within ${timeoutMs} ms` : "the guest stopped during boot";
      this.engineDown(inc, why, false);
      throw new Error(`the I/O engine did not come up: ${why}`);
    }
    const h = inc.hello!;
    this.capacity = h.capacityBps;
    if (this.source.kind === "owned" && this.source.o.measuredAdmission !== false) inc.capacity = new MeasuredCapacity(h.capacityBps);
    this.state = { kind: "up", inc };
    this.log(
      `I/O engine up (boot ${bootId}${rt instanceof WorkerEngine ? `, on its own thread${rt.nice < 0 ? ` at nice ${rt.nice}` : ""}` : ""}): ${h.contentItems} content items, ${h.maxStreams} stream slots, ${h.capacityBps / 1e6} Mbit/s, disk ${h.dma ? "bus-master DMA" : "PIO"}, ${h.hz} Hz`,
    );
    this.emit({ type: "availability", up: true });
  }

  /**
   * The owner of an attached machine says its guest can no longer run (a triple fault, HLT with
   * interrupts off): the machine's clock stands still, so the watchdog would never notice.
   * The engine is down from here: running streams fail, new requests get 503.
   */
  guestDied(why: string): void {
    const inc = this.current;
    if (inc && (this.state.kind === "booting" || this.state.kind === "up")) this.engineDown(inc, why, false);
  }

  /** An incarnation went down: its streams fail, and (owned) a new one boots after a delay. */
  private engineDown(inc: Incarnation, why: string, reboot = true): void {
    const st = this.state;
    if ((st.kind !== "booting" && st.kind !== "up") || st.inc !== inc) return;
    inc.link.close("the I/O engine went down");
    void inc.rt.halt();
    const wasUp = st.kind === "up";
    this.state = { kind: "down", inc, why, reboot: undefined };
    this.log(`I/O engine down (boot ${inc.bootId}): ${why}`);
    for (const s of [...this.streams.values()]) {
      this.forget(s);
      this.emit({ type: "failed", streamId: s.id, reason: `the I/O engine went down: ${why}` });
    }
    if (wasUp) this.emit({ type: "availability", up: false });
    if (reboot && this.source.kind === "owned" && this.source.o.autoReboot !== false) this.scheduleReboot(this.source.o.rebootDelayMs ?? 200);
  }

  private scheduleReboot(delayMs: number): void {
    const st = this.state;
    if (st.kind !== "down") return;
    clearTimeout(st.reboot);
    st.reboot = setTimeout(() => {
      if (this.state !== st) return;
      this.boot().catch((err: unknown) => {
        this.log(`reboot failed: ${(err as Error).message}; retrying`);
        this.scheduleReboot(Math.min(5000, delayMs * 2));
      });
    }, delayMs);
  }

  private checkLiveness(): void {
    if (this.state.kind !== "up") return;
    const inc = this.state.inc;
    const silentMs = inc.rt.clockMs() - inc.link.lastHeardMs;
    const limit = this.source.o.livenessMs ?? 3000;
    if (silentMs > limit) this.engineDown(inc, `no datagram from the engine for ${Math.round(silentMs)} ms`);
  }

  /** Test control: makes the engine crash on purpose (it must be booted with testControl). */
  async injectFault(name: string): Promise<void> {
    const inc = this.requireUp();
    await inc.link.command(LinkType.FAULT, Buffer.from(name, "latin1"));
  }

  /** Test control: the engine's thread dies without a word (as a dedicated processor may). */
  async killEngineThread(): Promise<void> {
    const rt = this.requireUp().rt;
    if (!(rt instanceof WorkerEngine)) throw new Error("the engine runs on this thread (attached): there is no engine thread to kill");
    await rt.kill();
  }

  // ---- engine -> node ------------------------------------------------------------------

  /** The engine's figures for a stream; lateness as measured where its packets leave the host, the engine's own beside it. */
  private toStats(inc: Incarnation, num: number, e: EngineStreamStats): DeliveryStats {
    const guest = { count: e.packets, sumSec: e.lateSumUs / 1e6, maxSec: e.lateMaxUs / 1e6, buckets: [...e.lateBuckets] };
    return {
      rtpPackets: e.packets,
      rtpBytes: e.bytes,
      rtcpPackets: e.rtcpPackets,
      positionSec: e.positionTicks / CLOCK_HZ,
      lateness: inc.rt.sendLateness(num) ?? guest,
      guestLateness: guest,
    };
  }

  private onStats(inc: Incarnation, s: EngineStats): void {
    if (inc !== this.current) return;
    if (s.part === 0) this.partial = { ...s, entries: [...s.entries] };
    else if (this.partial) this.partial.entries.push(...s.entries);
    if (s.part === s.parts - 1 && this.partial) {
      this.busy = inc.rt.load()?.busyRatio ?? 0;
      this.lastStats = this.partial;
      this.partial = undefined;
    }
    for (const e of s.entries) {
      const st = this.byNum.get(e.streamId);
      if (st) this.emit({ type: "stats", streamId: st.id, stats: this.toStats(inc, st.num, e) });
    }
  }

  private onNotice(inc: Incarnation, type: number, payload: Buffer): void {
    if (inc !== this.current || payload.length < 76) return;
    const e = decodeStreamStats(payload);
    const s = this.byNum.get(e.streamId);
    if (!s) return;
    this.emit({ type: "stats", streamId: s.id, stats: this.toStats(inc, s.num, e) });
    if (type === LinkType.ENDED) this.emit({ type: "ended", streamId: s.id });
    else this.fail(s, "the engine could not read the content from its disk");
  }

  /** Runs a command with the stream's media held until its reply has gone out. */
  private async gated<T>(inc: Incarnation, s: EngineStream, command: () => Promise<T>): Promise<T> {
    inc.rt.hold(s.num);
    try {
      return await command();
    } finally {
      // after this turn: the reply the caller writes on the RTSP connection goes first
      setImmediate(() => inc.rt.release(s.num));
    }
  }

  private onRtcp(msg: Buffer, from: string): void {
    if (!this.acceptRtcp(msg, from) && this.source.kind === "owned") this.source.o.rtcpElsewhere?.(msg, from);
  }

  /** Hands on the receiver reports in `msg` about this engine's streams; false if none was. */
  acceptRtcp(msg: Buffer, from: string): boolean {
    let ours = false;
    for (const report of readReceptionReports(msg)) {
      for (const s of this.streams.values()) {
        const t = s.p.target;
        if (t.kind === "udp" && s.p.ssrc === report.sourceSsrc && t.address === from) {
          ours = true;
          this.emit({ type: "receiverReport", streamId: s.id, report });
        }
      }
    }
    return ours;
  }

  private fail(s: EngineStream, reason: string): void {
    if (s.failed) return;
    s.failed = true;
    this.emit({ type: "failed", streamId: s.id, reason });
  }

  // ---- node -> engine (the DeliveryBackend interface) -----------------------------------

  private requireUp(): Incarnation {
    if (this.state.kind === "closed") throw new Error("delivery backend is closed");
    if (this.state.kind !== "up") throw new Error("the I/O engine is down");
    return this.state.inc;
  }

  private stream(id: string): EngineStream {
    const s = this.streams.get(id);
    if (!s) throw new UnknownStreamError(id);
    return s;
  }

  /** A relay port on the gateway for an interleaved stream (the engine sends its media there). */
  private allocRelayPort(): number {
    const inUse = new Set<number>();
    for (const s of this.streams.values()) if (s.relayPort !== undefined) inUse.add(s.relayPort);
    for (let i = 0; i < (RELAY_PORT_END - RELAY_PORT_BASE) / 2; i++) {
      const port = this.nextRelay;
      this.nextRelay = port + 2 >= RELAY_PORT_END ? RELAY_PORT_BASE : port + 2;
      if (!inUse.has(port)) return port;
    }
    throw new Error("no free relay port for an interleaved stream");
  }

  private forget(s: EngineStream): void {
    this.streams.delete(s.id);
    this.byNum.delete(s.num);
    this.current?.rt.unroute(s.num);
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
    const s: EngineStream = { id: p.streamId, num: ++this.nextNum, p, failed: false, ...(p.target.kind === "udp" ? {} : { relayPort: rtpPort }) };
    this.streams.set(s.id, s);
    this.byNum.set(s.num, s);
    inc.rt.route(s.num, [routeKey(ip, rtpPort), routeKey(ip, rtcpPort)], p.target);
    try {
      const ack = await this.gated(inc, s, () =>
        inc.link.command(
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
        ),
      );
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
    return this.position(await this.gated(inc, s, () => inc.link.command(LinkType.RESUME, encodeStreamId(s.num))));
  }

  async seek(streamId: string, toSec: number, untilSec?: number): Promise<PlayPosition> {
    const s = this.stream(streamId);
    const until = untilSec === undefined ? LINK_NO_UNTIL : Math.round(untilSec * CLOCK_HZ);
    const inc = this.requireUp();
    return this.position(await this.gated(inc, s, () => inc.link.command(LinkType.SEEK, encodeSeek(s.num, Math.round(toSec * CLOCK_HZ), until))));
  }

  async stop(streamId: string): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) return;
    this.forget(s);
    if (this.state.kind !== "up") return; // the engine's state went with it
    const inc = this.state.inc;
    try {
      const ack = await inc.link.command(LinkType.STOP, encodeStreamId(s.num));
      if (ack.length >= 76) this.emit({ type: "stats", streamId, stats: this.toStats(inc, s.num, decodeStreamStats(ack)) });
    } catch (err) {
      if (err instanceof LinkageCommandError && err.code === LinkError.NO_STREAM) return;
      if (this.state.kind === "up" && this.state.inc === inc) this.log(`STOP of ${streamId}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    const st = this.state;
    if (st.kind === "closed") return;
    this.state = { kind: "closed" };
    clearInterval(this.watchdog);
    if (st.kind === "down") clearTimeout(st.reboot);
    if (st.kind === "booting" || st.kind === "up") {
      st.inc.link.close("server shutting down");
      await st.inc.rt.halt();
    }
    this.streams.clear();
    this.byNum.clear();
  }
}
