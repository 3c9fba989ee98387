// Sleeps the engine's thread until a wall-clock instant, precisely: Atomics.wait for all but
// the last stretch (a timer wakes ~50-100 µs late on these machines), then a short spin. A
// post from the main thread (a linkage datagram) wakes it early through the shared flag.
// It records how late each wake-up was, so the jitter it leaves can be reported.

/** Spin this long at most: below it, Atomics.wait's own wake-up lateness dominates. */
const SPIN_MS = 0.15;
/** Longest sleep, so the thread still serves its event loop (sockets, messages) regularly. */
const MAX_SLEEP_MS = 5;

export class Pacer {
  private readonly flag: Int32Array;
  private lateUs: number[] = [];

  constructor(wake: SharedArrayBuffer) {
    this.flag = new Int32Array(wake);
  }

  /** Blocks until wall time `untilMs` (performance.now() scale) or a wake-up from the main thread. */
  sleepUntil(untilMs: number): void {
    const target = Math.min(untilMs, performance.now() + MAX_SLEEP_MS);
    const coarse = target - SPIN_MS - performance.now();
    if (coarse > 0 && Atomics.wait(this.flag, 0, 0, coarse) !== "timed-out") {
      Atomics.store(this.flag, 0, 0);
      return; // woken: a message waits
    }
    while (performance.now() < target) {
      if (Atomics.load(this.flag, 0) !== 0) {
        Atomics.store(this.flag, 0, 0);
        return;
      }
    }
    const late = (performance.now() - target) * 1000;
    if (this.lateUs.length < 100_000) this.lateUs.push(late);
  }

  /** True (and cleared) if the main thread posted since the last look. */
  takeWake(): boolean {
    return Atomics.exchange(this.flag, 0, 0) !== 0;
  }

  /** Wake-up lateness (µs) since the last call. */
  jitter(): { p50: number; p99: number; max: number } {
    const a = this.lateUs.sort((x, y) => x - y);
    this.lateUs = [];
    if (!a.length) return { p50: 0, p99: 0, max: 0 };
    const q = (p: number) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]!;
    return { p50: q(50), p99: q(99), max: a[a.length - 1]! };
  }
}

/** The main thread's side: wakes the engine's thread after a post. */
export function wakeEngine(wake: SharedArrayBuffer): void {
  const flag = new Int32Array(wake);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
