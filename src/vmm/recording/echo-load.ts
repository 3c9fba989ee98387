// Scenario traffic for recordings: UDP echo datagrams injected on the machine's wire at a mean
// rate with an arrival jitter (seeded, so a scenario is repeatable), optionally in bursts.
// Payloads carry "seq=NNNNNNNNNN:" and a pattern the guest checks when its demonstration race
// is on (guest/net/echo.c), and all frames of one load share their headers (same length,
// ports, IP id 0, UDP checksum 0), so a frame overwritten mid-read shows only in the payload.
import { buildUdpFrame } from "../../net";
import type { Machine } from "../machine";

export interface EchoLoad {
  /** Mean arrivals per virtual second. */
  rate: number;
  /** Each arrival is shifted by a uniform random offset in [0, jitterNs). Default: one period. */
  jitterNs?: number;
  /** Frames per arrival (default 1): a burst fills the receive ring at once. */
  burst?: number;
  /** UDP payload bytes (default 256, at least 16). */
  payloadBytes?: number;
  /** Virtual time of the first arrival (default 150 ms, after boot) and of the last. */
  startNs?: number;
  endNs: number;
  seed?: number;
  /** Sequence number of the first frame (default 0). */
  firstSeq?: number;
  /** The guest the frames go to (default GUEST_ADDR: the VMM's default MAC, the guest's default IP). */
  guest?: { mac: string; ip: string };
}

export const GUEST_ADDR = { mac: "52:54:00:12:34:56", ip: "10.0.2.15" } as const;
export const PEER_ADDR = { mac: "52:54:00:aa:bb:cc", ip: "10.0.2.2" } as const;
export const ECHO_SRC_PORT = 40007;

/** The payload of sequence number `seq`: "seq=%010u:" then bytes (seq + k) & 0xff. */
export function sequencePayload(seq: number, length: number): Uint8Array {
  const p = new Uint8Array(Math.max(16, length));
  const head = `seq=${String(seq >>> 0).padStart(10, "0")}:`;
  for (let k = 0; k < p.length; k++) p[k] = k < head.length ? head.charCodeAt(k) : (seq + k) & 0xff;
  return p;
}

export function echoFrame(seq: number, payloadBytes: number, guest: { mac: string; ip: string } = GUEST_ADDR): Uint8Array {
  const f = buildUdpFrame({
    srcMac: PEER_ADDR.mac,
    dstMac: guest.mac,
    srcIp: PEER_ADDR.ip,
    dstIp: guest.ip,
    srcPort: ECHO_SRC_PORT,
    dstPort: 7,
    payload: sequencePayload(seq, payloadBytes),
    identification: 0,
  });
  f[14 + 20 + 6] = 0; // UDP checksum 0: "not computed" (RFC 768)
  f[14 + 20 + 7] = 0;
  return f;
}

/** Queues the whole load on the wire; returns the number of frames injected. */
export function injectEchoLoad(m: Machine, load: EchoLoad): number {
  return echoLoadFeeder(m, load)(Infinity);
}

/** How many frames the whole load is (without building them). */
export function echoLoadFrameCount(load: EchoLoad): number {
  const period = 1e9 / load.rate;
  let n = 0;
  for (let t = load.startNs ?? 150e6; t < load.endNs; t += period) n++;
  return n * Math.max(1, Math.floor(load.burst ?? 1));
}

/**
 * The same load, queued a piece at a time: each call queues the arrivals before `untilNs` not
 * queued yet and returns how many frames that was. A long run fed ahead of its virtual time
 * holds only the next piece in memory, not the whole run's frames; the frames and their times
 * are the ones injectEchoLoad would queue.
 */
export function echoLoadFeeder(m: Machine, load: EchoLoad): (untilNs: number) => number {
  if (!(load.rate > 0)) throw new RangeError(`echo load rate must be positive, got ${load.rate}`);
  const period = 1e9 / load.rate;
  const jitter = load.jitterNs ?? period;
  const burst = Math.max(1, Math.floor(load.burst ?? 1));
  const bytes = load.payloadBytes ?? 256;
  let rng = (load.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    rng >>>= 0;
    return rng / 2 ** 32;
  };
  let seq = load.firstSeq ?? 0;
  let t = load.startNs ?? 150e6;
  // The next arrival, drawn but not queued yet (its time decides which call queues it).
  let at = t < load.endNs ? Math.round(t + random() * jitter) : Infinity;
  return (untilNs) => {
    let n = 0;
    while (at < untilNs) {
      for (let b = 0; b < burst; b++) m.wire.inject(echoFrame(seq++, bytes, load.guest), at);
      n += burst;
      t += period;
      at = t < load.endNs ? Math.round(t + random() * jitter) : Infinity;
    }
    return n;
  };
}
