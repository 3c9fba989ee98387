// The stream benchmark's one run for the evaluation: bench/streams.bench.ts bundled like
// bench/run.mjs bundles it, run once with --json (and --quick when the evaluation is quick), and
// its JSON shared by the sections that read it (linkage overhead, delivery, cost).
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EvalContext } from "./section";
import { BUNDLE_OPTIONS } from "./lib/bundle";

export interface Spread {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** A point of the streams bench's --json (NaN written as null). */
export interface PointJson {
  n: number;
  transport: "udp" | "tcp";
  pass: boolean;
  error: string | null;
  cpuSec: number | null;
  cpuUsPerPacket: number | null;
  mainCpuSec: number | null;
  mainUsPerPacket: number | null;
  windowMs?: number;
  failed?: number;
  refused?: number;
  starved?: number;
  packets?: number;
  lost?: number;
  packetsPerSec?: number;
  lateness?: Spread;
  cdf?: [number, number][] | null;
  cycles?: number;
  churnErrors?: number;
}

export interface ServerJson {
  kind: "ioengine" | "conventional" | "gst";
  name: string;
  error: string | null;
  capacity: number | null;
  rssMiB: number | null;
  points: PointJson[];
  tcp: PointJson | null;
  churn: { play: PointJson | null; rtt: Spread | null; cycles: number | null; error: string | null } | null;
  stall: PointJson | null;
  engineMetrics: Record<string, number> | null;
  linkage: { n: number; instrPerPacket: (number | null)[]; off: PointJson[]; on: PointJson[] } | null;
}

export interface StreamsJson {
  quick: boolean;
  clip: { name: string; meanBps: number; peakBps: number; packetsPerSec: number };
  timing: { warmupMs: number; windowMs: number; staggerMs: number };
  fixed: number[];
  p99LimitMs: number;
  linkWindowMs: number;
  minutes: number;
  load: number[];
  servers: ServerJson[];
  /** added here: how long the run took, s, and its printed output's file */
  wallSec: number;
  log: string;
}

let run: Promise<StreamsJson> | undefined;

/** The streams bench's result, run on first use (one run serves every section). */
export function streamsBench(ctx: EvalContext): Promise<StreamsJson> {
  run ??= runStreamsBench(ctx);
  return run;
}

async function runStreamsBench(ctx: EvalContext): Promise<StreamsJson> {
  // for working on the report alone: LVMM_EVAL_STREAMS_JSON=FILE reuses a run's --json output
  const reuse = process.env.LVMM_EVAL_STREAMS_JSON;
  if (reuse) {
    ctx.log(`streams bench: reusing ${reuse} (LVMM_EVAL_STREAMS_JSON)`);
    return { ...(JSON.parse(readFileSync(reuse, "utf8")) as StreamsJson), wallSec: 0, log: "" };
  }
  const { build } = await import("esbuild");
  const outdir = join(ctx.root, "out", "bench");
  // the same bundles as bench/run.mjs: the bench and the load client it starts (out/bench/lib/)
  await build({
    entryPoints: ["streams.bench.ts", "lib/load-client.ts"].map((f) => join(ctx.root, "bench", f)),
    outdir,
    outbase: join(ctx.root, "bench"),
    outExtension: { ".js": ".cjs" },
    ...BUNDLE_OPTIONS,
  });
  const json = join(ctx.workDir, "streams.json");
  const log = join(ctx.workDir, "streams.log");
  const args = ["--expose-gc", join(outdir, "streams.bench.cjs"), `--json=${json}`, ...(ctx.quick ? ["--quick"] : [])];
  ctx.log(`streams bench: node ${args.slice(1).join(" ")} (${ctx.quick ? "~1.5 min" : "5–8 min"})`);
  const t0 = Date.now();
  let out = "";
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ctx.root, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (b: Buffer) => {
      out += b.toString("utf8");
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    // a bench that hangs ends: 3x its expected time
    const timer = setTimeout(() => child.kill("SIGKILL"), (ctx.quick ? 6 : 30) * 60_000);
    child.once("close", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  writeFileSync(log, out);
  const wallSec = (Date.now() - t0) / 1000;
  if (code !== 0) throw new Error(`the streams bench exited ${code}: ${out.trim().split("\n").slice(-5).join(" | ")}`);
  const parsed = JSON.parse(readFileSync(json, "utf8")) as StreamsJson;
  ctx.log(`streams bench: done in ${(wallSec / 60).toFixed(1)} min`);
  return { ...parsed, wallSec, log: out };
}

export const server = (j: StreamsJson, kind: ServerJson["kind"]): ServerJson | undefined => j.servers.find((s) => s.kind === kind);

/** A number that is there and finite, else undefined. */
export const num = (x: number | null | undefined): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
