// The host side of the NIC's cable. Frames injected here reach the e1000 only at sync points,
// at their scheduled virtual time (or at the next sync point when no time is given, as for
// frames arriving from real sockets). Frames the guest transmits come out of onTransmit.
import { copyToSlab } from "./frame-slabs";
import { Listeners } from "./listeners";

export interface WireStats {
  injected: number;
  delivered: number;
  /** Dropped because the guest's receive ring was full (the NIC counted RXO/MPC too). */
  droppedRingFull: number;
  /** Dropped for any other reason (receiver disabled, link down, filtered, DMA fault). */
  droppedOther: number;
  transmitted: number;
}

interface Pending {
  ns: number;
  seq: number;
  bytes: Uint8Array;
}

export interface WireState {
  queue: { ns: number; seq: number; bytes: string }[];
  seq: number;
  stats: WireStats;
}

export class Wire {
  /** Frames not yet delivered are queue[head..]: taking from the front must not shift the array. */
  private queue: Pending[] = [];
  private head = 0;
  private seq = 0;
  private readonly txListeners = new Listeners<Uint8Array, number>();
  readonly stats: WireStats = { injected: 0, delivered: 0, droppedRingFull: 0, droppedOther: 0, transmitted: 0 };

  /** Schedules a frame for virtual time `atNs` (ns since power-on), or for the next sync point. */
  inject(frame: Uint8Array, atNs?: number): void {
    if (atNs !== undefined && !(atNs >= 0)) throw new RangeError(`inject: atNs must be a non-negative number, got ${atNs}`);
    // A copy (the caller may reuse its buffer), into a shared slab: a recording's I/O thread reads it there.
    const p: Pending = { ns: atNs ?? -1, seq: this.seq++, bytes: copyToSlab(frame) };
    // Keep the queue ordered by (ns, seq); appends are the common case.
    let i = this.queue.length;
    while (i > this.head && this.queue[i - 1]!.ns > p.ns) i--;
    this.queue.splice(i, 0, p);
    this.stats.injected++;
    this.injected?.();
  }

  /** Called on every inject (a paced run sleeping until its next sync point wakes up). */
  injected: (() => void) | undefined;

  /** Virtual time of the earliest queued frame (-1 for "as soon as possible"), if any. */
  nextNs(): number | undefined {
    return this.queue[this.head]?.ns;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Removes and returns the frames due at `nowNs`. */
  takeDue(nowNs: number): Uint8Array[] {
    const q = this.queue;
    let end = this.head;
    while (end < q.length && q[end]!.ns <= nowNs) end++;
    if (end === this.head) return [];
    const due = q.slice(this.head, end).map((p) => p.bytes);
    this.head = end;
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    return due;
  }

  onTransmit(fn: (frame: Uint8Array, ns: number) => void): () => void {
    return this.txListeners.add(fn);
  }

  /** Called by the machine for each frame the guest sent (a frame slab's view: a listener that keeps the bytes keeps the slab). */
  emitTransmit(frame: Uint8Array, ns: number): void {
    this.stats.transmitted++;
    this.txListeners.emit(frame, ns);
  }

  getState(): WireState {
    return {
      queue: this.queue.slice(this.head).map((p) => ({ ns: p.ns, seq: p.seq, bytes: Buffer.from(p.bytes).toString("base64") })),
      seq: this.seq,
      stats: { ...this.stats },
    };
  }

  setState(s: WireState): void {
    this.queue = s.queue.map((p) => ({ ns: p.ns, seq: p.seq, bytes: new Uint8Array(Buffer.from(p.bytes, "base64")) }));
    this.head = 0;
    this.seq = s.seq;
    Object.assign(this.stats, s.stats);
  }
}
