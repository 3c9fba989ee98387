// Stream delivery on the I/O engine, driven over its cable wherever the engine runs: the LVMM's
// wire in this process, or QEMU's e1000 on a socket netdev. The server's own pieces do the
// talking (EngineGateway answers ARP and carries the linkage; LinkageClient numbers, retransmits
// and acknowledges), so the guest sees what `lvmm serve` sends it. Each stream plays the content
// disk's first item to a client address that is never sent to: the engine's RTP packets are
// counted where they leave the engine, and a stream that reaches the end of the clip is started
// again, so the offered load stays at `streams` for as long as the measurement runs.
import { EngineGateway, type FrameWire } from "../../../src/streamsim/ioengine/engine-gateway";
import { LinkageClient } from "../../../src/streamsim/ioengine/linkage-client";
import { decodeStreamStats, encodeHelloAck, encodeStart, LINK_NO_UNTIL, LinkType } from "../../../src/streamsim/ioengine/linkage-codec";
import { NTP_UNIX_OFFSET_SEC } from "../../../src/streamsim/delivery/rtcp";

/** 127.0.0.1: where the streams' RTP would go (the gateway hands it to us; nothing is sent). */
const CLIENT_IP = 0x7f000001;
const FIRST_PORT = 30_000;

export class DeliveryDriver {
  /** RTP packets (even destination ports) and their payload bytes the engine sent. */
  packets = 0;
  bytes = 0;
  restarts = 0;
  private readonly gateway: EngineGateway;
  private readonly link: LinkageClient;
  private hello: (() => void) | undefined;
  private readonly helloSeen: Promise<void>;
  private nextId = 0;
  /** Stream id -> its slot (its ports): a restarted stream is a new stream on the same ports. */
  private readonly slotOf = new Map<number, number>();
  private closed = false;
  failure: string | undefined;

  constructor(wire: FrameWire, bootId: number) {
    this.helloSeen = new Promise((resolve) => (this.hello = resolve));
    this.link = new LinkageClient({
      boot: bootId,
      send: (d) => this.gateway.sendControl(d),
      onHello: (h) => {
        this.hello?.();
        return encodeHelloAck(BigInt(Math.round((Date.now() + NTP_UNIX_OFFSET_SEC * 1000) * 1000)) - h.engineNowUs);
      },
      onNotice: (type, payload) => {
        // ENDED: the clip is over; play it again on a fresh stream.
        if (type === LinkType.ENDED && payload.length >= 76 && !this.closed) {
          this.restarts++;
          const id = decodeStreamStats(payload).streamId;
          const slot = this.slotOf.get(id);
          this.slotOf.delete(id);
          if (slot !== undefined) void this.startOne(slot);
        }
      },
      onStats: () => {},
      onUnresponsive: (why) => (this.failure = why),
    });
    this.gateway = new EngineGateway(wire, {
      onControl: (d) => this.link.receive(d),
      onMedia: (_ip, port, payload) => {
        if (port % 2 === 0) {
          this.packets++;
          this.bytes += payload.length;
        }
      },
    });
  }

  /** Resolves when the engine said HELLO; rejects after `ms`. */
  async ready(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the I/O engine sent no HELLO in ${ms} ms`)), ms)));
    try {
      await Promise.race([this.helloSeen, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The measurement, the same wherever the engine runs: HELLO, `streams` streams started, a
   * warm-up, then RTP packets counted over `seconds` of wall time. `counters` reads, at both ends
   * of the window, what the host measures of what runs the engine (its CPU, in this process or
   * QEMU's): the result holds their differences.
   */
  async measure<K extends string>(streams: number, seconds: number, counters: () => Record<K, number>): Promise<Record<K, number> & { packets: number; wallMs: number; failure?: string }> {
    await this.ready(30_000);
    await this.start(streams);
    await sleep(Math.min(1500, seconds * 400)); // warm-up: the JIT (or TCG) compiles the delivery paths
    const p0 = this.packets;
    const c0 = counters();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const c1 = counters();
    const wallMs = performance.now() - t0;
    const diff = Object.fromEntries(Object.keys(c1).map((k) => [k, c1[k as K] - c0[k as K]])) as Record<K, number>;
    return { ...diff, packets: this.packets - p0, wallMs, ...(this.failure ? { failure: this.failure } : {}) };
  }

  /** Starts `n` streams of content item 1, one after another. */
  async start(n: number): Promise<void> {
    const first = this.slotOf.size;
    for (let i = 0; i < n; i++) await this.startOne(first + i);
  }

  private async startOne(slot: number): Promise<void> {
    const port = FIRST_PORT + 2 * slot;
    const id = ++this.nextId;
    this.slotOf.set(id, slot);
    try {
      await this.link.command(
        LinkType.START,
        encodeStart({
          streamId: id,
          contentId: 1,
          clientIp: CLIENT_IP,
          rtpPort: port,
          rtcpPort: port + 1,
          ssrc: 0x10000 + id,
          seq: 0,
          scaleX100: 100,
          rtpTimeBase: 0,
          fromTicks: 0,
          untilTicks: LINK_NO_UNTIL,
          cname: `eval-${id}`,
        }),
      );
    } catch (e) {
      this.failure ??= e instanceof Error ? e.message : String(e);
    }
  }

  close(): void {
    this.closed = true;
    this.link.close("measurement over");
    this.gateway.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
