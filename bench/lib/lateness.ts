// What one RTP stream's packets tell about its delivery, as a receiver sees it: lateness of each
// packet against the schedule its RTP timestamps give, and loss from the sequence numbers.
// Pure bookkeeping, so the load client stays a thin shell around it.

const CLOCK_HZ = 90_000; // MP2T over RTP (payload type 33)

export interface StreamFigures {
  packets: number;
  lost: number;
  /** per packet lateness, ms */
  lateness: number[];
}

export class StreamRecord {
  private readonly arrivals: number[] = [];
  /** RTP timestamps unwrapped (32-bit) relative to the first one recorded */
  private readonly times: number[] = [];
  /** sequence numbers unwrapped (16-bit) relative to the first one recorded */
  private readonly seqs: number[] = [];
  private lastTs = 0;
  private extTs = 0;
  private lastSeq = 0;
  private extSeq = 0;

  add(pkt: Buffer, arrivalMs: number): void {
    if (pkt.length < 12 || pkt[0]! >> 6 !== 2) return;
    const seq = pkt.readUInt16BE(2);
    const ts = pkt.readUInt32BE(4);
    if (this.seqs.length) {
      this.extTs += (ts - this.lastTs) | 0; // signed 32-bit step: wraps and small reorders alike
      this.extSeq += ((seq - this.lastSeq + 0x8000) & 0xffff) - 0x8000;
    }
    this.lastTs = ts;
    this.lastSeq = seq;
    this.arrivals.push(arrivalMs);
    this.times.push(this.extTs);
    this.seqs.push(this.extSeq);
  }

  get count(): number {
    return this.seqs.length;
  }

  /**
   * lateness = (arrival − reference arrival) − (timestamp − reference timestamp) / 90 kHz, with
   * the stream's earliest packet as reference: the one that came soonest against its timestamp
   * (lateness 0). Taking the first packet instead would let one late first packet make every
   * later one look early and hide the rest.
   */
  figures(): StreamFigures {
    const n = this.seqs.length;
    if (n === 0) return { packets: 0, lost: 0, lateness: [] };
    const offsets = this.arrivals.map((a, i) => a - (this.times[i]! * 1000) / CLOCK_HZ);
    let best = Infinity;
    for (const o of offsets) if (o < best) best = o;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.seqs) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const lost = Math.max(0, hi - lo + 1 - new Set(this.seqs).size);
    return { packets: n, lost, lateness: offsets.map((o) => o - best) };
  }
}

/** p-th percentiles (nearest rank) and max of xs, in one sort. */
export function spread(xs: number[]): { p50: number; p95: number; p99: number; max: number } {
  if (!xs.length) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { p50: at(50), p95: at(95), p99: at(99), max: s[s.length - 1]! };
}
