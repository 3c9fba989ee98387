// Admission from what is measured: how many bits/s one engine can deliver on this machine,
// derived from its thread's cost and its deadline misses, not from a declared number.
//
// The engine's thread spends a fixed cost per second (its 1 kHz timer ticks, pacing) and a
// marginal cost per packet. Reports with no packets measure the fixed part; loaded reports the
// marginal part, taken from the most loaded reports of the last seconds: a packet costs several
// times more at light load (~100 µs at 800 packets/s against ~25 µs at 6,000: per-tick work
// shared by fewer packets, and guest code the emulator's JIT has not compiled yet), so a cost
// measured at light load would refuse streams the engine has room for. The limit is the packet rate that keeps the thread below TARGET_BUSY of a core,
// in bits/s at the mean packet size. A deadline miss (the guest saw a packet go out late, or
// packets left the host late), repeated over a second and a half while the engine is near its
// budget, caps the limit just below the load it happened at; clean reports let it grow back
// slowly. Misses while the engine has room (a busy machine descheduling its thread, the JIT
// warming up) are not the engine's capacity: admitting fewer streams would not cure them.
// Reports while the engine handled more than a few linkage commands a second (streams starting
// and stopping) do not count towards the marginal cost either: the guest's and the gateway's
// work on START and STOP was charged to the packets, and an RTSP churn of 100 clients put the
// cost at 80 µs a packet against ~30 without it, which kept the limit at a third of the
// engine's capacity for the 20 s those reports were remembered.
import type { EngineLoad } from "./engine-messages";

/** Share of a core the engine's thread may use: the rest is headroom for the pacer's jitter. */
const TARGET_BUSY = 0.7;
/**
 * Reports with fewer packets per second than this say little about the per-packet cost (the
 * thread's fixed cost and CPU-time granularity dominate): below it the declared limit stands.
 */
const MIN_PPS = 500;
/** Loaded reports kept for the marginal cost (20 s), and the band of them that counts: within this share of the most loaded. */
const RECENT_REPORTS = 40;
const TOP_BAND = 0.7;
/** After a miss, the limit grows back this much per clean report. */
const RECOVERY = 1.02;
/** A miss counts against capacity only while the engine's thread (or its guest CPU) is this near its budget. */
const NEAR_BUDGET = 0.8;
/** Linkage commands per second above which a report says nothing about the cost of a packet. */
const QUIET_COMMANDS_PER_SEC = 4;
/** Misses in this many reports in a row (1.5 s) cap the limit: one hiccup (a GC, a descheduled thread) does not. */
const MISS_REPORTS = 3;

export interface CapacityEstimate {
  /** the admission limit, bits/s */
  bps: number;
  /** fixed cost of the engine's thread, ms per wall second */
  fixedMsPerSec: number | undefined;
  /** marginal cost per packet, µs */
  usPerPacket: number | undefined;
  /** why the limit is what it is */
  basis: "declared" | "measured" | "deadline-misses";
}

export class MeasuredCapacity {
  private fixed: number | undefined;
  private marginal: number | undefined;
  /** Loaded reports' packet rate and marginal cost (µs per packet), oldest first. */
  private readonly recent: { pps: number; us: number }[] = [];
  private bitsPerPacket = 1316 * 8;
  private missCap: number | undefined;
  private lastMisses: number | undefined;
  private missStreak = 0;

  /** `declaredBps`: what the engine says in HELLO; the limit never exceeds it. */
  constructor(private readonly declaredBps: number) {}

  /**
   * One report of the engine's thread (its interval's figures), the guest's cumulative miss
   * count, and how many linkage commands the engine was sent in the interval.
   */
  update(load: EngineLoad, intervalSec: number, guestMisses: number | undefined, commands = 0): void {
    const pps = load.packets / intervalSec;
    const busyMs = load.threadBusyRatio * 1000;
    // the fixed cost is a floor: an idle report costs more only by noise (start-up, JIT warm-up)
    if (load.packets === 0) this.fixed = Math.min(this.fixed ?? Infinity, busyMs);
    else if (pps >= MIN_PPS && this.fixed !== undefined && commands / intervalSec <= QUIET_COMMANDS_PER_SEC) {
      this.recent.push({ pps, us: Math.max(1, ((busyMs - this.fixed) * 1000) / pps) });
      if (this.recent.length > RECENT_REPORTS) this.recent.shift();
      this.marginal = topBandCost(this.recent);
      if (load.bytes > 0) this.bitsPerPacket = (load.bytes * 8) / load.packets;
    }
    const bps = pps * this.bitsPerPacket;
    // late where it counts: the guest scheduled it late, or over 1% left the host more than 5 ms late
    const missed = (guestMisses !== undefined && this.lastMisses !== undefined && guestMisses > this.lastMisses) || load.lateOver5ms > load.packets / 100;
    if (guestMisses !== undefined) this.lastMisses = guestMisses;
    const nearBudget = load.threadBusyRatio >= NEAR_BUDGET * TARGET_BUSY || load.busyRatio >= NEAR_BUDGET;
    this.missStreak = missed && nearBudget && pps >= MIN_PPS ? this.missStreak + 1 : 0;
    if (this.missStreak >= MISS_REPORTS) this.missCap = Math.min(this.missCap ?? Infinity, bps * 0.95);
    else if (!missed && this.missCap !== undefined) this.missCap *= RECOVERY;
  }

  estimate(): CapacityEstimate {
    let bps = this.declaredBps;
    let basis: CapacityEstimate["basis"] = "declared";
    if (this.fixed !== undefined && this.marginal !== undefined) {
      const pps = Math.max(0, (TARGET_BUSY * 1000 - this.fixed) * 1000) / this.marginal;
      const measured = pps * this.bitsPerPacket;
      if (measured < bps) {
        bps = measured;
        basis = "measured";
      }
    }
    if (this.missCap !== undefined && this.missCap < bps) {
      bps = this.missCap;
      basis = "deadline-misses";
    }
    return { bps, fixedMsPerSec: this.fixed, usPerPacket: this.marginal, basis };
  }
}

/** The median marginal cost of the reports within TOP_BAND of the most loaded one. */
function topBandCost(reports: readonly { pps: number; us: number }[]): number {
  const top = Math.max(...reports.map((r) => r.pps));
  const us = reports
    .filter((r) => r.pps >= TOP_BAND * top)
    .map((r) => r.us)
    .sort((a, b) => a - b);
  const m = us.length >> 1;
  return us.length % 2 ? us[m]! : (us[m - 1]! + us[m]!) / 2;
}
