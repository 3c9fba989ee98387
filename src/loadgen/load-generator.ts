// The load generator: N simulated RTSP clients (RtspLoadClient) against one URL for a given
// time, started a little apart so their SETUPs do not all land in the same instant, with a
// running total of what they received.
import { RtspLoadClient, type LoadTransport } from "./rtsp-load-client";

export interface LoadOptions {
  url: string;
  clients: number;
  seconds: number;
  transport: LoadTransport;
  /** gap between client starts; default 20 ms */
  staggerMs?: number;
  reportIntervalMs?: number;
}

export interface LoadTotals {
  running: boolean;
  clients: number;
  transport: LoadTransport;
  playing: number;
  packets: number;
  bytes: number;
  lost: number;
  remainingSec: number;
  /** distinct failure reasons, with how many clients each */
  errors: string[];
  /** per client: packets received (for tests and the summary) */
  perClient: { state: string; packets: number; lost: number; replays: number }[];
}

export class LoadGenerator {
  readonly clients: RtspLoadClient[];
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** resolves when the run is over (its time is up or stop() was called) and every client is closed */
  readonly finished: Promise<LoadTotals>;
  private finish: (t: LoadTotals) => void = () => {};

  constructor(private readonly o: LoadOptions) {
    if (!Number.isInteger(o.clients) || o.clients < 1) throw new RangeError(`clients must be a positive integer, got ${o.clients}`);
    if (!(o.seconds > 0)) throw new RangeError(`seconds must be positive, got ${o.seconds}`);
    this.clients = Array.from({ length: o.clients }, () => new RtspLoadClient(o.url, { transport: o.transport, ...(o.reportIntervalMs ? { reportIntervalMs: o.reportIntervalMs } : {}) }));
    this.finished = new Promise((resolve) => (this.finish = resolve));
    void this.run();
  }

  private async run(): Promise<void> {
    this.timer = setTimeout(() => void this.stop(), this.o.seconds * 1000);
    const stagger = this.o.staggerMs ?? 20;
    const starts: Promise<void>[] = [];
    for (const c of this.clients) {
      if (this.stopped) break;
      starts.push(c.start().catch(() => undefined)); // a failed client records why
      if (stagger > 0) await new Promise((r) => setTimeout(r, stagger));
    }
    await Promise.all(starts);
    // nobody got to play (bad URL, server refusing): the run is over now, not when its time is up
    if (this.clients.every((c) => c.state === "failed")) await this.stop();
  }

  get running(): boolean {
    return !this.stopped;
  }

  totals(): LoadTotals {
    const errors = new Map<string, number>();
    let packets = 0;
    let bytes = 0;
    let lost = 0;
    let playing = 0;
    for (const c of this.clients) {
      packets += c.rx.packets;
      bytes += c.rx.bytes;
      lost += c.rx.lost;
      if (c.state === "playing") playing++;
      if (c.error) errors.set(c.error, (errors.get(c.error) ?? 0) + 1);
    }
    const elapsed = (performance.now() - this.startedAt) / 1000;
    return {
      running: !this.stopped,
      clients: this.clients.length,
      transport: this.o.transport,
      playing,
      packets,
      bytes,
      lost,
      remainingSec: this.stopped ? 0 : Math.max(0, Math.ceil(this.o.seconds - elapsed)),
      errors: [...errors].map(([why, n]) => (n > 1 ? `${n} clients: ${why}` : why)),
      perClient: this.clients.map((c) => ({ state: c.state, packets: c.rx.packets, lost: c.rx.lost, replays: c.replays })),
    };
  }

  /** Tears every client down; the totals are final once it resolves. */
  async stop(): Promise<LoadTotals> {
    if (!this.stopped) {
      this.stopped = true;
      clearTimeout(this.timer);
      await Promise.all(this.clients.map((c) => c.stop()));
      this.finish(this.totals());
    }
    return this.finished;
  }
}
