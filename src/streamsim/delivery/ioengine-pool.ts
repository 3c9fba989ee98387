// More engines when one is not enough: a pool of I/O engines, each on its own thread (one per
// spare core by default) with its own linkage boot id, content disk and recording. The RTSP
// front sees one backend; each new stream goes to the engine with the most room under its
// admission limit, and stays there. An engine that crashes takes only its own streams down; the
// pool is up while any engine is.
import type { DeliveryBackend, DeliveryEvent, DeliveryStart, PlayPosition } from "./backend";
import { UnknownStreamError } from "./conventional";
import { IoEngineDelivery, type IoEngineDeliveryOptions } from "./ioengine-delivery";
import { defaultEngineCount } from "../defaults";

export interface IoEnginePoolOptions extends IoEngineDeliveryOptions {
  /** how many engines; default one per spare core (cores − 1, at least 1) */
  engines?: number;
}

export class IoEnginePool implements DeliveryBackend {
  readonly kind = "ioengine";
  private readonly placed = new Map<string, IoEngineDelivery>();
  /** each placed stream's mean bit rate */
  private readonly rates = new Map<string, number>();
  private readonly listeners = new Set<(e: DeliveryEvent) => void>();
  private wasUp = true;

  private constructor(readonly engines: readonly IoEngineDelivery[]) {
    for (const e of engines) e.subscribe((ev) => this.onEvent(e, ev));
  }

  /** Boots every engine (in parallel) and waits for each one's HELLO. */
  static async open(o: IoEnginePoolOptions): Promise<IoEnginePool> {
    const n = o.engines ?? defaultEngineCount();
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`engines must be a whole number ≥ 1, got ${n}`);
    const log = o.log ?? ((m: string) => console.error(`[ioengine] ${m}`));
    let pool: IoEnginePool | undefined;
    const opened = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        IoEngineDelivery.open({
          ...o,
          engineIndex: i,
          // an RTCP report that reached this engine's port for a stream on another engine
          rtcpElsewhere: (msg, from) => pool?.engines.forEach((e, k) => k !== i && e.acceptRtcp(msg, from)),
          ...(n > 1 ? { log: (m: string) => log(`engine ${i}: ${m}`) } : {}),
          // a second engine takes the next free media ports
          ...(o.rtpPort && i > 0 ? { rtpPort: 0 } : {}),
        }),
      ),
    );
    const engines = opened.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await Promise.all(engines.map((e) => e.close()));
      throw failed.reason;
    }
    pool = new IoEnginePool(engines);
    return pool;
  }

  get capacityBps(): number {
    return this.engines.reduce((sum, e) => sum + (e.isUp() ? e.capacityBps : 0), 0);
  }

  isUp(): boolean {
    return this.engines.some((e) => e.isUp());
  }

  udpServerPorts(): [number, number] | undefined {
    return (this.engines.find((e) => e.isUp()) ?? this.engines[0])?.udpServerPorts();
  }

  get activeStreams(): number {
    return this.placed.size;
  }

  get diskContent(): string[] {
    return this.engines[0]?.diskContent ?? [];
  }

  /** The engine carrying a stream (tests, the panel). */
  engineOf(streamId: string): IoEngineDelivery | undefined {
    return this.placed.get(streamId);
  }

  metricsLines(): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    this.engines.forEach((e, i) => {
      for (const line of e.metricsLines()) {
        if (line.startsWith("#")) {
          if (!seen.has(line)) out.push(line);
          seen.add(line);
        } else {
          const sp = line.indexOf(" ");
          const name = line.slice(0, sp);
          const brace = name.indexOf("{");
          const labelled = brace < 0 ? `${name}{engine="${i}"}` : `${name.slice(0, brace + 1)}engine="${i}",${name.slice(brace + 1)}`;
          out.push(`${labelled}${line.slice(sp)}`);
        }
      }
    });
    return out;
  }

  subscribe(listener: (e: DeliveryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: DeliveryEvent): void {
    for (const l of this.listeners) l(e);
  }

  private onEvent(engine: IoEngineDelivery, e: DeliveryEvent): void {
    if (e.type === "availability") {
      const up = this.isUp();
      if (up !== this.wasUp) this.emit({ type: "availability", up });
      this.wasUp = up;
      return;
    }
    if (this.placed.get(e.streamId) !== engine) return;
    if (e.type === "failed" || e.type === "ended") this.forget(e.streamId);
    this.emit(e);
  }

  /** Bits/s of the streams placed on an engine. */
  private reserved(e: IoEngineDelivery): number {
    let bps = 0;
    for (const [id, on] of this.placed) if (on === e) bps += this.rates.get(id) ?? 0;
    return bps;
  }

  /** The up engine with the most room under its admission limit. */
  private place(): IoEngineDelivery {
    let best: IoEngineDelivery | undefined;
    let bestRoom = -Infinity;
    for (const e of this.engines) {
      if (!e.isUp()) continue;
      const room = e.capacityBps - this.reserved(e);
      if (room > bestRoom) {
        best = e;
        bestRoom = room;
      }
    }
    if (!best) throw new Error("the I/O engine is down");
    return best;
  }

  private engine(streamId: string): IoEngineDelivery {
    const e = this.placed.get(streamId);
    if (!e) throw new UnknownStreamError(streamId);
    return e;
  }

  async start(p: DeliveryStart): Promise<PlayPosition> {
    if (this.placed.has(p.streamId)) throw new Error(`stream ${p.streamId} already started`);
    const e = this.place();
    this.placed.set(p.streamId, e);
    this.rates.set(p.streamId, p.content.index.header.meanBps);
    try {
      return await e.start(p);
    } catch (err) {
      this.forget(p.streamId);
      throw err;
    }
  }

  pause(streamId: string): Promise<number> {
    return this.engine(streamId).pause(streamId);
  }

  resume(streamId: string): Promise<PlayPosition> {
    return this.engine(streamId).resume(streamId);
  }

  seek(streamId: string, toSec: number, untilSec?: number): Promise<PlayPosition> {
    return this.engine(streamId).seek(streamId, toSec, untilSec);
  }

  async stop(streamId: string): Promise<void> {
    const e = this.placed.get(streamId);
    this.forget(streamId);
    await e?.stop(streamId);
  }

  private forget(streamId: string): void {
    this.placed.delete(streamId);
    this.rates.delete(streamId);
  }

  async close(): Promise<void> {
    this.placed.clear();
    this.rates.clear();
    await Promise.all(this.engines.map((e) => e.close()));
  }
}
