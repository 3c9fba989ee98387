// DeliveryScheduler: one timer for every stream. Streams sit in a min-heap keyed by the time
// their next packet is due; the timer is armed for the earliest, and on firing each due stream
// sends what is due and is put back with its new due time.

export interface ScheduledStream {
  /** ms on the scheduler's clock when the next packet is due; undefined = nothing to do */
  nextDue(): number | undefined;
  /** send everything due at or before `now` */
  sendDue(now: number): void;
}

interface Entry {
  due: number;
  stream: ScheduledStream;
  gen: number;
}

export class DeliveryScheduler {
  private heap: Entry[] = [];
  private readonly gens = new Map<ScheduledStream, number>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(readonly clock: () => number = () => performance.now()) {}

  get size(): number {
    return this.gens.size;
  }

  /** (Re)computes the stream's due time; call after anything changes it (start, seek, resume, data arrived). */
  schedule(stream: ScheduledStream): void {
    const gen = (this.gens.get(stream) ?? 0) + 1;
    this.gens.set(stream, gen);
    const due = stream.nextDue();
    if (due !== undefined) this.push({ due, stream, gen });
    this.arm();
  }

  remove(stream: ScheduledStream): void {
    this.gens.delete(stream); // heap entries die lazily
    if (this.gens.size === 0) this.disarm();
  }

  close(): void {
    this.gens.clear();
    this.heap = [];
    this.disarm();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    this.dropStale();
    const top = this.heap[0];
    if (!top) return this.disarm();
    if (this.timer && top.due >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = top.due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, top.due - this.clock()));
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock();
    const due: Entry[] = [];
    // setTimeout may wake a fraction of a ms early; treat that as on time
    while (this.heap.length > 0 && this.heap[0]!.due <= now + 0.5) {
      const e = this.pop()!;
      if (this.gens.get(e.stream) === e.gen) due.push(e);
    }
    for (const e of due) {
      if (this.gens.get(e.stream) !== e.gen) continue;
      try {
        e.stream.sendDue(now);
      } finally {
        if (this.gens.has(e.stream)) this.schedule(e.stream);
      }
    }
    this.arm();
  }

  private dropStale(): void {
    while (this.heap.length > 0 && this.gens.get(this.heap[0]!.stream) !== this.heap[0]!.gen) this.pop();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= h[i]!.due) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.due < h[m]!.due) m = l;
        if (r < h.length && h[r]!.due < h[m]!.due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
