// The session table: every RTSP session with its client, content, transport, state, times and
// per-stream statistics (what the backend reports plus what the client's RTCP says).
import type { DeliveryStats, LatenessSummary } from "../delivery/backend";
import { emptyLateness, LATENESS_BUCKETS_SEC } from "../delivery/backend";
import type { ReceptionReport } from "../delivery/rtcp";

/** RFC 2326 Appendix A server states; Init is "no session". */
export type SessionState = "ready" | "playing";

export interface ClientTransport {
  lower: "UDP" | "TCP";
  clientPorts?: [number, number];
  interleaved?: [number, number];
}

export interface StreamCounters {
  rtpPackets: number;
  rtpBytes: number;
  rtcpPackets: number;
  positionSec: number;
  lateness: LatenessSummary;
  /** from the client's latest RTCP receiver report */
  packetsLost: number;
  fractionLost: number;
  jitterSec: number;
  receiverReports: number;
}

export interface SessionRecord {
  id: string;
  /** the RTSP connection that created it; the session dies with it */
  connectionId: number;
  remoteAddr: string;
  content: string;
  /** the URL of the stream (for RTP-Info) */
  streamUrl: string;
  transport: ClientTransport;
  state: SessionState;
  createdAt: number;
  lastActivity: number;
  timeoutSec: number;
  reservedBps: number;
  ssrc: number;
  seqBase: number;
  rtpTimeBase: number;
  /** delivery started on the backend (first PLAY done) */
  started: boolean;
  /** delivery reached the end of the content (or of the PLAY range) */
  atEnd: boolean;
  stats: StreamCounters;
}

export function emptyCounters(): StreamCounters {
  return {
    rtpPackets: 0,
    rtpBytes: 0,
    rtcpPackets: 0,
    positionSec: 0,
    lateness: emptyLateness(),
    packetsLost: 0,
    fractionLost: 0,
    jitterSec: 0,
    receiverReports: 0,
  };
}

export class SessionTable {
  private readonly sessions = new Map<string, SessionRecord>();
  /** lateness of sessions already gone, so the global histogram never goes backwards */
  private readonly retiredLateness = emptyLateness();
  private createdCount = 0;
  private timedOutCount = 0;

  get size(): number {
    return this.sessions.size;
  }

  get created(): number {
    return this.createdCount;
  }

  get timedOut(): number {
    return this.timedOutCount;
  }

  all(): SessionRecord[] {
    return [...this.sessions.values()];
  }

  get(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  add(s: SessionRecord): void {
    this.sessions.set(s.id, s);
    this.createdCount++;
  }

  /** Removes and returns the session; `timedOut` counts it as expired. */
  remove(id: string, timedOut = false): SessionRecord | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    this.sessions.delete(id);
    if (timedOut) this.timedOutCount++;
    mergeLateness(this.retiredLateness, s.stats.lateness);
    return s;
  }

  touch(id: string, now: number): void {
    const s = this.sessions.get(id);
    if (s) s.lastActivity = now;
  }

  expired(now: number): SessionRecord[] {
    return this.all().filter((s) => now - s.lastActivity > s.timeoutSec * 1000);
  }

  byConnection(connectionId: number): SessionRecord[] {
    return this.all().filter((s) => s.connectionId === connectionId);
  }

  applyStats(id: string, st: DeliveryStats): void {
    const s = this.sessions.get(id);
    if (!s) return;
    Object.assign(s.stats, { rtpPackets: st.rtpPackets, rtpBytes: st.rtpBytes, rtcpPackets: st.rtcpPackets, positionSec: st.positionSec, lateness: st.lateness });
  }

  /** RTCP RR from the client also counts as liveness (as in live555 and MediaMTX). */
  applyReport(id: string, r: ReceptionReport, clockRate: number, now: number): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.stats.packetsLost = Math.max(0, r.cumulativeLost);
    s.stats.fractionLost = r.fractionLost;
    s.stats.jitterSec = r.jitter / clockRate;
    s.stats.receiverReports++;
    s.lastActivity = now;
  }

  /** lateness over all sessions, past and present */
  totalLateness(): LatenessSummary {
    const t = emptyLateness();
    mergeLateness(t, this.retiredLateness);
    for (const s of this.sessions.values()) mergeLateness(t, s.stats.lateness);
    return t;
  }
}

function mergeLateness(into: LatenessSummary, from: LatenessSummary): void {
  into.count += from.count;
  into.sumSec += from.sumSec;
  into.maxSec = Math.max(into.maxSec, from.maxSec);
  for (let i = 0; i < LATENESS_BUCKETS_SEC.length; i++) into.buckets[i] = (into.buckets[i] ?? 0) + (from.buckets[i] ?? 0);
}
