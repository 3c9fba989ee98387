// `npm run eval [-- --quick] [--out DIR]`: the thesis's evaluation reproduced on this
// implementation. Runs every section under bench/eval/sections/ one after another (so they do not
// compete for the 2 cores), renders their plots to SVG and writes the report: evaluation.md in
// docs/ (or DIR) with its plots in evaluation/*.svg beside it, and evaluation/figures.json with
// every measured number. The npm script bundles this file with esbuild (out/bench/eval.cjs):
// under tsx the servers' busy paths ran ~1.6x slower, which skews every ratio.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writePlot } from "./plot";
import { renderReport, type Machine, type SectionOutcome } from "./report";
import type { EvalContext, Section, SectionResult } from "./section";

/** The thesis's six figures, in its order: the section module's name, its title, the thesis's words. */
export const SECTIONS: { id: string; title: string; thesis: string }[] = [
  { id: "linkage-size", title: "Linkage size", thesis: "the linkage took about 9.1K lines of added code" },
  { id: "linkage-overhead", title: "Linkage overhead", thesis: "the linkage costs at most 1% of delivery performance" },
  { id: "delivery", title: "Delivery against the conventional server", thesis: "delivery performance is about 5x that of plain Darwin Streaming Server" },
  { id: "vmm-io", title: "LVMM I/O against a hosted VMM", thesis: "5.4x the I/O performance of a conventional hosted VMM, at a realistic CPU load" },
  { id: "logging", title: "Logging cost", thesis: "logging costs about 38% more CPU than VMware's network receive path" },
  { id: "cost", title: "Cost-performance", thesis: "34% to 59% better cost-performance than conventional stream servers" },
];

/** The repository's root: the nearest folder above this file (or its bundle) whose package.json is lvmm's. */
export function repoRoot(from = __dirname): string {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, "package.json");
    if (existsSync(p) && (JSON.parse(readFileSync(p, "utf8")) as { name?: string }).name === "lvmm" && existsSync(join(d, "bench"))) return d;
    if (dirname(d) === d) throw new Error(`no lvmm checkout above ${from}: npm run eval needs the repository's benches`);
  }
}

/** A section's module; esbuild bundles every file under sections/ that exists at build time. */
async function loadSection(id: string): Promise<Section | string> {
  try {
    const mod = (await import(`./sections/${id}.ts`)) as { default?: Section };
    return typeof mod.default === "function" ? mod.default : `its module exports no default Section`;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    return /Could not resolve|Cannot find module|Module not found|ERR_MODULE_NOT_FOUND/.test(msg)
      ? `its module (bench/eval/sections/${id}) is not in this build`
      : `its module failed to load: ${msg.split("\n")[0]}`;
  }
}

function machine(): Machine {
  const c = cpus();
  return { cpu: c[0]?.model.trim() ?? "unknown CPU", cores: c.length, ramGiB: totalmem() / 2 ** 30, kernel: release(), node: process.version, load: loadavg()[0]! };
}

/** Numbers a section reports that are not finite (the test fails on them too). */
export function badFigures(r: SectionResult): string[] {
  return Object.entries(r.figures)
    .filter(([, v]) => typeof v !== "number" || !Number.isFinite(v))
    .map(([k, v]) => `${k}=${String(v)}`);
}

async function main(): Promise<number> {
  const { values: v } = parseArgs({ options: { quick: { type: "boolean", default: false }, out: { type: "string" }, only: { type: "string" } }, allowPositionals: false });
  const root = repoRoot();
  const outDir = resolve(v.out ?? join(root, "docs"));
  const plotDir = join(outDir, "evaluation");
  mkdirSync(plotDir, { recursive: true });
  const only = v.only?.split(",");
  const began = Date.now();
  const m = machine();
  const log = (line: string) => console.log(`[eval ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  log(`${v.quick ? "quick" : "full"} run on ${m.cpu}, ${m.cores} cores, load ${m.load.toFixed(2)}; report to ${join(outDir, "evaluation.md")}`);
  const workDir = mkdtempSync(join(tmpdir(), "lvmm-eval-"));
  const ctx: EvalContext = { quick: v.quick ?? false, root, workDir, log };
  const outcomes: SectionOutcome[] = [];
  const sectionSec: Record<string, number> = {};
  let failures = 0;
  try {
    for (const s of SECTIONS) {
      if (only && !only.includes(s.id)) {
        outcomes.push({ ...s, missing: "left out by --only" });
        continue;
      }
      const section = await loadSection(s.id);
      if (typeof section === "string") {
        log(`${s.id}: not measured: ${section}`);
        outcomes.push({ ...s, missing: section });
        continue;
      }
      log(`${s.id}: measuring`);
      const t0 = Date.now();
      try {
        const result = await section(ctx);
        sectionSec[s.id] = (Date.now() - t0) / 1000;
        const bad = badFigures(result);
        if (bad.length) {
          failures++;
          log(`${s.id}: figures that are not finite numbers: ${bad.join(", ")}`);
        }
        for (const p of result.plots) await writePlot(plotDir, p);
        outcomes.push({ ...s, thesis: result.thesis || s.thesis, title: result.title || s.title, result });
        log(`${s.id}: ${result.ours} (${sectionSec[s.id]!.toFixed(0)} s)`);
      } catch (e) {
        failures++;
        const msg = (e as Error).stack ?? String(e);
        log(`${s.id}: FAILED: ${msg}`);
        outcomes.push({ ...s, missing: `the measurement failed: ${(e as Error).message?.split("\n")[0] ?? String(e)}` });
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const durationSec = (Date.now() - began) / 1000;
  const report = renderReport({ date: new Date(began), quick: ctx.quick, durationSec, machine: m, sectionSec }, outcomes);
  writeFileSync(join(outDir, "evaluation.md"), report);
  const figures = Object.fromEntries(outcomes.map((o) => [o.id, "result" in o ? o.result.figures : null]));
  writeFileSync(join(plotDir, "figures.json"), JSON.stringify({ date: new Date(began).toISOString(), quick: ctx.quick, durationSec, machine: m, sectionSec, figures }, null, 1) + "\n");
  log(`wrote ${join(outDir, "evaluation.md")} and ${plotDir}/ in ${(durationSec / 60).toFixed(1)} min${failures ? `; ${failures} section(s) failed` : ""}`);
  return failures ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exit(1);
    },
  );
}
