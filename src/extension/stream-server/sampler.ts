// Turns the server's cumulative counters (the session table, the engine's STATS, process CPU)
// into the panel's session rows and per-interval chart samples. Pure: the caller reads the
// counters and the clock; unit-tested in node.
import type { LatenessSummary } from "../../streamsim/delivery/backend";
import { LATENESS_BUCKETS_SEC } from "../../streamsim/delivery/backend";
import type { SessionRecord } from "../../streamsim/management/session-table";
import type { SessionRow, StatsSample } from "../../protocols/io-engine-panel-messages";

/** The guest's DEADLINE_NS (guest/delivery/stream.h): a packet later than this is a miss. */
export const DEADLINE_SEC = 0.005;
const DEADLINE_BUCKET = LATENESS_BUCKETS_SEC.indexOf(DEADLINE_SEC);

/** What one sampling pass reads from the server. */
export interface CounterReading {
  /** performance.now(), ms */
  nowMs: number;
  /** Date.now(), ms */
  wallMs: number;
  sessions: readonly SessionRecord[];
  /** lateness over all sessions, past and present (SessionTable.totalLateness) */
  totalLateness: LatenessSummary;
  /** I/O engine only: its cumulative deadline-miss counter, backlog and busy ratio */
  engine?: { deadlineMisses: number; backlogMax: number; busyRatio: number };
  /** process.cpuUsage() total, microseconds */
  cpuUs: number;
}

/** Packets in a lateness summary that were later than the deadline. */
export function missesIn(l: LatenessSummary): number {
  return l.count - (l.buckets[DEADLINE_BUCKET] ?? 0);
}

export function sessionRow(s: SessionRecord): SessionRow {
  const t = s.transport;
  const client = t.lower === "UDP" && t.clientPorts ? `${s.remoteAddr}:${t.clientPorts[0]}-${t.clientPorts[1]}` : `${s.remoteAddr} (TCP)`;
  const transport = t.lower === "TCP" ? `TCP ch ${t.interleaved?.[0] ?? "?"}-${t.interleaved?.[1] ?? "?"}` : "UDP";
  const l = s.stats.lateness;
  return {
    id: s.id,
    client,
    content: s.content,
    transport,
    state: s.state,
    packets: s.stats.rtpPackets,
    bytes: s.stats.rtpBytes,
    latenessMeanMs: l.count > 0 ? (l.sumSec / l.count) * 1000 : 0,
    latenessMaxMs: l.maxSec * 1000,
    lost: s.stats.receiverReports > 0 ? s.stats.packetsLost : -1,
    fractionLost: s.stats.fractionLost,
  };
}

interface StreamMark {
  bytes: number;
  lateCount: number;
  lateSum: number;
}

export class StatsSampler {
  private last: CounterReading | undefined;
  private readonly marks = new Map<string, StreamMark>();

  /** The sample for the interval since the previous call; undefined on the first call. */
  sample(r: CounterReading): StatsSample | undefined {
    const prev = this.last;
    this.last = r;
    const seen = new Set<string>();
    const streams: StatsSample["streams"] = [];
    const dtSec = prev ? (r.nowMs - prev.nowMs) / 1000 : 0;
    for (const s of r.sessions) {
      seen.add(s.id);
      const l = s.stats.lateness;
      const mark: StreamMark = { bytes: s.stats.rtpBytes, lateCount: l.count, lateSum: l.sumSec };
      const before = this.marks.get(s.id);
      this.marks.set(s.id, mark);
      if (!prev || dtSec <= 0 || !s.started) continue;
      const b = before ?? { bytes: 0, lateCount: 0, lateSum: 0 };
      const dCount = mark.lateCount - b.lateCount;
      streams.push({
        id: s.id,
        bitrateBps: Math.max(0, ((mark.bytes - b.bytes) * 8) / dtSec),
        latenessMs: dCount > 0 ? ((mark.lateSum - b.lateSum) / dCount) * 1000 : null,
      });
    }
    for (const id of [...this.marks.keys()]) if (!seen.has(id)) this.marks.delete(id);
    if (!prev || dtSec <= 0) return undefined;
    let misses: number;
    if (r.engine && prev.engine) misses = Math.max(0, r.engine.deadlineMisses - prev.engine.deadlineMisses);
    else if (r.engine) misses = 0;
    else misses = Math.max(0, missesIn(r.totalLateness) - missesIn(prev.totalLateness));
    return {
      t: r.wallMs / 1000,
      streams,
      deadlineMissesPerSec: misses / dtSec,
      queueDepth: r.engine ? r.engine.backlogMax : null,
      guestBusy: r.engine ? r.engine.busyRatio : null,
      serverCpu: Math.max(0, (r.cpuUs - prev.cpuUs) / 1000 / (r.nowMs - prev.nowMs)),
    };
  }
}
