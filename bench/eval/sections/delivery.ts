// Section 3: delivery against the conventional server. Capacity and lateness curves (streams →
// p99) of the I/O engine, the conventional path and gst-rtsp-server, from the stream benchmark's
// one run (bench/streams.bench.ts --json), and the lateness CDF of all three at one load.
import type { Section, SectionResult, Table } from "../section";
import { num, server, streamsBench, type PointJson, type ServerJson, type StreamsJson } from "../streams-run";

/** The load the CDF is drawn at: the largest stream count every server was measured at, up to 32. */
export function cdfLoad(j: StreamsJson): number | undefined {
  const measured = j.servers.filter((s) => !s.error);
  const common = j.fixed.filter((n) => n <= 32 && measured.every((s) => s.points.some((p) => p.n === n && p.cdf?.length)));
  return common.length ? Math.max(...common) : undefined;
}

/** The highest stream count every measured server has a CPU figure at (the CPU comparison's load). */
export function cpuLoad(j: StreamsJson): number | undefined {
  const measured = j.servers.filter((s) => !s.error);
  const common = j.fixed.filter((n) => measured.every((s) => num(s.points.find((p) => p.n === n)?.cpuUsPerPacket) !== undefined));
  return common.length ? Math.max(...common) : undefined;
}

const ladderText = (j: StreamsJson) => (j.quick ? "a quick run's few short points" : "the full ladder");
const at = (s: ServerJson | undefined, n: number): PointJson | undefined => s?.points.find((p) => p.n === n);
const f1 = (x: number | null | undefined, d = 1) => (num(x) === undefined ? "–" : x!.toFixed(d));

const delivery: Section = async (ctx) => {
  const j = await streamsBench(ctx);
  const eng = server(j, "ioengine");
  const conv = server(j, "conventional");
  const gst = server(j, "gst");
  if (!eng || eng.error || !conv || conv.error)
    throw new Error(`the streams bench measured no ${!eng || eng.error ? "I/O engine" : "conventional path"}: ${(eng?.error ?? conv?.error ?? "").split("\n")[0]}`);
  const haveGst = gst && !gst.error;
  const servers = [eng, conv, ...(haveGst ? [gst] : [])];
  const figures: Record<string, number> = {};
  for (const s of servers) {
    figures[`capacity.${s.kind}`] = s.capacity ?? 0;
    for (const p of s.points) {
      if (num(p.lateness?.p99) !== undefined) figures[`p99Ms.${s.kind}.${p.n}`] = p.lateness!.p99;
      if (num(p.cpuUsPerPacket) !== undefined) figures[`cpuUsPerPacket.${s.kind}.${p.n}`] = p.cpuUsPerPacket!;
    }
  }
  const capE = eng.capacity ?? 0;
  const capC = conv.capacity ?? 0;
  const capG = gst?.capacity ?? 0;
  const capRatio = capC > 0 ? capE / capC : undefined;
  if (capRatio !== undefined) figures["capacityRatio.ioengine/conventional"] = capRatio;
  if (haveGst && capG > 0) figures["capacityRatio.ioengine/gst"] = capE / capG;
  const nCpu = cpuLoad(j);
  const cpuE = nCpu !== undefined ? at(eng, nCpu)?.cpuUsPerPacket : undefined;
  const cpuC = nCpu !== undefined ? at(conv, nCpu)?.cpuUsPerPacket : undefined;
  const cpuRatio = num(cpuE) !== undefined && num(cpuC) !== undefined ? cpuC! / cpuE! : undefined;
  if (cpuRatio !== undefined) figures["cpuEfficiencyRatio.ioengine/conventional"] = cpuRatio;

  const capText =
    capRatio !== undefined
      ? `${capRatio.toFixed(2)}x`
      : capE > 0
        ? `no ratio (the conventional path passed no rung of this run's ladder, the I/O engine ${capE})`
        : `no ratio (neither passed a rung of this run's ladder, ${ladderText(j)})`;
  const ours =
    `capacity (zero loss, p99 ≤ ${j.p99LimitMs} ms) I/O engine ${capE} streams, conventional ${capC}${haveGst ? `, gst-rtsp-server ${capG}` : ""}: I/O engine / conventional = ${capText}` +
    (cpuRatio !== undefined ? `; server CPU per packet at ${nCpu} streams, conventional / I/O engine = ${cpuRatio.toFixed(2)}x (below 1: the engine costs more host CPU)` : "");

  const ladder = [...new Set(servers.flatMap((s) => s.points.map((p) => p.n)))].sort((a, b) => a - b);
  const curveTable: Table = {
    caption: `p99 lateness (ms) by streams; "!" marks a failed point (loss, a stream that did not play, or p99 > ${j.p99LimitMs} ms), "–" not measured`,
    columns: ["streams", ...servers.map((s) => s.name)],
    rows: ladder.map((n) => [n, ...servers.map((s) => (at(s, n) ? `${f1(at(s, n)!.lateness?.p99, 2)}${at(s, n)!.pass ? "" : "!"}` : "–"))]),
  };
  const cpuTable: Table = {
    caption: "Server CPU per delivered packet (µs, all of the server's threads, over the window) and delivered packets/s",
    columns: ["streams", ...servers.flatMap((s) => [`${s.name} µs/pkt`, `${s.name} pkt/s`])],
    rows: ladder.map((n) => [n, ...servers.flatMap((s) => [f1(at(s, n)?.cpuUsPerPacket), f1(at(s, n)?.packetsPerSec, 0)])]),
  };
  const capTable: Table = {
    caption: "Zero-loss capacity and the thesis's target",
    columns: ["server", "capacity, streams", "peak RSS, MiB", "RTSP round trip p95 under churn, ms"],
    rows: servers.map((s) => [s.name, s.capacity ?? 0, f1(s.rssMiB, 0), f1(s.churn?.rtt?.p95)]),
  };

  const curve = servers.flatMap((s) =>
    s.points.filter((p) => num(p.lateness?.p99) !== undefined).map((p) => ({ server: s.name, streams: p.n, p99: Math.max(0.01, p.lateness!.p99), point: p.pass ? "pass" : "fail" })),
  );
  const nCdf = cdfLoad(j);
  const cdf = nCdf === undefined ? [] : servers.flatMap((s) => (at(s, nCdf)?.cdf ?? []).map(([pct, ms]) => ({ server: s.name, percent: pct, lateness: Math.max(0.01, ms) })));
  if (nCdf !== undefined) {
    for (const s of servers) {
      const c = at(s, nCdf)?.cdf;
      const p50 = c?.find(([p]) => p === 50)?.[1];
      if (num(p50) !== undefined) figures[`cdfP50Ms.${s.kind}.${nCdf}`] = p50!;
    }
  }
  const plots: SectionResult["plots"] = [
    {
      file: "delivery-lateness.svg",
      caption: `p99 lateness against streams (log scale; squares passed, circles failed); the limit of a passing point is ${j.p99LimitMs} ms`,
      spec: {
        layer: [
          {
            data: { values: curve },
            mark: { type: "line", point: { filled: true, size: 50 } },
            encoding: {
              x: { field: "streams", type: "quantitative", title: "concurrent streams (~1 Mbit/s each)" },
              y: { field: "p99", type: "quantitative", scale: { type: "log" }, title: "p99 lateness, ms" },
              color: { field: "server", type: "nominal", title: null },
              shape: { field: "point", type: "nominal", title: null },
            },
          },
          { data: { values: [{ limit: j.p99LimitMs }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { y: { field: "limit", type: "quantitative" } } },
        ],
      },
    },
  ];
  if (cdf.length) {
    plots.push({
      file: "delivery-cdf.svg",
      caption: `CDF of per-packet lateness at ${nCdf} streams, every packet of every stream over the window (log scale)`,
      spec: {
        data: { values: cdf },
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x: { field: "lateness", type: "quantitative", scale: { type: "log" }, title: "lateness, ms" },
          y: { field: "percent", type: "quantitative", title: "packets, % (cumulative)", scale: { domain: [0, 100] } },
          color: { field: "server", type: "nominal", title: null },
        },
      },
    });
  }
  figures.streamsBenchMinutes = j.wallSec / 60;

  return {
    id: "delivery",
    title: "Delivery against the conventional server",
    thesis: "about 5x the delivery performance of plain Darwin Streaming Server",
    ours,
    method: [
      `\`bench/streams.bench.ts\` (bundled, ${j.quick ? "--quick: ladder " + ladder.join("/") + ", " : ""}${j.timing.windowMs / 1000} s windows after ${j.timing.warmupMs / 1000} s of warm-up), run once for this report: each server in its own process on 127.0.0.1, one at a time, with the same ~${(j.clip.meanBps / 1e6).toFixed(2)} Mbit/s MPEG-TS clip (~${j.clip.packetsPerSec.toFixed(0)} RTP packets/s per stream).`,
      "N RTSP clients in another process (bench/lib/load-client.ts) time every RTP packet against its timestamp: lateness = arrival − the schedule the timestamps give, relative to each stream's earliest packet; loss from the sequence numbers.",
      `Capacity is the largest N on the ladder (${j.quick ? "no bisection in a quick run" : "then one bisection"}) at which every stream plays with zero loss and p99 lateness ≤ ${j.p99LimitMs} ms. Server CPU is utime+stime of all the server's threads over the window, from /proc. The servers: \`lvmm serve --arch ioengine\` (delivery on the I/O engine), \`lvmm serve --arch conventional\` (Node delivers), and gst-rtsp-server as the outside anchor.`,
    ].join(" "),
    differences: [
      "The thesis ran Darwin Streaming Server on one machine and moved delivery to a second, dedicated machine running HiTactix; its 5x is the split server's delivery against Darwin's alone.",
      "Here the I/O engine is the same guest OS run by a CPU emulator (v86) on a thread of the server's own process, on the same 2 cores as the host side and the load client: every guest instruction costs several host instructions, and the engine competes with the front for CPU instead of adding a processor.",
      `So our ratio measures the split's overhead on one machine rather than the gain from a second one: on this machine the engine's capacity is ${capRatio !== undefined ? (capRatio >= 1 ? "at or above" : "below") + " the conventional path's" : "not comparable in this run"}, and its host CPU per packet is ${cpuRatio !== undefined ? (cpuRatio < 1 ? `${(1 / cpuRatio).toFixed(1)}x the conventional path's` : `${cpuRatio.toFixed(1)}x lower than the conventional path's`) : "not comparable in this run"}. The ratios are printed as they are.`,
      "The conventional path is our own Node server, not Darwin; gst-rtsp-server stands in as an independent, widely used C server. Lateness includes the load client's own event-loop delays, alike for all three.",
    ].join(" "),
    tables: [capTable, curveTable, cpuTable],
    plots,
    figures,
  };
};

export default delivery;
