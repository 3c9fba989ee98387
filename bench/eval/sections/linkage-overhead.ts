// Section 2: the linkage's overhead. The stream benchmark's section 4 (bench/streams.bench.ts,
// linkageOverhead): the I/O engine delivers n streams, near its capacity, in alternating windows
// without and with a churn of 10 DESCRIBE/SETUP/PLAY/TEARDOWN cycles per second, each cycle a
// START and a STOP on the engine. Read from the benchmark's one run (--json).
import type { Section } from "../section";
import { median, num, server, streamsBench, type PointJson } from "../streams-run";

const linkageOverhead: Section = async (ctx) => {
  const j = await streamsBench(ctx);
  const eng = server(j, "ioengine");
  const l = eng?.linkage;
  if (!eng || !l || !l.off.length || !l.on.length) throw new Error(`the streams bench measured no linkage overhead${eng?.error ? `: ${eng.error.split("\n")[0]}` : ""}`);
  const vals = (ps: PointJson[], f: (p: PointJson) => number | null | undefined) => ps.map(f).filter((x): x is number => num(x) !== undefined);
  const pps = (ps: PointJson[]) => vals(ps, (p) => p.packetsPerSec);
  const p99 = (ps: PointJson[]) => vals(ps, (p) => p.lateness?.p99);
  const cpu = (ps: PointJson[]) => vals(ps, (p) => p.cpuUsPerPacket);
  const ppsOff = median(pps(l.off));
  const ppsOn = median(pps(l.on));
  const ratio = ppsOn / ppsOff;
  const overheadPct = (1 - ratio) * 100;
  const p99Off = median(p99(l.off));
  const p99On = median(p99(l.on));
  const cpuOff = median(cpu(l.off));
  const cpuOn = median(cpu(l.on));
  const cycles = l.on.reduce((a, p) => a + (p.cycles ?? 0), 0);
  const churnErrors = l.on.reduce((a, p) => a + (p.churnErrors ?? 0), 0);
  const lostOff = l.off.reduce((a, p) => a + (p.lost ?? 0), 0);
  const lostOn = l.on.reduce((a, p) => a + (p.lost ?? 0), 0);
  const windowSec = j.linkWindowMs / 1000;
  const cyclesPerSec = cycles / (l.on.length * Math.max(0.5, windowSec - 1));
  const cap = eng.capacity ?? 0;
  const windows = [...l.off.map((p, i) => ({ p, churn: "without churn", round: i + 1 })), ...l.on.map((p, i) => ({ p, churn: "with churn", round: i + 1 }))];
  const data = windows.flatMap(({ p, churn, round }) => [
    ...(num(p.packetsPerSec) !== undefined ? [{ churn, round, measure: "delivered packets/s", value: p.packetsPerSec! }] : []),
    ...(num(p.lateness?.p99) !== undefined ? [{ churn, round, measure: "p99 lateness, ms", value: p.lateness!.p99 }] : []),
  ]);
  return {
    id: "linkage-overhead",
    title: "Linkage overhead",
    thesis: "the linkage costs at most 1% of delivery performance",
    ours: `overhead ${overheadPct.toFixed(2)}% of delivered packets with ~${cyclesPerSec.toFixed(0)} START/STOP pairs per second (${ppsOn.toFixed(0)} against ${ppsOff.toFixed(0)} packets/s without, ${l.n} streams${overheadPct < 0 ? "; below 0: more with the churn, within the noise" : ""}); p99 lateness ${p99Off.toFixed(2)} → ${p99On.toFixed(2)} ms; server CPU per packet ${cpuOff.toFixed(0)} → ${cpuOn.toFixed(0)} µs`,
    method: [
      `The stream benchmark's linkage-overhead step, in the same run as section 3: \`lvmm serve --arch ioengine\` delivers ${l.n} streams (the engine's capacity in this run: ${cap} streams; the step plays one stream fewer, at least 4, so that the churn client's own stream fits) in ${l.off.length + l.on.length} windows of ${windowSec} s, alternating without and with a churn client (order flipped each round).`,
      `The churn client loops DESCRIBE/SETUP/PLAY/TEARDOWN at 10 cycles per second in all: every PLAY is a START on the engine and every TEARDOWN a STOP, through the whole linkage (the host's backend, the codec, the gateway, the guest's dispatcher). This run: ${cycles} cycles, ${churnErrors} failed.`,
      "Delivered packets/s and lateness are what the load client received; CPU is the whole server process's over the window. Medians over the windows.",
    ].join(" "),
    differences: [
      "The thesis measured the linkage's cost as a share of delivery performance at the engine's capacity on dedicated hardware; its START/STOP went over a real network between two machines.",
      "Here the engine's commands cross a thread boundary inside one process (the gateway's wire into the emulated NIC), and the churn's RTSP work runs on the same 2 cores as the engine and the load client, so the CPU cost of the churn shows up in the engine's lateness too.",
      `Delivered packets are paced by the clip's bitrate, so below capacity the count stays at the streams' rate whatever the overhead: the CPU per packet (${cpuOff.toFixed(0)} → ${cpuOn.toFixed(0)} µs, the churn's RTSP handling included) shows what the churn costs where the packet count cannot.`,
      j.quick ? "A quick run has one round of short windows: its figure is noisy at the 1% scale." : "",
    ]
      .filter(Boolean)
      .join(" "),
    tables: [
      {
        caption: `Each window: ${l.n} streams, ${windowSec} s`,
        columns: ["window", "churn cycles", "delivered packets/s", "lost", "p50 lateness, ms", "p99 lateness, ms", "server CPU µs/packet"],
        rows: windows.map(({ p, churn, round }) => [
          `${churn}, round ${round}`,
          p.cycles ?? 0,
          (p.packetsPerSec ?? 0).toFixed(1),
          p.lost ?? 0,
          (p.lateness?.p50 ?? 0).toFixed(2),
          (p.lateness?.p99 ?? 0).toFixed(2),
          (p.cpuUsPerPacket ?? 0).toFixed(1),
        ]),
      },
      {
        caption: "Medians, and the overhead",
        columns: ["", "without churn", "with churn", "with / without"],
        rows: [
          ["delivered packets/s", ppsOff.toFixed(1), ppsOn.toFixed(1), ratio.toFixed(4)],
          ["p99 lateness, ms", p99Off.toFixed(2), p99On.toFixed(2), (p99On / p99Off).toFixed(2)],
          ["server CPU µs/packet", cpuOff.toFixed(1), cpuOn.toFixed(1), (cpuOn / cpuOff).toFixed(2)],
          ["packets lost", lostOff, lostOn, "–"],
        ],
      },
    ],
    plots: [
      {
        file: "linkage-overhead.svg",
        caption: `Delivered packets/s and p99 lateness per window, without and with ~${cyclesPerSec.toFixed(0)} START/STOP pairs per second (${l.n} streams)`,
        spec: {
          data: { values: data },
          width: 240,
          height: 220,
          mark: { type: "point", filled: true, size: 80 },
          encoding: {
            column: { field: "measure", type: "nominal", title: null },
            x: { field: "churn", type: "nominal", title: null, axis: { labelAngle: 0 }, sort: ["without churn", "with churn"] },
            y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
            color: { field: "churn", type: "nominal", legend: null, sort: ["without churn", "with churn"] },
          },
          resolve: { scale: { y: "independent" } },
        },
      },
    ],
    figures: {
      overheadPct,
      deliveredRatio: ratio,
      packetsPerSecWithout: ppsOff,
      packetsPerSecWith: ppsOn,
      p99MsWithout: p99Off,
      p99MsWith: p99On,
      cpuUsPerPacketWithout: cpuOff,
      cpuUsPerPacketWith: cpuOn,
      churnCycles: cycles,
      streams: l.n,
    },
  };
};

export default linkageOverhead;
