// Section 4's second workload: stream delivery. The delivery engine (the same guest kernel,
// booted as `lvmm serve` boots it, with its content disk) plays N streams started over the
// linkage (bench/eval/lib/delivery-driver.ts) under the same three configurations as the echo
// workload: (a) the LVMM as the thesis designed it, (b) the LVMM trapping every register access,
// (c) QEMU TCG with the disk on its IDE and the e1000 on a socket netdev. Each runs paced to
// wall time (as a server runs it), so every configuration that keeps up sends the same packets
// per second: what differs is the host CPU each packet costs, and whether it keeps up.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EvalContext } from "../section";
import { runChild } from "../lib/bundle";
import { kernelPath } from "../lib/guest";
import { QemuEcho } from "../lib/qemu-echo";
import { DeliveryDriver } from "../lib/delivery-driver";
import { median, round, withSpread } from "../lib/stats";
import { cpuSeconds } from "../../lib/proc-stats";
import { makeSampleClip } from "../../../src/streamsim/content/sample-clip";
import { buildContentDisk } from "../../../src/streamsim/ioengine/content-disk";
import { engineCmdline } from "../../../src/streamsim/ioengine/engine-host";

type Config = "thesis" | "trap" | "qemu";
const CONFIGS: Config[] = ["thesis", "trap", "qemu"];
const BOOT_ID = 4242;

export interface DeliveryRun {
  packets: number;
  wallMs: number;
  cpuMs: number;
  threadCpuMs?: number;
  failure?: string;
}

export interface DeliveryResult {
  streams: number;
  runs: Record<Config, DeliveryRun[]>;
  /** per-round ratios: process CPU per packet b/a and c/a */
  cpuBA: number[];
  cpuCA: number[];
}

export const pps = (r: DeliveryRun): number => r.packets / (r.wallMs / 1000);
export const cpuUsPerPacket = (r: DeliveryRun): number => (r.cpuMs * 1000) / r.packets;
export const threadUsPerPacket = (r: DeliveryRun): number => ((r.threadCpuMs ?? NaN) * 1000) / r.packets;

/** The content disk the engine reads its media from: the sample clip, as `lvmm serve` builds it. */
export async function deliveryDisk(ctx: EvalContext): Promise<string> {
  const clip = await makeSampleClip();
  const disk = await buildContentDisk(clip.contentDir, (l) => ctx.log(l));
  const path = join(ctx.workDir, "content.img");
  writeFileSync(path, disk.image);
  return path;
}

async function qemuDelivery(ctx: EvalContext, disk: string, streams: number, seconds: number): Promise<DeliveryRun> {
  const q = new QemuEcho(kernelPath(ctx.root));
  let driver: DeliveryDriver | undefined;
  try {
    await q.start({ disk, cmdline: engineCmdline({ bootId: BOOT_ID }) });
    driver = new DeliveryDriver(q.wire(), BOOT_ID);
    return await driver.measure(streams, seconds, () => ({ cpuMs: cpuSeconds(q.pid) * 1000 }));
  } finally {
    driver?.close();
    await q.stop();
  }
}

export async function measureDelivery(ctx: EvalContext, child: string, disk: string, streams: number, rounds: number, seconds: number, qemu: { error?: string }): Promise<DeliveryResult> {
  const runs: Record<Config, DeliveryRun[]> = { thesis: [], trap: [], qemu: [] };
  const res: DeliveryResult = { streams, runs, cpuBA: [], cpuCA: [] };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? [...CONFIGS].reverse() : CONFIGS;
    const got: Partial<Record<Config, DeliveryRun>> = {};
    for (const c of order) {
      if (c === "qemu" && qemu.error) continue;
      let r: DeliveryRun;
      try {
        r =
          c === "qemu"
            ? await qemuDelivery(ctx, disk, streams, seconds)
            : await runChild<DeliveryRun>(
                child,
                ["deliver", `--trap=${c === "trap" ? 1 : 0}`, `--streams=${streams}`, `--seconds=${seconds}`, `--kernel=${kernelPath(ctx.root)}`, `--disk=${disk}`],
                ctx.root,
                120_000,
              );
      } catch (e) {
        if (c !== "qemu") throw e;
        qemu.error = e instanceof Error ? e.message : String(e);
        ctx.log(`QEMU delivery run failed: ${qemu.error.split("\n")[0]}`);
        continue;
      }
      if (r.failure) ctx.log(`${c}: ${r.failure}`);
      got[c] = r;
      runs[c].push(r);
      ctx.log(`delivery, ${streams} streams, round ${i + 1}/${rounds}, ${c}: ${pps(r).toFixed(0)} packets/s, ${cpuUsPerPacket(r).toFixed(1)} µs CPU each`);
    }
    const { thesis: a, trap: b, qemu: q } = got;
    if (a && b) res.cpuBA.push(cpuUsPerPacket(b) / cpuUsPerPacket(a));
    if (a && q) res.cpuCA.push(cpuUsPerPacket(q) / cpuUsPerPacket(a));
  }
  return res;
}

/** Figures, table rows and plot values of the delivery workload, keyed `d<streams>_…`. */
export function deliveryReport(results: DeliveryResult[], label: Record<Config, string>, short: Record<Config, string>) {
  const figures: Record<string, number> = {};
  const rows: (string | number)[][] = [];
  const ratioRows: (string | number)[][] = [];
  const plotValues: Record<string, unknown>[] = [];
  for (const { streams, runs, cpuBA, cpuCA } of results) {
    const k = `d${streams}`;
    for (const c of CONFIGS.filter((x) => runs[x].length > 0)) {
      const name = c === "thesis" ? "lvmmThesis" : c === "trap" ? "lvmmTrap" : "qemuTcg";
      figures[`${k}_${name}PacketsPerSec`] = median(runs[c].map(pps));
      figures[`${k}_${name}CpuUsPerPacket`] = median(runs[c].map(cpuUsPerPacket));
      rows.push([
        streams,
        label[c],
        withSpread(runs[c].map(pps), 0),
        withSpread(runs[c].map(cpuUsPerPacket), 1),
        c === "qemu" ? "—" : withSpread(runs[c].map(threadUsPerPacket), 1),
        round(median(runs[c].map((r) => r.cpuMs / r.wallMs)) * 100, 0),
      ]);
      plotValues.push({ window: `delivery, ${streams} streams`, config: short[c], metric: "host CPU per packet (µs)", value: round(median(runs[c].map(cpuUsPerPacket)), 1) });
    }
    if (cpuBA.length) {
      figures[`${k}_ratioCpuPerPacketBOverA`] = median(cpuBA);
      ratioRows.push([`${streams} streams`, "process CPU per packet b / a", round(median(cpuBA), 2), "—"]);
    }
    if (cpuCA.length) {
      figures[`${k}_ratioCpuPerPacketCOverA`] = median(cpuCA);
      ratioRows.push([`${streams} streams`, "process CPU per packet c / a (QEMU TCG over LVMM)", round(median(cpuCA), 2), "5.4 (the thesis's LVMM over its hosted VMM, read as cost per packet)"]);
    }
  }
  return { figures, rows, ratioRows, plotValues };
}
