// The run's history for the timeline and the DMA inspector: interrupts, NIC receive and
// transmit DMA, breakpoint hits, control commands and guest exceptions, each at its
// instruction count. Unlike the VMM's DMA log it survives seeks (a restore rewinds that log;
// its entries are absorbed here before each move), and it is cut only when the user goes live
// from the past. Queries come back bucketed, so a 10-minute run costs the view nothing extra.
import type { Machine } from "../vmm/machine";
import type { RxInterrupt, TxDescriptorUse } from "../vmm/nic-dma-log";
import { MARKER_KINDS, type DmaHistory, type MarkerBuckets, type MarkerKind, type TimelineData, type TimelineQuery } from "../protocols/time-travel-protocol";

const MAX_BUCKETS = 4096;
const DEFAULT_DMA_LIMIT = 200;
/** Marker events kept per kind (oldest dropped): ~8 MB of numbers at most. */
const MAX_EVENTS = 1_000_000;

class SortedEvents {
  private list: number[] = [];
  private sorted = true;

  add(icount: number): void {
    const last = this.list[this.list.length - 1];
    if (last !== undefined && icount < last) this.sorted = false;
    this.list.push(icount);
    if (this.list.length > MAX_EVENTS) this.list.splice(0, this.list.length - MAX_EVENTS);
  }

  get values(): number[] {
    if (!this.sorted) {
      this.list.sort((a, b) => a - b);
      this.sorted = true;
    }
    return this.list;
  }

  truncateAfter(icount: number): void {
    this.list = this.values.filter((x) => x <= icount);
  }
}

/** Index of the first value >= x. */
function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class RunHistory {
  private readonly markers = new Map<MarkerKind, SortedEvents>(MARKER_KINDS.map((k) => [k, new SortedEvents()]));
  /** (icount, ns) pairs in order, for the virtual-time axis. */
  private clockIcount: number[] = [0];
  private clockNs: number[] = [0];
  /** Live interrupts only: re-executed ones are already known. */
  private lastInterrupt = -1;
  private readonly rx = new Map<number, RxInterrupt>();
  private readonly tx = new Map<string, TxDescriptorUse>();
  private readonly off: () => void;

  constructor(private readonly m: Machine) {
    this.off = m.onInterrupt((e) => {
      if (e.icount <= this.lastInterrupt) return;
      this.lastInterrupt = e.icount;
      this.markers.get("interrupt")!.add(e.icount);
      this.clock(e.icount, e.ns);
    });
  }

  dispose(): void {
    this.off();
  }

  /** A breakpoint hit, a control command or an exception at the current position. */
  mark(kind: "breakpoint" | "control" | "exception"): void {
    this.markers.get(kind)!.add(this.m.icountNumber);
    this.clock(this.m.icountNumber, this.m.nowNs);
  }

  private clock(icount: number, ns: number): void {
    const n = this.clockIcount.length;
    if (icount <= this.clockIcount[n - 1]!) return;
    this.clockIcount.push(icount);
    this.clockNs.push(ns);
  }

  /** Copies what the VMM's DMA log holds now (call before anything rewinds it). */
  absorb(): void {
    const log = this.m.dmaLog;
    if (!log) return;
    for (const r of log.interrupts()) {
      const known = this.rx.get(r.icrIcount);
      if (!known) {
        for (const d of r.descriptors) this.markers.get("rx")!.add(d.dmaIcount);
        this.clock(r.icrIcount, r.icrNs);
      } else {
        for (const d of r.descriptors.slice(known.descriptors.length)) this.markers.get("rx")!.add(d.dmaIcount);
      }
      if (!known || r.descriptors.length >= known.descriptors.length) this.rx.set(r.icrIcount, { ...r, descriptors: [...r.descriptors] });
    }
    for (const t of log.transmits()) {
      const key = `${t.icount}:${t.index}`;
      if (this.tx.has(key)) continue;
      this.tx.set(key, t);
      this.markers.get("tx")!.add(t.icount);
    }
  }

  /** The future was rewritten (going live from the past): forget everything after `icount`. */
  truncateAfter(icount: number): void {
    for (const s of this.markers.values()) s.truncateAfter(icount);
    const k = lowerBound(this.clockIcount, icount + 1);
    this.clockIcount.length = Math.max(1, k);
    this.clockNs.length = Math.max(1, k);
    this.lastInterrupt = Math.min(this.lastInterrupt, icount);
    for (const key of [...this.rx.keys()]) if (key > icount) this.rx.delete(key);
    for (const [key, t] of [...this.tx]) if (t.icount > icount) this.tx.delete(key);
  }

  /** Virtual time at an instruction count (interpolated between known points). */
  nsAt(icount: number): number {
    const a = this.clockIcount;
    const i = lowerBound(a, icount);
    if (i < a.length && a[i] === icount) return this.clockNs[i]!;
    if (i === 0) return this.clockNs[0]!;
    if (i >= a.length) {
      // Past the last known point: extrapolate with the machine's own clock when it is there.
      if (icount === this.m.icountNumber) return this.m.nowNs;
      const j = a.length - 1;
      return this.clockNs[j]! + ((icount - a[j]!) * (this.m.nowNs - this.clockNs[j]!)) / Math.max(1, this.m.icountNumber - a[j]!);
    }
    const x0 = a[i - 1]!,
      x1 = a[i]!,
      y0 = this.clockNs[i - 1]!,
      y1 = this.clockNs[i]!;
    return y0 + ((icount - x0) * (y1 - y0)) / (x1 - x0);
  }

  query(q: TimelineQuery, where: { position: number; present: number; first: number }): TimelineData {
    this.absorb();
    const buckets = Math.max(1, Math.min(MAX_BUCKETS, Math.floor(q.buckets) || 1));
    const from = Math.max(0, Math.floor(q.from ?? where.first));
    const to = Math.max(from + buckets, Math.floor(q.to ?? Math.max(where.present, where.position)));
    const width = (to - from) / buckets;
    const edges = Array.from({ length: buckets + 1 }, (_, i) => Math.round(from + i * width));
    const markers = {} as Record<MarkerKind, MarkerBuckets>;
    for (const kind of MARKER_KINDS) {
      const v = this.markers.get(kind)!.values;
      const counts: number[] = [];
      const first: number[] = [];
      let lo = lowerBound(v, edges[0]!);
      for (let b = 0; b < buckets; b++) {
        const hi = b === buckets - 1 ? lowerBound(v, edges[b + 1]! + 1) : lowerBound(v, edges[b + 1]!);
        counts.push(hi - lo);
        first.push(hi > lo ? v[lo]! : -1);
        lo = hi;
      }
      markers[kind] = { counts, first };
    }
    return { from, to, buckets, position: where.position, present: where.present, first: where.first, ns: edges.map((e) => this.nsAt(e)), markers };
  }

  dma(limit = DEFAULT_DMA_LIMIT): DmaHistory {
    this.absorb();
    const n = Math.max(1, Math.min(5000, Math.floor(limit) || DEFAULT_DMA_LIMIT));
    const rx = [...this.rx.values()].sort((a, b) => a.icrIcount - b.icrIcount);
    const tx = [...this.tx.values()].sort((a, b) => a.icount - b.icount || a.index - b.index);
    const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("base64");
    return {
      rxTotal: rx.length,
      txTotal: tx.length,
      rx: rx.slice(-n).map((r, i) => ({
        seq: rx.length - Math.min(n, rx.length) + i + 1,
        icrIcount: r.icrIcount,
        icrNs: r.icrNs,
        icr: r.icr,
        rdt: r.rdt,
        rdtIcount: r.rdtIcount,
        descriptors: r.descriptors.map((d) => ({
          index: d.index,
          addr: d.addr,
          length: d.length,
          status: d.status,
          errors: d.errors,
          dmaIcount: d.dmaIcount,
          consumedIcount: d.consumedIcount,
          bytes: b64(d.bytes),
        })),
      })),
      tx: tx.slice(-n).map((t) => ({ index: t.index, addr: t.addr, length: t.length, cmd: t.cmd, status: t.status, icount: t.icount, ns: t.ns, bytes: b64(t.bytes) })),
    };
  }
}
