// Sleeps the engine's thread until a wall-clock instant, precisely: Atomics.wait for all but
// the last stretch, then a short spin. A timer wakes ~50-100 µs late on these machines, so the
// wait ends early by how late its wake-ups typically are (plus a margin), and the spin covers
// only the rest: a fixed 150 µs spin cost the engine's thread ~10% of a core at 1,000 wake-ups a
// second. A wait that wakes later than usual leaves the wake-up late by the difference (tens of
// µs, against the 5 ms a packet may be late). A post from the main thread (a linkage datagram)
// wakes it early through the shared flag. It records how late each wake-up was, so the jitter
// it leaves can be reported.
//
// The flag's second word says the thread is in Atomics.wait, so a post notifies only then: most
// posts land while a step runs, and Atomics.notify on every one (a lock V8 shares with the
// waiting thread, then the wake-up of a thread that outranks the poster) was ~8% of the main
// thread's profile under an RTSP churn. Both words are sequentially consistent atomics: either the
// poster sees the thread asleep and notifies, or the thread's wait sees the flag already set.

/** The spin: this much past the typical oversleep, and never longer than SPIN_MAX_MS. */
const SPIN_MARGIN_MS = 0.02;
const SPIN_MAX_MS = 0.15;
/** Looks at the wake flag between two readings of the clock in the spin (each ~5 ns: the spin ends within ~0.3 µs of its target). */
const SPIN_POLLS = 64;
/** Weight of each new wake-up in the typical oversleep (a moving average). */
const OVERSLEEP_WEIGHT = 0.05;
/** Longest sleep, so the thread still serves its event loop (sockets, messages) regularly. */
const MAX_SLEEP_MS = 5;

/** The shared flag's words (Int32 indices): a post is waiting; the engine's thread is asleep. */
const WAKE = 0;
const ASLEEP = 1;
/** Bytes of the SharedArrayBuffer a Pacer and wakeEngine share. */
export const WAKE_FLAG_BYTES = 8;

export class Pacer {
  private readonly flag: Int32Array;
  private lateUs: number[] = [];
  /** How late Atomics.wait typically wakes up, ms (a moving average of its recent wake-ups). */
  private oversleepMs = 0.1;

  constructor(wake: SharedArrayBuffer) {
    this.flag = new Int32Array(wake);
  }

  /** Blocks until wall time `untilMs` (performance.now() scale) or a wake-up from the main thread. */
  sleepUntil(untilMs: number): void {
    const now = performance.now();
    const target = Math.min(untilMs, now + MAX_SLEEP_MS);
    const coarse = target - Math.min(SPIN_MAX_MS, this.oversleepMs + SPIN_MARGIN_MS) - now;
    if (coarse > 0) {
      Atomics.store(this.flag, ASLEEP, 1);
      const woke = Atomics.wait(this.flag, WAKE, 0, coarse);
      Atomics.store(this.flag, ASLEEP, 0);
      if (woke !== "timed-out") {
        Atomics.store(this.flag, WAKE, 0);
        return; // woken: a message waits
      }
      const over = performance.now() - now - coarse;
      this.oversleepMs += (Math.min(over, SPIN_MAX_MS) - this.oversleepMs) * OVERSLEEP_WEIGHT;
    }
    // The clock is read every SPIN_POLLS looks at the flag: performance.now() allocates (an
    // hrtime pair) on this Node, and reading it on every turn was ~14% of all the engine
    // thread's allocation under load, so of its scavenges (every 16th: still ~7% at 192 streams).
    for (let polls = 0; polls % SPIN_POLLS !== 0 || performance.now() < target; polls++) {
      if (Atomics.load(this.flag, WAKE) !== 0) {
        Atomics.store(this.flag, WAKE, 0);
        return;
      }
    }
    const late = (performance.now() - target) * 1000;
    if (this.lateUs.length < 100_000) this.lateUs.push(late);
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

/** The main thread's side, after a post: flags it, and wakes the engine's thread if it sleeps. */
export function wakeEngine(flag: Int32Array): void {
  if (Atomics.exchange(flag, WAKE, 1) === 0 && Atomics.load(flag, ASLEEP) !== 0) Atomics.notify(flag, WAKE);
}
