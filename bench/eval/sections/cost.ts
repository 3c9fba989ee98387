// Section 6: cost-performance. A model of what 1,000 streams cost in hardware and power over a
// service life, for the conventional server (everything on general-purpose cores) and for the
// split server (the RTSP front and management on general-purpose cores, delivery on a dedicated
// I/O processor), with its parameters in one table. Its inputs are measured in section 3's run:
// the conventional server's CPU per packet, the split server's main-thread CPU per packet (the
// front, management and the linkage's client: what stays on the general-purpose OS) and the
// engine's guest instructions per delivered packet (what the I/O processor would execute).
import type { Section, SectionResult } from "../section";
import { median, num, server, streamsBench, type StreamsJson } from "../streams-run";
import { cpuLoad } from "./delivery";

export interface Param {
  key: string;
  label: string;
  value: number;
  unit: string;
  source: string;
}

/** The model's parameters: prices, power, service life and the assumptions, each with its source. */
export const PARAMS: Param[] = [
  {
    key: "gpCorePrice",
    label: "price of a general-purpose core",
    value: 10710 / 56,
    unit: "$",
    source: "Intel Xeon Platinum 8480+ (56 cores, 350 W TDP), recommended customer price $10,710 (Intel ARK, launched Q1 2023): $10,710 / 56",
  },
  { key: "gpCoreWatts", label: "power of a general-purpose core", value: 350 / 56, unit: "W", source: "the same part's TDP / cores: 350 W / 56" },
  {
    key: "ioCorePrice",
    label: "price of a dedicated I/O processor core",
    value: 25 / 4,
    unit: "$",
    source:
      "Raspberry Pi Compute Module 4 (4x Cortex-A72 at 1.5 GHz), from $25 (Raspberry Pi's launch announcement, October 2020): $25 / 4; an embedded SoC of the kind a NIC or storage controller carries",
  },
  { key: "ioCoreWatts", label: "power of an I/O processor core", value: 7 / 4, unit: "W", source: "assumption: ~7 W for the module under full load, / 4 cores" },
  {
    key: "ioCoreMips",
    label: "speed of an I/O processor core",
    value: 2000,
    unit: "M guest instructions/s",
    source: "assumption, conservative: Arm rates the Cortex-A72 at ~4.7 DMIPS/MHz (~7,000 DMIPS at 1.5 GHz); we count each of the guest's x86 instructions as ~3.5 Dhrystone instructions' worth",
  },
  { key: "platform", label: "platform factor (board, memory, NIC, chassis per core)", value: 2, unit: "x the core's price", source: "assumption, for both architectures" },
  { key: "utilization", label: "CPU utilization planned for", value: 0.7, unit: "", source: "assumption: headroom for peaks, both architectures" },
  { key: "years", label: "service life", value: 3, unit: "years", source: "assumption: a common depreciation period for servers" },
  { key: "kwhPrice", label: "electricity", value: 0.12, unit: "$/kWh", source: "assumption" },
  { key: "pue", label: "power usage effectiveness (cooling)", value: 1.5, unit: "", source: "assumption: a typical data centre" },
  {
    key: "softwarePer1000",
    label: "the dedicated OS's development cost, per 1,000 streams deployed",
    value: 200,
    unit: "$",
    source: "assumption: $2M of vendor development amortized over 10 million deployed streams (the thesis counts this added software cost and finds the hardware saving larger)",
  },
];

const P = (k: string) => PARAMS.find((p) => p.key === k)!.value;

export interface CostInputs {
  /** packets per second of one stream */
  pps: number;
  /** conventional: general-purpose core-µs per packet (the whole server) */
  convUs: number;
  /** split: general-purpose core-µs per packet that stay on the general-purpose OS (the server's main thread) */
  frontUs: number;
  /** split: the engine's guest instructions per delivered packet */
  instrPerPacket: number;
  /** split, as measured here: all of the server's host CPU per packet (the engine emulated on the same cores) */
  splitHostUs: number;
}

/** A core's cost over the service life: purchase (with its platform) and power. */
export function coreCost(price: number, watts: number, params = P): number {
  return price * params("platform") + (watts * 24 * 365.25 * params("years") * params("kwhPrice") * params("pue")) / 1000;
}

/** Cost per 1,000 streams of each architecture, and the split's saving in % of the conventional's. */
export function costModel(x: CostInputs, over: Partial<Record<string, number>> = {}) {
  const p = (k: string) => over[k] ?? P(k);
  const coresFor = (usPerPacket: number) => (1000 * x.pps * usPerPacket) / 1e6 / p("utilization");
  const gp = coreCost(p("gpCorePrice"), p("gpCoreWatts"), p);
  const io = coreCost(p("ioCorePrice"), p("ioCoreWatts"), p);
  const convCores = coresFor(x.convUs);
  const frontCores = coresFor(x.frontUs);
  const ioUs = x.instrPerPacket / p("ioCoreMips"); // M instructions/s = instructions per µs
  const ioCores = coresFor(ioUs);
  const conventional = convCores * gp;
  const split = frontCores * gp + ioCores * io + p("softwarePer1000");
  const asMeasured = coresFor(x.splitHostUs) * gp; // the engine emulated on general-purpose cores, as here
  return {
    gp,
    io,
    convCores,
    frontCores,
    ioCores,
    ioUs,
    conventional,
    split,
    asMeasured,
    savingPct: (100 * (conventional - split)) / conventional,
    asMeasuredSavingPct: (100 * (conventional - asMeasured)) / conventional,
  };
}

/** The range of I/O-core to general-purpose-core cost ratios over which the saving is within [lo, hi] %. */
export function ratioRangeFor(x: CostInputs, lo: number, hi: number): [number, number] | undefined {
  // saving is linear in the I/O core's cost: saving(r) = a - b r, r = io / gp
  const gp = coreCost(P("gpCorePrice"), P("gpCoreWatts"));
  const s0 = costModel(x, { ioCorePrice: 0, ioCoreWatts: 0 });
  const a = s0.savingPct;
  const b = (100 * s0.ioCores * gp) / s0.conventional;
  if (a < lo || b <= 0) return undefined;
  return [Math.max(0, (a - hi) / b), (a - lo) / b];
}

function inputs(j: StreamsJson): { x: CostInputs; n: number } {
  const eng = server(j, "ioengine");
  const conv = server(j, "conventional");
  const n = cpuLoad(j);
  if (!eng || !conv || n === undefined) throw new Error("section 3's run has no CPU figures for both architectures at a common load");
  const e = eng.points.find((p) => p.n === n)!;
  const c = conv.points.find((p) => p.n === n)!;
  // read near the end of the linkage step's windows without churn (a loaded 500 ms interval each)
  const reads = (eng.linkage?.instrPerPacket ?? []).filter((v): v is number => (num(v) ?? 0) > 0);
  const instr = reads.length ? median(reads) : undefined;
  const convUs = num(c.cpuUsPerPacket);
  const frontUs = num(e.mainUsPerPacket);
  const splitHostUs = num(e.cpuUsPerPacket);
  if (instr === undefined || convUs === undefined || frontUs === undefined || splitHostUs === undefined)
    throw new Error(`missing inputs at ${n} streams: instructions/packet ${instr}, conventional µs/packet ${convUs}, front µs/packet ${frontUs}`);
  return { x: { pps: j.clip.packetsPerSec, convUs, frontUs, instrPerPacket: instr, splitHostUs }, n };
}

const usd = (x: number) => `$${x.toLocaleString("en-US", { maximumFractionDigits: 0 })}`;

const cost: Section = async (ctx) => {
  const j = await streamsBench(ctx);
  const { x, n } = inputs(j);
  const m = costModel(x);
  const gpCost = m.gp;
  const range = ratioRangeFor(x, 34, 59);
  const ratioNow = m.io / m.gp;
  // sensitivity: the saving over I/O-core / general-purpose-core cost ratios, for three I/O core speeds
  const ratios = Array.from({ length: 51 }, (_, i) => 10 ** (-3 + (i * 5) / 50)); // 0.001 .. 100
  const speeds = [1000, 2000, 4000];
  const curve = speeds.flatMap((mips) =>
    ratios.map((r) => {
      const io = r * gpCost; // the I/O core's life cost; price only (power folded in)
      const s = costModel(x, { ioCoreMips: mips, ioCorePrice: io / P("platform"), ioCoreWatts: 0 });
      return { ratio: r, saving: s.savingPct, speed: `${mips.toLocaleString("en-US")} MIPS${mips === P("ioCoreMips") ? " (the table's)" : ""}` };
    }),
  );
  const lo = Math.min(...curve.map((d) => d.saving), -20);
  const equal = costModel(x, { ioCorePrice: P("gpCorePrice"), ioCoreWatts: P("gpCoreWatts") });
  const times = (r: number) => (r >= 1 ? `${r.toFixed(1)} times` : `${(100 * r).toFixed(1)}% of`);
  const holds = [
    range
      ? `With the measured inputs and the table's other parameters, the saving falls in the thesis's 34–59% when an I/O processor core's life cost is ${times(range[0])}–${times(range[1])} a general-purpose core's (the table's parts: ${times(ratioNow)}; a second machine of the same class, the thesis's own set-up, ${equal.savingPct.toFixed(0)}%).`
      : `With the measured inputs and the table's other parameters, the saving stays below 34% even with free I/O processors.`,
    `What bounds it: the share of the conventional server's CPU per packet that stays on the general-purpose OS in the split (${x.frontUs.toFixed(1)} of ${x.convUs.toFixed(1)} µs, ${((100 * x.frontUs) / x.convUs).toFixed(0)}%), the dedicated OS's development cost (${usd(P("softwarePer1000"))} per 1,000 streams against ${usd(m.conventional)} of conventional hardware), and the delivery work per packet on the I/O processor (${x.instrPerPacket.toFixed(0)} guest instructions, ${m.ioUs.toFixed(2)} µs at the table's speed).`,
    `So the thesis's 34–59% holds where delivery is the bulk of a conventional server's CPU, the dedicated OS delivers a packet in far fewer instructions than a general-purpose stack, and its development cost is spread over a large deployment; with our Node conventional path as the baseline the modelled saving is larger than the thesis's, and with the engine emulated as we run it, it is a loss.`,
  ].join(" ");
  const figures: Record<string, number> = {
    costPer1000Conventional: m.conventional,
    costPer1000Split: m.split,
    savingPct: m.savingPct,
    savingAsMeasuredPct: m.asMeasuredSavingPct,
    convUsPerPacket: x.convUs,
    frontUsPerPacket: x.frontUs,
    guestInstructionsPerPacket: x.instrPerPacket,
    splitHostUsPerPacket: x.splitHostUs,
    ioCoreCostRatio: ratioNow,
    savingAtEqualCorePricePct: equal.savingPct,
    load: n,
  };
  if (range) {
    figures.thesisRangeRatioLow = range[0];
    figures.thesisRangeRatioHigh = range[1];
  }
  const plots: SectionResult["plots"] = [
    {
      file: "cost-sensitivity.svg",
      caption:
        "The split server's saving per 1,000 streams against the cost of an I/O processor core relative to a general-purpose core (life cost, log scale); the band is the thesis's 34–59%, the dashed line the table's parts",
      spec: {
        layer: [
          { data: { values: [{ lo: 34, hi: 59 }] }, mark: { type: "rect", color: "#2ca02c", opacity: 0.15 }, encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
          {
            data: { values: curve },
            mark: { type: "line" },
            encoding: {
              x: { field: "ratio", type: "quantitative", scale: { type: "log" }, title: "I/O core cost / general-purpose core cost" },
              y: { field: "saving", type: "quantitative", title: "saving against the conventional server, %", scale: { domainMin: Math.max(lo, -200), domainMax: 100, clamp: true } },
              color: { field: "speed", type: "nominal", title: "I/O core speed", sort: null },
            },
          },
          { data: { values: [{ ratio: ratioNow }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { x: { field: "ratio", type: "quantitative" } } },
        ],
      },
    },
  ];
  return {
    id: "cost",
    title: "Cost-performance",
    thesis: "34% to 59% better cost-performance than conventional stream servers",
    ours: `${m.savingPct.toFixed(0)}% lower cost per 1,000 streams for the split server with delivery on a dedicated I/O processor (${usd(m.split)} against ${usd(m.conventional)}), from this run's CPU figures at ${n} streams and the parameter table; ${m.asMeasuredSavingPct.toFixed(0)}% with the engine emulated on general-purpose cores as measured here`,
    method: [
      "A model in code (bench/eval/sections/cost.ts, `costModel`): the cores each architecture needs for 1,000 streams at the planned utilization, each core costed over the service life (price x platform factor, plus power x PUE x electricity).",
      `Measured inputs, from section 3's run at ${n} streams: the conventional server's CPU per packet (${x.convUs.toFixed(1)} µs, all threads); the split server's main-thread CPU per packet (${x.frontUs.toFixed(1)} µs: the RTSP front, management and the linkage's client, what stays on the general-purpose OS); the engine's guest instructions per delivered packet (${x.instrPerPacket.toFixed(0)}, the median of its lvmm_engine_guest_instructions_per_packet gauge read near the end of each loaded window of section 2: the work an I/O processor would execute natively); ${x.pps.toFixed(0)} packets/s per stream.`,
      "The split server needs general-purpose cores for its front and I/O cores for delivery (instructions per packet / the I/O core's speed), plus the dedicated OS's development cost per 1,000 streams. The saving is 1 − split / conventional.",
    ].join(" "),
    differences: [
      "The thesis costed a provider's whole service (hardware purchase, maintenance, operation, and the vendor's software development) from its measured 5x; its own parameter values are not in the summary we work from, so every price here is ours, with its source in the table.",
      "Our engine runs emulated on the same cores, so the model does not use its host CPU for delivery: it takes the guest's instruction count per packet and prices it on a real I/O processor. The 'as measured' figure prices the emulated engine's host CPU on general-purpose cores instead, which is what this machine actually spends.",
      holds,
    ].join(" "),
    tables: [
      { caption: "Parameters", columns: ["parameter", "value", "unit", "source"], rows: PARAMS.map((p) => [p.label, Number(p.value.toFixed(p.value < 10 ? 2 : 0)), p.unit, p.source]) },
      {
        caption: "Cost per 1,000 streams",
        columns: ["architecture", "general-purpose cores", "I/O cores", "hardware and power", "software", "total", "saving"],
        rows: [
          ["conventional (all on general-purpose cores)", m.convCores.toFixed(2), 0, usd(m.conventional), usd(0), usd(m.conventional), "–"],
          [
            "split: front on general-purpose cores, delivery on an I/O processor",
            m.frontCores.toFixed(2),
            m.ioCores.toFixed(3),
            usd(m.split - P("softwarePer1000")),
            usd(P("softwarePer1000")),
            usd(m.split),
            `${m.savingPct.toFixed(1)}%`,
          ],
          [
            "split as measured here (the engine emulated on general-purpose cores)",
            ((1000 * x.pps * x.splitHostUs) / 1e6 / P("utilization")).toFixed(2),
            0,
            usd(m.asMeasured),
            usd(0),
            usd(m.asMeasured),
            `${m.asMeasuredSavingPct.toFixed(1)}%`,
          ],
        ],
      },
    ],
    plots,
    figures,
  };
};

export default cost;
