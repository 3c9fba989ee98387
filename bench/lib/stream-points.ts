// One measured point of the stream bench against a running server: N streams played by the
// out-of-process load client, with the server's CPU time over the same window, optionally with
// a churn of RTSP clients or main-thread stalls alongside; and the capacity ladder built on it.
import { type ChurnResult, type PlayResult, runLoadClient } from "./load-run";
import { cpuSeconds, threadCpuSeconds } from "./proc-stats";
import { httpGet, type RunningServer } from "./servers";
import { fmt, row } from "./report";

export interface Timing {
  warmupMs: number;
  windowMs: number;
  staggerMs: number;
}

export interface Point {
  n: number;
  transport: "udp" | "tcp";
  r: PlayResult | undefined;
  /** why the point has no result */
  error?: string;
  /** server CPU seconds (all threads) over the window */
  cpuSec: number;
  /** of which the server's main thread (for lvmm: the RTSP front, management, the linkage's client) */
  mainCpuSec: number;
  /**
   * What the server's own /metrics said over the window (lvmm only): the upper bound, ms, of the
   * lateness bucket that holds its 99th percentile, and its share of packets over 5 ms. Beside
   * the clients' figures, so a user can see whether the product's numbers agree with theirs.
   */
  served?: { p99AtMostMs: number; over5msShare: number };
  pass: boolean;
}

/** rtsp_delivery_lateness_seconds' cumulative buckets, by upper bound in seconds. */
async function latenessBuckets(port: number): Promise<Map<number, number> | undefined> {
  try {
    const text = await httpGet(port, "/metrics");
    const m = new Map<number, number>();
    for (const x of text.matchAll(/^rtsp_delivery_lateness_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) m.set(x[1] === "+Inf" ? Infinity : Number(x[1]), Number(x[2]));
    return m.size ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The server's own lateness figures between two scrapes of its histogram. */
function servedLateness(a: Map<number, number>, b: Map<number, number>): Point["served"] {
  const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0);
  if (total <= 0) return undefined;
  const upTo = (le: number) => (b.get(le) ?? 0) - (a.get(le) ?? 0);
  const p99 = [...b.keys()].sort((x, y) => x - y).find((le) => upTo(le) >= 0.99 * total) ?? Infinity;
  return { p99AtMostMs: p99 * 1000, over5msShare: 1 - upTo(0.005) / total };
}

export const P99_LIMIT_MS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PointOptions {
  transport?: "udp" | "tcp";
  /** busy-wait the server's main thread this long once a second over the window (lvmm only) */
  stallMs?: number;
  /** run alongside, from the start of the window: another load client (churn) */
  alongside?: () => Promise<unknown>;
}

export async function playPoint(root: string, s: RunningServer, n: number, t: Timing, o: PointOptions = {}): Promise<Point> {
  const transport = o.transport ?? "udp";
  let cpu0 = NaN;
  let cpu1 = NaN;
  let main0 = NaN;
  let main1 = NaN;
  let stall: NodeJS.Timeout | undefined;
  let along: Promise<unknown> | undefined;
  let scrape0: Promise<Map<number, number> | undefined> | undefined;
  let scrape1: Promise<Map<number, number> | undefined> | undefined;
  const args = ["--url", s.url, "--clients", String(n), "--transport", transport, "--stagger", String(t.staggerMs), "--warmup", String(t.warmupMs), "--window", String(t.windowMs)];
  try {
    const r = await runLoadClient(root, args, {
      start: () => {
        cpu0 = cpuSeconds(s.pid);
        main0 = threadCpuSeconds(s.pid);
        if (s.metricsPort !== undefined) scrape0 = latenessBuckets(s.metricsPort);
        if (o.stallMs && s.metricsPort !== undefined) {
          const port = s.metricsPort;
          stall = setInterval(() => void httpGet(port, `/bench/stall?ms=${o.stallMs}`).catch(() => {}), 1000);
        }
        if (o.alongside) along = o.alongside();
      },
      end: () => {
        cpu1 = cpuSeconds(s.pid);
        main1 = threadCpuSeconds(s.pid);
        if (s.metricsPort !== undefined) scrape1 = latenessBuckets(s.metricsPort);
        clearInterval(stall);
      },
    });
    const pass = r.failed === 0 && r.starved === 0 && r.lost === 0 && r.lateness.p99 <= P99_LIMIT_MS;
    const [b0, b1] = await Promise.all([scrape0, scrape1]);
    const served = b0 && b1 ? servedLateness(b0, b1) : undefined;
    return { n, transport, r, cpuSec: cpu1 - cpu0, mainCpuSec: main1 - main0, ...(served ? { served } : {}), pass };
  } catch (e) {
    return { n, transport, r: undefined, error: (e as Error).message.split("\n")[0], cpuSec: NaN, mainCpuSec: NaN, pass: false };
  } finally {
    clearInterval(stall);
    await along?.catch(() => undefined);
    await sleep(500); // let the server finish its TEARDOWNs before the next point
  }
}

/** Server CPU microseconds per packet the clients received. */
export const cpuUsPerPacket = (p: Point | undefined): number => (p?.r && p.r.packets > 0 ? (p.cpuSec * 1e6) / p.r.packets : NaN);

/** Of that, the server's main thread's microseconds per packet. */
export const mainUsPerPacket = (p: Point | undefined): number => (p?.r && p.r.packets > 0 ? (p.mainCpuSec * 1e6) / p.r.packets : NaN);

export function showPoint(label: string, p: Point): void {
  if (!p.r) return row(label, "FAIL", p.error ?? "no result");
  const r = p.r;
  const l = r.lateness;
  const served = p.served ? `; server's /metrics: p99 <= ${fmt(p.served.p99AtMostMs, 0)} ms, ${fmt(p.served.over5msShare * 100, 2)}% over 5 ms` : "";
  const refused = r.refused ? ` (${r.refused} refused by admission: 453)` : "";
  const bad = r.failed + r.starved ? `, ${r.failed} of ${r.clients} streams failed${refused} + ${r.starved} starved${r.errors.length ? `: ${r.errors.join("; ")}` : ""}` : "";
  row(
    label,
    p.pass ? "pass" : "FAIL",
    `lateness p50 ${fmt(l.p50, 2)} p99 ${fmt(l.p99, 2)} max ${fmt(l.max, 1)} ms, loss ${r.lost}/${r.packets + r.lost}, ${fmt(cpuUsPerPacket(p), 1)} µs CPU/pkt${bad}${served}`,
  );
}

/**
 * Zero-loss capacity at p99 lateness <= 5 ms: up the ladder until a rung fails, then one
 * bisection between the last pass and the first failure. Rungs in `alwaysAt` are measured even
 * past a failure (their lateness is reported at fixed stream counts).
 */
export async function capacityLadder(
  label: string,
  measure: (n: number) => Promise<Point>,
  ladder: number[],
  alwaysAt: number[],
  bisect: boolean,
): Promise<{ capacity: number; points: Map<number, Point> }> {
  const points = new Map<number, Point>();
  let good = 0;
  let bad: number | undefined;
  for (const n of ladder) {
    if (bad !== undefined && !alwaysAt.includes(n)) continue;
    const p = await measure(n);
    points.set(n, p);
    showPoint(`  ${label} ${n} streams`, p);
    if (bad === undefined) {
      if (p.pass) good = n;
      else bad = n;
    }
  }
  if (bisect && bad !== undefined && bad - good > 1) {
    const mid = Math.round((good + bad) / 2);
    const p = await measure(mid);
    points.set(mid, p);
    showPoint(`  ${label} ${mid} streams (bisection)`, p);
    if (p.pass) good = mid;
  }
  return { capacity: good, points };
}

/** `n` streams play while `m` clients loop DESCRIBE/SETUP/PLAY/TEARDOWN (at `rate` cycles/s in all, 0 = flat out). */
export async function churnPoint(root: string, s: RunningServer, n: number, m: number, rate: number, t: Timing): Promise<{ play: Point; churn: ChurnResult | undefined; error?: string }> {
  let churn: ChurnResult | undefined;
  let error: string | undefined;
  const churnMs = Math.max(500, t.windowMs - 1000); // inside the play window, process start included
  const play = await playPoint(root, s, n, t, {
    alongside: () =>
      runLoadClient<ChurnResult>(root, ["--mode", "churn", "--url", s.url, "--clients", String(m), "--window", String(churnMs), "--rate", String(rate)]).then(
        (r) => void (churn = r),
        (e: Error) => void (error = e.message.split("\n")[0]),
      ),
  });
  return { play, churn, ...(error ? { error } : {}) };
}
