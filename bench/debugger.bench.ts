// Debugger costs measured on the VMM: guest MIPS with 16 armed breakpoints that are never hit
// and with a data breakpoint armed, each against free running (side by side, alternating, in
// fresh processes), and ELF/DWARF load time for the guest kernel.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Machine } from "../src/vmm/machine";
import { ElfFile } from "../src/vmm/elf";
import { DebugInfo } from "../src/adapter/dwarf";
import { KERNEL_PATH, ROOT } from "../test/helpers/guest";
import { fmt, median, row } from "./lib/report";
import { selfArgs } from "./lib/self";

const kernel = new Uint8Array(readFileSync(KERNEL_PATH));
type Mode = "free" | "breakpoints" | "watch";

/** 16 functions of the network path, which the compute workload never calls. */
function idleFunctions(): number[] {
  const elf = ElfFile.parse(kernel);
  const fns = elf.functions.filter((f) => /^(arp_|udp_|ipv4_|echo|e1000_transmit|net_|ethernet_)/.test(f.name)).map((f) => f.value);
  if (fns.length < 16) throw new Error(`only ${fns.length} network functions to plant breakpoints on`);
  return fns.slice(0, 16);
}

async function mips(mode: Mode): Promise<number> {
  const m = await Machine.create({ kernel, cmdline: "workload=compute quiet", nic: false });
  if (mode === "breakpoints") m.breakpoints.set(idleFunctions());
  if (mode === "watch") {
    const cmdline = ElfFile.parse(kernel).symbolByName("boot_cmdline")!;
    m.setWatchpoints([{ id: 1, address: cmdline.value + 128, length: 8 }]); // never written after boot
  }
  let t0 = 0;
  let i0 = 0;
  let result = 0;
  m.serial.onLine((line) => {
    if (/^compute chunk 1\//.test(line)) {
      t0 = performance.now();
      i0 = m.icountNumber;
    } else if (/^compute done/.test(line)) {
      result = (m.icountNumber - i0) / (performance.now() - t0) / 1000;
      m.requestStop("done");
    }
  });
  const stop = await m.runAsync({ untilNs: 60e9 });
  if (stop.kind !== "host-request") throw new Error(`unexpected stop ${JSON.stringify(stop)}`);
  m.destroy();
  return result;
}

function inChild(mode: Mode): number {
  const r = spawnSync(process.execPath, selfArgs(__filename, `--mode=${mode}`), { cwd: ROOT, encoding: "utf8" });
  const n = Number(r.stdout.trim().split("\n").pop());
  if (!Number.isFinite(n)) throw new Error(`${mode} run failed: ${r.stderr}`);
  return n;
}

function dwarfLoad(): { lazyMs: number; eagerMs: number; functions: number } {
  const lazy: number[] = [];
  const eager: number[] = [];
  let functions = 0;
  for (let i = 0; i < 15; i++) {
    let t = performance.now();
    const d = DebugInfo.load(kernel);
    d.addressToLine(ElfFile.parse(kernel).entry);
    lazy.push(performance.now() - t);
    t = performance.now();
    const e = DebugInfo.load(kernel, { eager: true });
    eager.push(performance.now() - t);
    functions = e.functions().length;
  }
  return { lazyMs: median(lazy), eagerMs: median(eager), functions };
}

async function main(): Promise<void> {
  const child = process.argv.find((a) => a.startsWith("--mode="));
  if (child) {
    console.log(await mips(child.slice(7) as Mode));
    return;
  }
  console.log("Debugger costs (issue: F5 debugging)");
  const runs: Record<Mode, number[]> = { free: [], breakpoints: [], watch: [] };
  for (let i = 0; i < 3; i++) for (const mode of ["free", "breakpoints", "watch"] as Mode[]) runs[mode].push(inChild(mode));
  const free = median(runs.free);
  row("compute guest MIPS, free running (median of 3)", fmt(free));
  row("  with 16 breakpoints armed, never hit", fmt(median(runs.breakpoints)), `ratio ${fmt(median(runs.breakpoints) / free, 3)} (target >= 0.9)`);
  row("  with a data breakpoint armed (8 bytes)", fmt(median(runs.watch)), `ratio ${fmt(median(runs.watch) / free, 3)}`);
  console.log("  (a data breakpoint costs a compare per slice and a checkpoint every 50M instructions;");
  console.log("   a hit costs a bisection by re-execution, see test/vmm/watchpoints.test.ts)");
  const d = dwarfLoad();
  row("ELF+DWARF load of the guest, lazy (ms, median of 15)", fmt(d.lazyMs, 2));
  row("ELF+DWARF load of the guest, every unit parsed (ms)", fmt(d.eagerMs, 2), `${d.functions} functions`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
