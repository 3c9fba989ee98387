// One stream of the conventional backend: walks the hint index, sending each RTP packet when
// its send time comes (driven by the shared DeliveryScheduler), and keeps the play-clock
// anchor that both pacing and the RTCP SR NTP/RTP mapping use.
import { seekRecord, type HintIndex } from "../content/hint-index";
import { emptyLateness, recordLateness, type DeliveryStart, type DeliveryStats, type PlayPosition } from "./backend";
import type { MediaReader } from "./media-reader";
import type { PacketSink } from "./packet-sink";
import { rtpHeader } from "./rtp";
import { bye, sdesCname, senderReport } from "./rtcp";
import type { ScheduledStream } from "./scheduler";

export interface StreamHooks {
  clock(): number;
  /** wall clock (ms since the Unix epoch) at scheduler-clock time t */
  wallAt(t: number): number;
  reschedule(s: ConventionalStream): void;
  ended(s: ConventionalStream): void;
  failed(s: ConventionalStream, reason: string): void;
}

export class ConventionalStream implements ScheduledStream {
  readonly id: string;
  readonly ssrc: number;
  private readonly index: HintIndex;
  private readonly ticksPerMs: number;
  /** next record to send, and one past the last */
  private next = 0;
  private end: number;
  private playing = false;
  private waiting = false;
  private anchorClock = 0;
  private anchorTicks = 0;
  private seq: number;
  private lastSr = -Infinity;
  private readonly stats: DeliveryStats = { rtpPackets: 0, rtpBytes: 0, rtcpPackets: 0, positionSec: 0, lateness: emptyLateness() };
  private payloadOctets = 0;

  constructor(
    private readonly p: DeliveryStart,
    private readonly reader: MediaReader,
    private readonly sink: PacketSink,
    private readonly hooks: StreamHooks,
  ) {
    this.id = p.streamId;
    this.ssrc = p.ssrc;
    this.index = p.content.index;
    this.ticksPerMs = this.index.header.clockRate / 1000;
    this.seq = p.seqBase & 0xffff;
    this.end = this.index.records.ticks.length;
  }

  get udpAddress(): string | undefined {
    return this.p.target.kind === "udp" ? this.p.target.address : undefined;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  private ticksToSec(t: number): number {
    return t / this.index.header.clockRate;
  }

  private position(): PlayPosition {
    const ticks = this.next < this.index.records.ticks.length ? this.index.records.ticks[this.next]! : this.index.header.durationTicks;
    return { seq: this.seq, rtptime: (this.p.rtpTimeBase + ticks) >>> 0, startSec: this.ticksToSec(ticks) };
  }

  positionSec(): number {
    if (!this.playing) return this.position().startSec;
    const ticks = this.anchorTicks + (this.hooks.clock() - this.anchorClock) * this.ticksPerMs;
    return Math.min(this.ticksToSec(ticks), this.ticksToSec(this.index.header.durationTicks));
  }

  seek(toSec: number, untilSec?: number): PlayPosition {
    const rate = this.index.header.clockRate;
    this.next = seekRecord(this.index, Math.round(toSec * rate));
    const ticks = this.index.records.ticks;
    this.end = ticks.length;
    if (untilSec !== undefined) {
      const limit = untilSec * rate;
      let lo = this.next;
      let hi = ticks.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ticks[mid]! < limit) lo = mid + 1;
        else hi = mid;
      }
      this.end = Math.max(lo, this.next + 1);
    }
    if (this.playing) this.anchor();
    return this.position();
  }

  private anchor(): void {
    this.anchorClock = this.hooks.clock();
    this.anchorTicks = this.next < this.index.records.ticks.length ? this.index.records.ticks[this.next]! : this.index.header.durationTicks;
    this.hooks.reschedule(this);
  }

  resume(): PlayPosition {
    this.playing = true;
    this.anchor();
    return this.position();
  }

  pause(): number {
    this.playing = false;
    this.hooks.reschedule(this);
    return this.position().startSec;
  }

  nextDue(): number | undefined {
    if (!this.playing || this.waiting || this.next >= this.end) return undefined;
    return this.anchorClock + (this.index.records.ticks[this.next]! - this.anchorTicks) / this.ticksPerMs;
  }

  /** the reader has data again */
  dataReady(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.hooks.reschedule(this);
  }

  sendDue(now: number): void {
    const r = this.index.records;
    while (this.playing && this.next < this.end) {
      const due = this.anchorClock + (r.ticks[this.next]! - this.anchorTicks) / this.ticksPerMs;
      if (due > now + 0.5) break;
      const payload = this.reader.get(this.next);
      if (!payload) {
        this.waiting = true;
        return;
      }
      const header = rtpHeader({
        payloadType: this.index.header.payloadType,
        seq: this.seq,
        timestamp: this.p.rtpTimeBase + r.ticks[this.next]!,
        ssrc: this.ssrc,
      });
      if (!this.sink.sendRtp(header, payload)) return this.hooks.failed(this, this.sink.why);
      recordLateness(this.stats.lateness, Math.max(0, this.hooks.clock() - due) / 1000);
      this.seq = (this.seq + 1) & 0xffff;
      this.next++;
      this.stats.rtpPackets++;
      this.stats.rtpBytes += header.length + payload.length;
      this.payloadOctets += payload.length;
    }
    if (this.playing && this.next >= this.end) {
      this.playing = false;
      this.sendRtcp(true);
      this.hooks.ended(this);
    }
  }

  /** Sends SR + SDES (RFC 3550 §6.1 compound packet) when due, or with BYE at the end. */
  sendRtcp(final: boolean, srIntervalMs = 0): boolean {
    const now = this.hooks.clock();
    if (!final && (!this.playing || now - this.lastSr < srIntervalMs)) return true;
    this.lastSr = now;
    const ticks = this.playing ? this.anchorTicks + (now - this.anchorClock) * this.ticksPerMs : this.position().startSec * this.index.header.clockRate;
    const parts = [
      senderReport({
        ssrc: this.ssrc,
        wallMs: this.hooks.wallAt(now),
        rtpTime: (this.p.rtpTimeBase + Math.round(ticks)) >>> 0,
        packetCount: this.stats.rtpPackets,
        octetCount: this.payloadOctets,
      }),
      sdesCname(this.ssrc, this.p.cname),
    ];
    if (final) parts.push(bye(this.ssrc));
    this.stats.rtcpPackets++;
    return this.sink.sendRtcp(Buffer.concat(parts));
  }

  snapshot(): DeliveryStats {
    return { ...this.stats, positionSec: this.positionSec(), lateness: { ...this.stats.lateness, buckets: [...this.stats.lateness.buckets] } };
  }

  async close(): Promise<void> {
    this.playing = false;
    await this.reader.close();
  }
}
