// Statistics: the 8254x counters the guest reads (SDM 13.7) and the VMM-side counters.
import { BPRC, BPTC, ETH_FCS_LEN, GORCL, GOTCL, GPRC, GPTC, MPRC, MPTC, PRC64, PTC64, TORL, TOTL, TPR, TPT } from "./e1000-regs.js";

/** VMM-side counters (never cleared by the guest; kept across device resets). */
export interface E1000Stats {
  /** Frames offered to receive(). */
  rxFrames: number;
  rxDelivered: number;
  rxDropped: { disabled: number; filtered: number; ringFull: number; fault: number };
  /** Frames handed to the transmit listeners. */
  txFrames: number;
  txDropped: { fault: number; linkDown: number };
  /** Faults recorded since construction (the bounded list keeps only the newest). */
  faults: number;
}

export function emptyStats(): E1000Stats {
  return {
    rxFrames: 0,
    rxDelivered: 0,
    rxDropped: { disabled: 0, filtered: 0, ringFull: 0, fault: 0 },
    txFrames: 0,
    txDropped: { fault: 0, linkDown: 0 },
    faults: 0,
  };
}

export function cloneStats(s: E1000Stats): E1000Stats {
  return { ...s, rxDropped: { ...s.rxDropped }, txDropped: { ...s.txDropped } };
}

const U32_MAX = 0xffffffff;

/** Saturating 32-bit counter increment (the 8254x counters stick at their maximum). */
export function bumpStat(regs: Uint32Array, offset: number, n = 1): void {
  const i = offset >> 2;
  regs[i] = Math.min(U32_MAX, regs[i]! + n);
}

/** Saturating 64-bit counter held in a low/high register pair. */
export function bumpStat64(regs: Uint32Array, lowOffset: number, n: number): void {
  const lo = lowOffset >> 2;
  const sum = regs[lo]! + n;
  regs[lo] = sum >>> 0;
  if (sum > U32_MAX) {
    const carry = Math.floor(sum / 0x100000000);
    if (regs[lo + 1]! + carry > U32_MAX) {
      regs[lo] = U32_MAX;
      regs[lo + 1] = U32_MAX;
    } else {
      regs[lo + 1] = regs[lo + 1]! + carry;
    }
  }
}

/** Offset of the size-bucket counter (64, 65-127, ..., 1024-1522 bytes with FCS), or -1. */
function sizeBucket(first: number, wireLength: number): number {
  if (wireLength > 1522) return -1;
  const limits = [64, 127, 255, 511, 1023, 1522];
  const k = limits.findIndex((l) => wireLength <= l);
  return first + 4 * k;
}

/** Counts one good frame (bytes without FCS) in the guest-visible receive or transmit counters. */
export function countFrame(regs: Uint32Array, dir: "rx" | "tx", frame: Uint8Array): void {
  const wire = frame.length + ETH_FCS_LEN; // octet counters include the FCS (SDM 13.7)
  const bcast = frame.length >= 6 && (frame[0]! & frame[1]! & frame[2]! & frame[3]! & frame[4]! & frame[5]!) === 0xff;
  const mcast = !bcast && frame.length >= 1 && (frame[0]! & 1) === 1;
  const rx = dir === "rx";
  bumpStat(regs, rx ? GPRC : GPTC);
  bumpStat(regs, rx ? TPR : TPT);
  bumpStat64(regs, rx ? GORCL : GOTCL, wire);
  bumpStat64(regs, rx ? TORL : TOTL, wire);
  const bucket = sizeBucket(rx ? PRC64 : PTC64, wire);
  if (bucket >= 0) bumpStat(regs, bucket);
  if (bcast) bumpStat(regs, rx ? BPRC : BPTC);
  if (mcast) bumpStat(regs, rx ? MPRC : MPTC);
}
