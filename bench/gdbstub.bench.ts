// GDB stub benchmarks, side by side in one run, the LVMM's stub (`lvmm gdbserver`) against QEMU's
// gdbstub on the same guest kernel. Prints figures; asserts nothing about time.
//  1. stepi round trips per second, stepping from kmain: a bare protocol client (`s` and its stop
//     reply, the protocol's own round trip), and gdb's `stepi` (which also reads the registers
//     and the memory around the new pc after each step).
//  2. reverse-stepi latency through gdb at a depth of D instructions into a recording:
//     `lvmm gdbserver --recording` after `monitor goto D`, against QEMU `-icount rr=replay` with
//     its start snapshot (rrsnapshot) after `monitor replay_seek D`. QEMU steps back by loading
//     its nearest snapshot and replaying forward.
//     a. Both, at the same depth, on the guest's compute workload (no network input).
//     b. The LVMM deep into a recording of the guest under UDP echo. QEMU 7.2's replay of a
//        recording with network input (filter-replay on its e1000) never stops for gdb at a
//        seek target, so QEMU has no figure there (docs/gdbstub.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RspClient } from "../test/gdbstub/rsp-client";
import { CLI, KERNEL_PATH } from "../test/helpers/guest";
import { ElfFile } from "../src/vmm/elf";
import { QEMU } from "./eval/lib/qemu-echo";
import { GUEST_CMDLINE } from "./eval/lib/guest";
import { gdb, lvmmStub, qemuRecord, qemuStub, type QemuRecording, type Stub } from "./lib/gdb-stubs";
import { fmt, median, percentile, row } from "./lib/report";

const quick = process.argv.includes("--quick");
/** Instructions into the recording where reverse-stepi is timed. */
const DEPTH = quick ? 2e8 : 1e9;
/** Where both reverse-stepi on the compute workload (it runs ~4.2e8 instructions on either). */
const COMPUTE_DEPTH = 3e8;
const COMPUTE_CMDLINE = `${GUEST_CMDLINE} workload=compute`;
/** The echo load both recordings run under (datagrams per second), and how deep the LVMM's goes per virtual second at it. */
const ECHO_RATE = 20_000;
const LVMM_INSTRUCTIONS_PER_VIRTUAL_S = 4e7;
const STEPS = quick ? 1000 : 5000;
const GDB_STEPS = quick ? 300 : 1000;
const REVERSE_STEPS = 5;
const dir = mkdtempSync(join(tmpdir(), "lvmm-bench-gdb-"));

function kmainAddress(): number {
  const sym = ElfFile.parse(new Uint8Array(readFileSync(KERNEL_PATH))).symbols.find((x) => x.name === "kmain");
  if (!sym) throw new Error(`no kmain in ${KERNEL_PATH}`);
  return sym.value;
}

// ---- 1. stepi round trips -------------------------------------------------------------------

/** A bare client: no-ack mode, a breakpoint at kmain, continue, then `s` round trips. */
async function rawSteps(stub: Stub, kmain: number): Promise<number> {
  const c = await RspClient.open(stub.port);
  c.socket.setNoDelay(true); // as gdb does: an ack and the next request must not wait on Nagle
  try {
    // gdb's way: no-ack mode where the stub offers it (QEMU 7.2 does not), else ack each reply.
    const supported = await c.request("qSupported:swbreak+;hwbreak+");
    c.sendRaw("+");
    const ack = !(supported?.includes("QStartNoAckMode+") && (await c.request("QStartNoAckMode")) === "OK");
    c.sendRaw("+");
    const request = async (p: string): Promise<string | undefined> => {
      const r = await c.request(p);
      if (ack) c.sendRaw("+");
      return r;
    };
    const bp = `0,${kmain.toString(16)},1`;
    if ((await request(`Z${bp}`)) !== "OK") throw new Error("Z0 refused");
    const stop = await request("c");
    if (!stop?.startsWith("T") && !stop?.startsWith("S")) throw new Error(`continue to kmain: ${stop}`);
    await request(`z${bp}`);
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) {
      const r = await request("s");
      if (!r?.startsWith("T") && !r?.startsWith("S")) throw new Error(`step ${i}: ${r}`);
    }
    return STEPS / ((performance.now() - t0) / 1000);
  } finally {
    c.close();
  }
}

/** gdb's stepi, GDB_STEPS times from kmain, timed inside gdb (Python). Returns steps per second. */
async function gdbSteps(stub: Stub): Promise<number> {
  const out = await gdb(
    dir,
    stub.port,
    ["break kmain", "continue", "delete"],
    ["import time", "t = time.perf_counter()", `for i in range(${GDB_STEPS}):`, '    gdb.execute("stepi", to_string=True)', `print("STEPS_MS", (time.perf_counter() - t) * 1000)`],
  );
  const ms = Number(/^STEPS_MS ([\d.]+)/m.exec(out)?.[1]);
  if (!Number.isFinite(ms)) throw new Error(`gdb stepi loop failed:\n${out.slice(-2000)}`);
  return GDB_STEPS / (ms / 1000);
}

// ---- 2. reverse-stepi at depth ----------------------------------------------------------------

interface Reverse {
  /** Instruction count where the first reverse-stepi ran (as the target reported it). */
  depth: number;
  /** Wall ms to get there (the seek), and each reverse-stepi after it. */
  seekMs: number;
  reverseMs: number[];
}

/** `lvmm record` of the guest for `seconds` (virtual); its instruction count must pass `depth`. */
function lvmmRecording(name: string, depth: number, seconds: number, args: string[]): string {
  const path = join(dir, `${name}.lvmmrec`);
  const r = spawnSync(process.execPath, [CLI, "record", "--out", path, "--seconds", String(seconds), ...args, "--quiet"], { encoding: "utf8" });
  const n = Number(/\((\d+) instructions/.exec(r.stdout)?.[1]);
  if (r.status !== 0 || !(n > depth)) throw new Error(`lvmm record reached ${n} instructions, not ${depth}: ${r.stdout}${r.stderr}`);
  return path;
}

const REVERSE_SCRIPT = (seek: string[]): string[] => [
  "import time, re",
  "t = time.perf_counter()",
  ...seek.map((c) => `gdb.execute(${JSON.stringify(c)}, to_string=True)`),
  'print("SEEK_MS", (time.perf_counter() - t) * 1000)',
  `for i in range(${REVERSE_STEPS}):`,
  "    t = time.perf_counter()",
  '    gdb.execute("reverse-stepi", to_string=True)',
  '    print("REVERSE_MS", (time.perf_counter() - t) * 1000)',
];

function parseReverse(out: string, depth: number): Reverse {
  const seekMs = Number(/^SEEK_MS ([\d.]+)/m.exec(out)?.[1]);
  const reverseMs = [...out.matchAll(/^REVERSE_MS ([\d.]+)/gm)].map((m) => Number(m[1]));
  if (!Number.isFinite(seekMs) || reverseMs.length !== REVERSE_STEPS) throw new Error(`gdb's reverse-stepi session failed:\n${out.slice(-2000)}`);
  return { depth, seekMs, reverseMs };
}

async function lvmmReverse(recording: string, depth: number): Promise<Reverse> {
  const stub = await lvmmStub(["--recording", recording]);
  try {
    const out = await gdb(dir, stub.port, [], [...REVERSE_SCRIPT([`monitor goto ${depth}`, "maintenance flush register-cache"]), 'print("AT", gdb.execute("monitor icount", to_string=True))']);
    const at = Number(/^AT icount (\d+)/m.exec(out)?.[1]);
    return parseReverse(out, at + REVERSE_STEPS);
  } finally {
    await stub.stop();
  }
}

async function qemuReverse(rec: QemuRecording, depth: number): Promise<Reverse> {
  const stub = await qemuStub(rec);
  try {
    // Bounded: a replay that never reaches the seek's target leaves gdb waiting for a stop.
    const out = await gdb(dir, stub.port, [], [...REVERSE_SCRIPT([`monitor replay_seek ${depth}`, "continue"]), 'print("AT", gdb.execute("monitor info replay", to_string=True))'], 45_000);
    const at = Number(/instruction count = (\d+)/.exec(out)?.[1]);
    return parseReverse(out, at + REVERSE_STEPS);
  } finally {
    await stub.stop();
  }
}

// ---- the run ---------------------------------------------------------------------------------

async function measure<T>(label: string, f: () => Promise<T>): Promise<T | string> {
  try {
    return await f();
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const why = text.split("\n")[0]!;
    console.log(`  ${label}: not measured: ${text.split("\n").slice(-12).join("\n    ")}`);
    return why;
  }
}

async function main(): Promise<void> {
  if (spawnSync("gdb", ["--version"]).status !== 0) throw new Error("gdb is not installed (Debian's gdb)");
  if (!existsSync(KERNEL_PATH)) throw new Error(`${KERNEL_PATH} is missing: npm run build`);
  const hasQemu = spawnSync(QEMU, ["--version"]).status === 0;
  const kmain = kmainAddress();
  console.log(`gdb stub: the LVMM's (lvmm gdbserver) against QEMU's (${hasQemu ? "qemu-system-i386 -gdb" : "not installed"}), the same kernel; ${quick ? "quick run" : "full run"}`);
  await stepiRoundTrips(hasQemu, kmain);
  await reverseAtDepth(hasQemu);
}

/** Part 1. Rounds alternate the two stubs; each measurement is a fresh stub process. */
async function stepiRoundTrips(hasQemu: boolean, kmain: number): Promise<void> {
  const rounds = quick ? 2 : 4;
  const raw = { lvmm: [] as number[], qemu: [] as number[] };
  const viaGdb = { lvmm: [] as number[], qemu: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    for (const which of i % 2 ? (["qemu", "lvmm"] as const) : (["lvmm", "qemu"] as const)) {
      if (which === "qemu" && !hasQemu) continue;
      const start = () => (which === "lvmm" ? lvmmStub(["--kernel", KERNEL_PATH]) : qemuStub());
      const r = await measure(`${which} stepi (bare client)`, async () => {
        const s = await start();
        try {
          return await rawSteps(s, kmain);
        } finally {
          await s.stop();
        }
      });
      if (typeof r === "number") raw[which].push(r);
      const g = await measure(`${which} stepi (gdb)`, async () => {
        const s = await start();
        try {
          return await gdbSteps(s);
        } finally {
          await s.stop();
        }
      });
      if (typeof g === "number") viaGdb[which].push(g);
    }
  }
  const spreadOf = (xs: number[]) => (xs.length > 1 ? `middle half of ${xs.length} rounds ${fmt(percentile(xs, 25), 0)}–${fmt(percentile(xs, 75), 0)}` : `${xs.length} round`);
  const rate = (xs: number[]) => (xs.length ? fmt(median(xs), 0) : "n/a");
  console.log(`  1. stepi round trips from kmain (${STEPS} bare, ${GDB_STEPS} through gdb per round)`);
  row("    LVMM, bare client (steps/s)", rate(raw.lvmm), spreadOf(raw.lvmm));
  row("    QEMU TCG, bare client (steps/s)", rate(raw.qemu), spreadOf(raw.qemu));
  if (raw.lvmm.length && raw.qemu.length) row("    ratio LVMM / QEMU", fmt(median(raw.lvmm) / median(raw.qemu), 2));
  row("    LVMM, gdb stepi (steps/s)", rate(viaGdb.lvmm), spreadOf(viaGdb.lvmm));
  row("    QEMU TCG, gdb stepi (steps/s)", rate(viaGdb.qemu), spreadOf(viaGdb.qemu));
  if (viaGdb.lvmm.length && viaGdb.qemu.length) row("    ratio LVMM / QEMU", fmt(median(viaGdb.lvmm) / median(viaGdb.qemu), 2));
}

/** Part 2. One recording each, then reverse-stepi: (a) both on the compute workload, (b) the LVMM under echo. */
async function reverseAtDepth(hasQemu: boolean): Promise<void> {
  console.log(`  2a. reverse-stepi through gdb at ${COMPUTE_DEPTH.toExponential(0)} instructions into a recording of the guest's compute workload`);
  const lvmmCompute = await measure("LVMM reverse-stepi", () => lvmmReverse(lvmmRecording("compute", COMPUTE_DEPTH, 2, ["--cmdline", COMPUTE_CMDLINE]), COMPUTE_DEPTH));
  const qemu = hasQemu ? await measure("QEMU reverse-stepi", async () => qemuReverse(await qemuRecord(dir, COMPUTE_CMDLINE, /^compute done/m), COMPUTE_DEPTH)) : "QEMU is not installed";
  show("LVMM (monitor goto)", lvmmCompute);
  show("QEMU TCG (rr=replay, replay_seek)", qemu);
  if (typeof lvmmCompute !== "string" && typeof qemu !== "string") row("    ratio QEMU / LVMM (reverse-stepi latency, same depth)", fmt(median(qemu.reverseMs) / median(lvmmCompute.reverseMs), 1));
  console.log(`  2b. reverse-stepi through gdb at ${DEPTH.toExponential(0)} instructions into a recording of the guest under UDP echo at ${ECHO_RATE}/s`);
  const seconds = Math.ceil((DEPTH * 1.15) / LVMM_INSTRUCTIONS_PER_VIRTUAL_S) + 1;
  show("LVMM (monitor goto)", await measure("LVMM reverse-stepi", () => lvmmReverse(lvmmRecording("echo", DEPTH, seconds, ["--echo-load", String(ECHO_RATE)]), DEPTH)));
  row("    QEMU TCG", "n/a", "QEMU 7.2 does not stop for gdb when it replays network input (see the file's head)");
}

function show(label: string, r: Reverse | string): void {
  if (typeof r === "string") return row(`    ${label}`, "n/a", r);
  row(
    `    ${label}: reverse-stepi (ms)`,
    fmt(median(r.reverseMs), 1),
    `median of ${r.reverseMs.length} in a row (first ${fmt(r.reverseMs[0]!, 1)}, max ${fmt(Math.max(...r.reverseMs), 1)}) at instruction ${r.depth}`,
  );
  row(`    ${label}: the seek there (ms)`, fmt(r.seekMs, 0));
}

void main()
  .then(
    () => 0,
    (e: unknown) => {
      console.error(`gdbstub bench failed: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    },
  )
  .then((code) => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  });
