// The stream bench's load client, in its own process so that what it measures is the server's
// delivery, not the server's event loop (the old bench received RTP inside the server process).
// bench/run.mjs bundles it to out/bench/lib/load-client.cjs.
//
//   play:  --url U --clients N --transport udp|tcp [--stagger 10] [--warmup 2000] [--window 6000]
//          N RTSP clients (DESCRIBE/SETUP/PLAY, src/loadgen's client) started `stagger` ms apart;
//          `warmup` ms after the last one plays, packets are recorded for `window` ms.
//   churn: --mode churn --url U --clients M --window MS [--rate R]
//          M clients, each on its own connection, loop DESCRIBE/SETUP(UDP)/PLAY/TEARDOWN as fast
//          as they can (or R cycles/s in all) and record every request's round trip.
//
// stdout: {"event":"window-start"} and {"event":"window-end"} as they happen (so the parent can
// read the server's CPU time and inject stalls over the same window), then one {"result":...}.
// A play result holds the lateness of all packets as a spread and as a compact CDF (percentiles).
import { parseArgs } from "node:util";
import { RtspLoadClient, type LoadTransport } from "../../src/loadgen/rtsp-load-client";
import { bindUdpPortPair, closeUdpPortPair } from "../../src/streamsim/delivery/udp-port-pair";
import { StreamRecord, spread } from "./lateness";
import { controlUrl, RtspConn } from "./rtsp-conn";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const emit = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");
const round = (x: number) => Math.round(x * 1000) / 1000;
const rounded = (s: ReturnType<typeof spread>) => ({ p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max) });

/** The lateness CDF of all packets, compact: [percent, ms] at every 1% and at 99.5, 99.9 (npm run eval plots it). */
const CDF_AT = [...Array.from({ length: 100 }, (_, i) => i), 99.5, 99.9, 100];
function cdf(xs: number[]): [number, number][] {
  if (!xs.length) return [];
  const s = Float64Array.from(xs).sort();
  return CDF_AT.map((p) => [p, round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!)]);
}

/** A stream that delivered less than this share of the clip's ~90 packets/s did not really play. */
const MIN_PACKETS_PER_SEC = 20;

async function play(url: string, n: number, transport: LoadTransport, staggerMs: number, warmupMs: number, windowMs: number): Promise<unknown> {
  const clients = Array.from({ length: n }, () => new RtspLoadClient(url, { transport, requestTimeoutMs: 10_000 }));
  const records = clients.map(() => new StreamRecord());
  let recording = false;
  clients.forEach((c, i) => {
    // tap the client's packet counter: every RTP packet it receives, with its arrival time
    const count = c.rx.onRtp.bind(c.rx);
    c.rx.onRtp = (pkt, arrivalMs, hz) => {
      if (recording) records[i]!.add(pkt, arrivalMs);
      return count(pkt, arrivalMs, hz);
    };
  });
  try {
    const starts: Promise<void>[] = [];
    for (const c of clients) {
      starts.push(c.start().catch(() => undefined)); // a failed client keeps its reason
      await sleep(staggerMs);
    }
    await Promise.all(starts);
    await sleep(warmupMs);
    emit({ event: "window-start" });
    recording = true;
    await sleep(windowMs);
    recording = false;
    emit({ event: "window-end" });
  } finally {
    await Promise.race([Promise.all(clients.map((c) => c.stop())), sleep(3000)]);
  }
  const figures = records.map((r) => r.figures());
  const all = figures.flatMap((f) => f.lateness);
  const failed = clients.filter((c) => c.state === "failed");
  const starved = figures.filter((f, i) => clients[i]!.state !== "failed" && f.packets < (MIN_PACKETS_PER_SEC * windowMs) / 1000).length;
  const errors = [...new Set(failed.map((c) => c.error ?? "?"))].slice(0, 5);
  return {
    mode: "play",
    clients: n,
    transport,
    windowMs,
    failed: failed.length,
    refused: failed.filter((c) => /\b453\b/.test(c.error ?? "")).length,
    starved,
    errors,
    packets: figures.reduce((a, f) => a + f.packets, 0),
    lost: figures.reduce((a, f) => a + f.lost, 0),
    lateness: rounded(spread(all)),
    cdf: cdf(all),
    perStream: figures.map((f) => ({ packets: f.packets, lost: f.lost, ...rounded(spread(f.lateness)) })),
  };
}

async function churn(url: string, m: number, windowMs: number, rate: number): Promise<unknown> {
  const rtt: Record<string, number[]> = { DESCRIBE: [], SETUP: [], PLAY: [], TEARDOWN: [] };
  const errors = new Map<string, number>();
  let cycles = 0;
  let end = Infinity;
  const timed = async (c: RtspConn, method: string, u: string, h: Record<string, string> = {}) => {
    const t = performance.now();
    const r = await c.request(method, u, h);
    if (r.status !== 200) throw new Error(`${method}: ${r.status} ${r.reason}`);
    rtt[method]!.push(performance.now() - t);
    return r;
  };
  const worker = async (): Promise<void> => {
    // one UDP port pair per client for all its cycles: the server's few packets land somewhere
    const udp = await bindUdpPortPair("127.0.0.1");
    udp.rtp.on("message", () => {});
    udp.rtcp.on("message", () => {});
    let c: RtspConn | undefined;
    try {
      for (let k = 0; performance.now() < end; k++) {
        const due = performance.now() + (rate > 0 ? (m * 1000) / rate : 0);
        try {
          if (!c || c.closed) c = await RtspConn.open(url);
          c.session = undefined;
          const d = await timed(c, "DESCRIBE", url, { Accept: "application/sdp" });
          const s = await timed(c, "SETUP", controlUrl(url, d), { Transport: `RTP/AVP;unicast;client_port=${udp.ports[0]}-${udp.ports[1]}` });
          c.session = s.headers.get("session")?.split(";")[0]?.trim();
          await timed(c, "PLAY", url, { Range: "npt=0.000-" });
          await timed(c, "TEARDOWN", url);
          cycles++;
        } catch (e) {
          const why = (e as Error).message;
          errors.set(why, (errors.get(why) ?? 0) + 1);
          c?.close(); // start the next cycle on a fresh connection
          await sleep(50);
        }
        const wait = due - performance.now();
        if (wait > 0) await sleep(Math.min(wait, end - performance.now()));
      }
    } finally {
      c?.close();
      closeUdpPortPair(udp);
    }
  };
  end = performance.now() + windowMs;
  emit({ event: "window-start" });
  const workers: Promise<void>[] = [];
  for (let i = 0; i < m; i++) {
    workers.push(worker());
    if (rate > 0) await sleep(1000 / rate); // spread a paced churn evenly
  }
  await Promise.all(workers);
  emit({ event: "window-end" });
  const all = Object.values(rtt).flat();
  return {
    mode: "churn",
    clients: m,
    windowMs,
    cycles,
    requests: all.length,
    errors: [...errors].map(([why, k]) => `${k}x ${why}`).slice(0, 5),
    errorCount: [...errors.values()].reduce((a, b) => a + b, 0),
    rtt: rounded(spread(all)),
    byMethod: Object.fromEntries(Object.entries(rtt).map(([k, v]) => [k, rounded(spread(v))])),
  };
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      mode: { type: "string", default: "play" },
      url: { type: "string" },
      clients: { type: "string", default: "1" },
      transport: { type: "string", default: "udp" },
      stagger: { type: "string", default: "10" },
      warmup: { type: "string", default: "2000" },
      window: { type: "string", default: "6000" },
      rate: { type: "string", default: "0" },
    },
  });
  if (!v.url) throw new Error("--url is required");
  const n = Number(v.clients);
  const result =
    v.mode === "churn" ? await churn(v.url, n, Number(v.window), Number(v.rate)) : await play(v.url, n, v.transport === "tcp" ? "tcp" : "udp", Number(v.stagger), Number(v.warmup), Number(v.window));
  emit({ result });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
