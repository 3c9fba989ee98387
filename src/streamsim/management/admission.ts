// Admission control: a stream is admitted only if its reserved bit rate fits in what the
// delivery backend declares it can carry (the QoS guarantee the thesis's engine is built for).
export class AdmissionControl {
  private reservedBps = 0;
  private rejectedCount = 0;

  constructor(private readonly capacity: () => number) {}

  get reserved(): number {
    return this.reservedBps;
  }

  get rejected(): number {
    return this.rejectedCount;
  }

  get capacityBps(): number {
    return this.capacity();
  }

  /** true and reserved, or false (counted as a rejection) when it would exceed capacity */
  reserve(bps: number): boolean {
    if (this.reservedBps + bps > this.capacity()) {
      this.rejectedCount++;
      return false;
    }
    this.reservedBps += bps;
    return true;
  }

  release(bps: number): void {
    this.reservedBps = Math.max(0, this.reservedBps - bps);
  }
}
