// The thesis's NIC receive log (part 2): the VMM is entered when the driver reads ICR (an
// interrupt starts) and when it writes RDT (it hands descriptors back). Tracking the RX
// descriptors between those two triggers yields, per interrupt, every descriptor the driver
// consumed: index, buffer address, length, status, errors, the bytes DMA'd, and when the DMA
// happened and when the driver gave the descriptor back. Transmit is logged per TDT batch.
//
// Counts: DMA writes happen at sync points and are exact. ICR reads and RDT writes happen
// inside the guest's code; under the JIT their count is that of the start of the basic block
// holding the access (exact when stepping).
import type { E1000, RxDmaRecord, TxDmaRecord } from "./devices/e1000";

export interface RxDescriptorUse {
  index: number;
  addr: number;
  length: number;
  status: number;
  errors: number;
  bytes: Uint8Array;
  /** When the NIC wrote the buffer and descriptor (a sync point). */
  dmaIcount: number;
  dmaNs: number;
  /** When the driver gave the descriptor back (its RDT write). */
  consumedIcount: number;
}

export interface RxInterrupt {
  /** 1, 2, ... in order of the driver's ICR reads. */
  seq: number;
  icrIcount: number;
  icrNs: number;
  /** The cause bits the driver read. */
  icr: number;
  /** Descriptors handed back by the RDT write(s) that closed this interrupt. */
  descriptors: RxDescriptorUse[];
  rdt?: number;
  rdtIcount?: number;
}

export interface TxDescriptorUse {
  index: number;
  addr: number;
  length: number;
  cmd: number;
  status: number;
  bytes: Uint8Array;
  icount: number;
  ns: number;
}

export interface NicDmaLogOptions {
  /**
   * Interrupts (and TX descriptors) kept; older ones are dropped (default 100,000). The oldest
   * quarter goes at once: dropping one per event would shift the whole list every time.
   */
  limit?: number;
  /**
   * Transmit descriptors kept (default: `limit`). 0 keeps none: a stream server's engine sends
   * thousands of frames a second that nobody inspects, and keeping ~0.5 s of them (their bytes
   * included) made each one live long enough to reach V8's old space, so the engine's thread
   * paid for full mark-compacts. Received frames, which a replay needs, are always kept.
   */
  txLimit?: number;
}

export class NicDmaLog {
  private rx: RxInterrupt[] = [];
  private tx: TxDescriptorUse[] = [];
  /** The latest DMA into each ring slot, until the driver consumes it. */
  private pending = new Map<number, RxDescriptorUse>();
  private seq = 0;
  /** TX records logged so far, trimmed ones included: tx[0] is number txTotal - tx.length. */
  private txTotal = 0;
  private readonly limit: number;
  private readonly txLimit: number;
  private readonly trimListeners = new Set<() => void>();

  constructor(
    nic: E1000,
    private readonly clock: { icount(): number; ns(): number },
    private readonly ringSize: () => number,
    opts: NicDmaLogOptions = {},
  ) {
    this.limit = opts.limit ?? 100_000;
    this.txLimit = opts.txLimit ?? this.limit;
    nic.onRxDma((r) => this.onRxDma(r));
    nic.onIcrRead((icr) => this.onIcrRead(icr));
    nic.onRdtWrite((oldRdt, newRdt) => this.onRdtWrite(oldRdt, newRdt));
    if (this.txLimit > 0) nic.onTxDma((r) => this.onTxDma(r));
  }

  /** Receive interrupts, oldest first. */
  interrupts(): readonly RxInterrupt[] {
    return this.rx;
  }

  transmits(): readonly TxDescriptorUse[] {
    return this.tx;
  }

  /** TX records logged so far, dropped ones included (the number the next one gets). */
  get transmitCount(): number {
    return this.txTotal;
  }

  /**
   * The receive descriptor whose DMA at instruction `icount` wrote into [address, address +
   * length): one the driver has not handed back yet, or the last interrupt's. Undefined if none.
   */
  receiveAt(icount: number, address: number, length: number): RxDescriptorUse | undefined {
    const hits = (d: RxDescriptorUse): boolean => d.dmaIcount === icount && d.addr < address + length && address < d.addr + d.bytes.length;
    for (const d of this.pending.values()) if (hits(d)) return d;
    return this.rx[this.rx.length - 1]?.descriptors.find(hits);
  }

  /** Called just before the oldest entries are dropped (a reader that drains the log catches up). */
  onTrim(fn: () => void): () => void {
    this.trimListeners.add(fn);
    return () => this.trimListeners.delete(fn);
  }

  /**
   * Re-execution (a seek or a restore) replays the same accesses again: forget what the log
   * holds from `icount` on, so the replayed events take their place instead of duplicating.
   */
  rewindTo(icount: number): void {
    // Both logs are in instruction count order, and an interrupt's descriptors are handed back
    // before the driver's next ICR read opens the next one: only the last interrupt kept can
    // hold descriptors from `icount` on. (A seek restores often, over logs of 100,000 entries.)
    this.rx = this.rx.slice(
      0,
      firstAtOrAfter(this.rx, icount, (r) => r.icrIcount),
    );
    const last = this.rx[this.rx.length - 1];
    if (last?.descriptors.some((d) => d.consumedIcount >= icount)) last.descriptors = last.descriptors.filter((d) => d.consumedIcount < icount);
    const txKept = firstAtOrAfter(this.tx, icount, (t) => t.icount);
    this.txTotal -= this.tx.length - txKept;
    this.tx = this.tx.slice(0, txKept);
    for (const [i, d] of this.pending) if (d.dmaIcount >= icount) this.pending.delete(i);
    this.seq = this.rx.length ? this.rx[this.rx.length - 1]!.seq : 0;
  }

  private onRxDma(r: RxDmaRecord): void {
    this.pending.set(r.index, {
      index: r.index,
      addr: r.addr,
      length: r.length,
      status: r.status,
      errors: r.errors,
      bytes: r.bytes,
      dmaIcount: Number(r.icount),
      dmaNs: this.clock.ns(),
      consumedIcount: -1,
    });
  }

  private onIcrRead(icr: number): void {
    const icount = this.clock.icount();
    const last = this.rx[this.rx.length - 1];
    if (last && last.icrIcount > icount) this.rewindTo(icount);
    this.rx.push({ seq: ++this.seq, icrIcount: icount, icrNs: this.clock.ns(), icr, descriptors: [] });
    this.trim(this.rx);
  }

  private onRdtWrite(oldRdt: number, newRdt: number): void {
    const icount = this.clock.icount();
    const n = this.ringSize();
    const current = this.rx[this.rx.length - 1];
    if (n > 0 && oldRdt < n && newRdt < n) {
      // The driver handed back (oldRdt, newRdt]: those are the slots it consumed.
      for (let i = (oldRdt + 1) % n, steps = 0; steps < n && oldRdt !== newRdt; i = (i + 1) % n, steps++) {
        const d = this.pending.get(i);
        if (d) {
          this.pending.delete(i);
          d.consumedIcount = icount;
          current?.descriptors.push(d);
        }
        if (i === newRdt) break;
      }
    }
    if (current) {
      current.rdt = newRdt;
      current.rdtIcount = icount;
    }
  }

  private onTxDma(r: TxDmaRecord): void {
    this.tx.push({ index: r.index, addr: r.addr, length: r.length, cmd: r.cmd, status: r.status, bytes: r.bytes, icount: Number(r.icount), ns: this.clock.ns() });
    this.txTotal++;
    this.trim(this.tx, this.txLimit);
  }

  /** Drops the oldest entries once a list is a quarter over its limit (readers drain first). */
  private trim(list: unknown[], limit = this.limit): void {
    if (list.length <= limit + (limit >> 2)) return;
    for (const fn of this.trimListeners) fn();
    list.splice(0, list.length - limit);
  }
}

/** The index of the first entry whose count is at or after `icount` (entries in count order). */
function firstAtOrAfter<T>(xs: readonly T[], icount: number, at: (x: T) => number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(xs[mid]!) < icount) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
