// LVMM core figures: guest MIPS against v86's stock run() on the same compute-bound guest
// (side by side, alternating), UDP echo round trips per second through the e1000 model and the
// guest driver, boot-to-banner cost, and peak RSS for a 32 MiB guest.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { V86 } from "v86";
import { Machine } from "../src/vmm/machine";
import { KERNEL_PATH, bootGuest, captureTx, udpToGuest, ROOT } from "../test/helpers/guest";
import { fmt, median, percentile, row } from "./lib/report";
import { selfArgs } from "./lib/self";

const kernel = new Uint8Array(readFileSync(KERNEL_PATH));
const CHUNK = /^compute chunk 1\//;
const DONE = /^compute done/;

/** MIPS of the LVMM's own loop over the compute window (chunk 1 printed .. done printed). */
async function lvmmMips(): Promise<number> {
  const m = await Machine.create({ kernel, cmdline: "workload=compute quiet", nic: false });
  let t0 = 0;
  let i0 = 0;
  let mips = 0;
  m.serial.onLine((line) => {
    if (CHUNK.test(line)) {
      t0 = performance.now();
      i0 = m.icountNumber;
    } else if (DONE.test(line)) {
      mips = (m.icountNumber - i0) / (performance.now() - t0) / 1000;
      m.requestStop("done");
    }
  });
  await m.runAsync({ untilNs: 60e9 });
  m.destroy();
  return mips;
}

/** MIPS of stock v86 (its own run() and timing) over the same window. */
async function stockMips(): Promise<number> {
  const e = new V86({
    wasm_path: require.resolve("v86/build/v86.wasm"),
    memory_size: 32 * 1024 * 1024,
    vga_memory_size: 256 * 1024,
    multiboot: { buffer: kernel.slice().buffer },
    cmdline: "workload=compute quiet",
    autostart: false,
    disable_speaker: true,
  } as ConstructorParameters<typeof V86>[0]);
  await new Promise<void>((r) => e.add_listener("emulator-loaded", () => r()));
  return new Promise<number>((resolve) => {
    let line = "";
    let t0 = 0;
    let i0 = 0;
    e.add_listener("serial0-output-byte", (b: number) => {
      if (b !== 10) {
        line += String.fromCharCode(b);
        return;
      }
      if (CHUNK.test(line)) {
        t0 = performance.now();
        i0 = e.get_instruction_counter();
      } else if (DONE.test(line)) {
        const n = (e.get_instruction_counter() - i0) >>> 0;
        const mips = n / (performance.now() - t0) / 1000;
        void e.stop();
        void e.destroy();
        resolve(mips);
      }
      line = "";
    });
    void e.run();
  });
}

async function echoRoundTrips(): Promise<{ perSecond: number; virtualUs: number }> {
  const m = await bootGuest({ cmdline: "quiet" });
  const n = 2000;
  let replies = 0;
  const tx = captureTx(m);
  const off = m.wire.onTransmit(() => {
    replies++;
    m.requestStop("reply");
  });
  const payload = new Uint8Array(64);
  const v0 = m.nowNs;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    m.wire.inject(udpToGuest(payload, 40000 + (i & 1023)));
    m.run({ untilNs: m.nowNs + 10e6 });
  }
  const wall = performance.now() - t0;
  const virt = m.nowNs - v0;
  off();
  tx.stop();
  m.destroy();
  if (replies !== n) throw new Error(`expected ${n} replies, got ${replies}`);
  return { perSecond: n / (wall / 1000), virtualUs: virt / n / 1000 };
}

async function bootToBanner(): Promise<{ instructions: number; ms: number }> {
  const t0 = performance.now();
  const m = await Machine.create({ kernel });
  let at = 0;
  m.serial.onLine((l) => {
    if (/^LVMM I\/O engine/.test(l)) {
      at = m.icountNumber;
      m.requestStop("banner");
    }
  });
  m.run({ untilNs: 1e9 });
  const ms = performance.now() - t0;
  m.destroy();
  return { instructions: at, ms };
}

function peakRss(): number {
  const script = `
    const { Machine } = require(${JSON.stringify(`${ROOT}/src/vmm/machine`)});
    const k = require("node:fs").readFileSync(${JSON.stringify(KERNEL_PATH)});
    Machine.create({ kernel: k, memoryMB: 32 }).then((m) => {
      m.run({ untilNs: 2e9 });
      console.log(process.resourceUsage().maxRSS);
      process.exit(0);
    });`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8" });
  return Number(r.stdout.trim().split("\n").pop()) / 1024;
}

/** Each MIPS run gets a fresh process: v86 keeps its clock in a static shared by instances. */
function inChild(which: "lvmm" | "stock"): Promise<number> {
  const r = spawnSync(process.execPath, selfArgs(__filename, `--mips-${which}`), { cwd: ROOT, encoding: "utf8" });
  const n = Number(r.stdout.trim().split("\n").pop());
  if (!Number.isFinite(n)) throw new Error(`${which} run failed: ${r.stderr}`);
  return Promise.resolve(n);
}

async function main(): Promise<void> {
  const child = process.argv.find((a) => a.startsWith("--mips-"));
  if (child) {
    console.log(child === "--mips-lvmm" ? await lvmmMips() : await stockMips());
    return;
  }
  console.log("LVMM core (issue: LVMM core)");
  // Side by side, many rounds: one run's MIPS moves by 10-30% on these shared machines, and about
  // one run in seven, of either, comes out ~30% slow (a slow spell of the host: seen alike with
  // stock v86). Each round runs each three times, interleaved in alternating order, and takes
  // the ratio of the two medians, so one slow run does not decide a round (--rounds N).
  const roundsArg = process.argv.find((a) => a.startsWith("--rounds="));
  const rounds = roundsArg ? Number(roundsArg.slice(9)) : 9;
  const lvRuns: number[] = [];
  const stRuns: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const lv: number[] = [];
    const st: number[] = [];
    for (let k = 0; k < 3; k++) {
      if ((i + k) % 2) {
        st.push(await inChild("stock"));
        lv.push(await inChild("lvmm"));
      } else {
        lv.push(await inChild("lvmm"));
        st.push(await inChild("stock"));
      }
    }
    lvRuns.push(median(lv));
    stRuns.push(median(st));
    ratios.push(median(lv) / median(st));
  }
  const lv = median(lvRuns);
  const st = median(stRuns);
  row(`compute guest MIPS, LVMM loop (median of ${rounds} rounds)`, fmt(lv), `middle half ${fmt(percentile(lvRuns, 25), 0)} to ${fmt(percentile(lvRuns, 75), 0)}`);
  row(`compute guest MIPS, stock v86 run() (median of ${rounds} rounds)`, fmt(st), `middle half ${fmt(percentile(stRuns, 25), 0)} to ${fmt(percentile(stRuns, 75), 0)}`);
  row("ratio LVMM / stock (target >= 0.95)", fmt(median(ratios), 3), `per round; middle half of the rounds ${fmt(percentile(ratios, 25), 3)} to ${fmt(percentile(ratios, 75), 3)}`);
  const e = await echoRoundTrips();
  row("UDP echo round trips per second (wire -> e1000 -> guest)", fmt(e.perSecond, 0), `${fmt(e.virtualUs, 1)} virtual us each`);
  const b = await bootToBanner();
  row("boot to banner: instructions", String(b.instructions));
  row("boot to banner: ms (incl. v86 instantiation)", fmt(b.ms, 0));
  row("peak RSS, 32 MiB guest, 2 virtual s (MiB)", fmt(peakRss(), 0));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
