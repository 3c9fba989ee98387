// Routes the engine's media datagrams (RTP and RTCP for clients, sent through the gateway
// 10.0.2.2) to each stream's sink by destination address and port, holds a stream's media
// while the command that (re)started it is being answered (a client must see the PLAY reply
// before its first packet: ffmpeg drops interleaved data that precedes it), and measures each
// RTP packet's lateness where it leaves the host: its send time against its wall-clock due
// time, as a client sees it. It runs where the sockets are: on the engine's worker thread, or
// beside a debugged machine on the debugger's thread.
import { emptyLateness, recordLateness, type LatenessSummary } from "../delivery/backend";
import type { PacketSink } from "../delivery/packet-sink";

const CLOCK_HZ = 90_000;
const GATE_MAX = 4096;

export const routeKey = (ip: number, port: number) => ip * 65536 + port;

interface Route {
  num: number;
  sink: PacketSink;
  keys: number[];
  /** media held while a command is answered (copies); undefined when flowing */
  gate: { rtcp: boolean; packet: Uint8Array }[] | undefined;
  failed: boolean;
  lateness: LatenessSummary;
  /** the RTP timestamp lateness is measured from, and min(send ms - media ms) so far */
  ts0: number | undefined;
  minOffsetMs: number;
}

export class MediaRouter {
  /** datagrams for no known stream (a stream stopped a moment ago) */
  stray = 0;
  /** datagrams sent to sinks, their bytes, and RTP packets sent more than 5 ms late */
  sent = 0;
  sentBytes = 0;
  lateOver5ms = 0;
  /** wall ms spent in the sinks (the UDP sends) */
  sendMs = 0;
  private readonly byKey = new Map<number, { r: Route; rtcp: boolean }>();
  private readonly byNum = new Map<number, Route>();

  constructor(
    /** a stream's sink refused a packet (its client is gone or not reading) */
    private readonly onFailed: (num: number, why: string) => void,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Routes datagrams for `keys` ([RTP, RTCP] routeKeys) to the stream; held until release(). */
  add(num: number, keys: number[], sink: PacketSink): void {
    this.remove(num);
    const r: Route = { num, sink, keys, gate: [], failed: false, lateness: emptyLateness(), ts0: undefined, minOffsetMs: Infinity };
    this.byNum.set(num, r);
    keys.forEach((k, i) => this.byKey.set(k, { r, rtcp: i === 1 }));
  }

  has(key: number): boolean {
    return this.byKey.has(key);
  }

  hold(num: number): void {
    const r = this.byNum.get(num);
    if (r && !r.gate) r.gate = [];
  }

  /** Sends what was held and lets the stream flow; its media timeline may have moved (SEEK, RESUME). */
  release(num: number): void {
    const r = this.byNum.get(num);
    if (!r?.gate) return;
    const held = r.gate;
    r.gate = undefined;
    r.ts0 = undefined;
    r.minOffsetMs = Infinity;
    for (const m of held) this.deliver(r, m.rtcp, m.packet, 0, m.packet.length);
  }

  remove(num: number): void {
    const r = this.byNum.get(num);
    if (!r) return;
    this.byNum.delete(num);
    for (const k of r.keys) if (this.byKey.get(k)?.r === r) this.byKey.delete(k);
  }

  /** A datagram the engine sent to dstIp:dstPort: `length` bytes at `offset` in `bytes` (not kept). */
  route(dstIp: number, dstPort: number, bytes: Uint8Array, offset: number, length: number): void {
    const e = this.byKey.get(routeKey(dstIp, dstPort));
    if (!e) {
      this.stray++;
      return;
    }
    const r = e.r;
    if (r.failed) return;
    if (r.gate) {
      if (r.gate.length < GATE_MAX) r.gate.push({ rtcp: e.rtcp, packet: bytes.slice(offset, offset + length) });
      return;
    }
    this.deliver(r, e.rtcp, bytes, offset, length);
  }

  /** Each stream's send lateness since it was added (cumulative). */
  lateness(): { num: number; lateness: LatenessSummary }[] {
    return [...this.byNum.values()].map((r) => ({ num: r.num, lateness: r.lateness }));
  }

  private deliver(r: Route, rtcp: boolean, bytes: Uint8Array, offset: number, length: number): void {
    if (r.failed) return;
    this.sent++;
    this.sentBytes += length;
    const t0 = this.nowMs();
    const ok = r.sink.sendPacket(rtcp, bytes, offset, length);
    // One clock read after the send serves both the send time and the packet's departure time.
    const sentAt = this.nowMs();
    this.sendMs += sentAt - t0;
    if (!ok) {
      r.failed = true;
      this.onFailed(r.num, r.sink.why);
      return;
    }
    if (!rtcp && length >= 12) this.measure(r, ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0, sentAt);
  }

  /**
   * Lateness relative to the stream's earliest packet, as a client measures it: the offset
   * (send time − media time) of this packet minus the smallest offset seen since the stream
   * (re)started.
   */
  private measure(r: Route, ts: number, now: number): void {
    r.ts0 ??= ts;
    const offsetMs = now - (((ts - r.ts0) >>> 0) / CLOCK_HZ) * 1000;
    if (offsetMs < r.minOffsetMs) r.minOffsetMs = offsetMs;
    const late = (offsetMs - r.minOffsetMs) / 1000;
    if (late > 0.005) this.lateOver5ms++;
    recordLateness(r.lateness, late);
  }
}
