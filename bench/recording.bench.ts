// Recording benchmarks: overhead of recording the same echo-under-load workload (side by side,
// alternating within each round's process: round() says why), log size per virtual second and
// per received byte (as stored, uncompressed, and as format 4 stored it: with the transmit
// records, uncompressed), checkpoint size and time, and replay speed against the recorded run.
// Prints figures, with the noise floor (plain runs against each other); asserts nothing about time.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../src/vmm/machine";
import { spawnSync } from "node:child_process";
import { Recorder, type RecorderOptions } from "../src/vmm/recording/recorder";
import { injectEchoLoad } from "../src/vmm/recording/echo-load";
import { readRecording } from "../src/vmm/recording/reader";
import { ByteSink } from "../src/vmm/recording/bytes";
import { encodeTxDma } from "../src/vmm/recording/codec";
import { ChunkType } from "../src/vmm/recording/format";
import { Replayer } from "../src/vmm/recording/replayer";
import { saveSnapshot, stateHash } from "../src/vmm/snapshot";
import { stateHashInput } from "../src/vmm/machine-hash";
import { fmt, median, percentile, row } from "./lib/report";
import { selfArgs } from "./lib/self";
import { KERNEL_PATH } from "../test/helpers/guest";
import { chunkBytes } from "./lib/chunk-bytes";

const kernel = new Uint8Array(readFileSync(KERNEL_PATH));
const dirArg = process.argv.find((a) => a.startsWith("--dir="));
const dir = dirArg ? dirArg.slice(6) : mkdtempSync(join(tmpdir(), "lvmm-bench-rec-"));
const SECONDS = 8;
const LOAD = { rate: 5000, payloadBytes: 512, endNs: SECONDS * 1e9, seed: 3 };

type Variant = Omit<Partial<RecorderOptions>, "path" | "kernel">;

/** CPU ms the main thread (the guest's) has used, to the ns (Linux: /proc schedstat; elsewhere undefined). */
function threadCpuMs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return undefined;
  }
}

interface RunFigures {
  ms: number;
  /** CPU of the guest thread (this process's main thread), and of the whole process (all its threads). */
  threadCpuMs?: number;
  processCpuMs: number;
  attachMs?: number;
  /** Counted for the run whose recording is kept (`keep`). */
  rxBytes?: number;
  txRecordBytes?: number;
}

/** One run of the workload, plain or recorded; a recording not kept is deleted at once. */
async function workload(rec: Variant | undefined, name: string, rate: number, keep: boolean): Promise<RunFigures & { path?: string; stats?: Recorder["stats"] }> {
  const m = await Machine.create({ kernel });
  injectEchoLoad(m, { ...LOAD, rate });
  const path = join(dir, `run${name}.lvmmrec`);
  const a0 = performance.now();
  const r = rec ? Recorder.attach(m, { path, kernel, ...rec }) : undefined;
  const attachMs = performance.now() - a0;
  // The recorder's attach reads all of guest RAM once (outside the timed run); the plain run
  // does too, so that neither pays the first touch of those pages inside it.
  if (!r) stateHashInput(m);
  const c0 = threadCpuMs();
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  if (r) await r.run(SECONDS * 1e9);
  else await m.runAsync({ untilNs: SECONDS * 1e9 });
  const ms = performance.now() - t0;
  const c1 = threadCpuMs();
  const p1 = process.cpuUsage(p0);
  const cpu = { processCpuMs: (p1.user + p1.system) / 1000, ...(c0 !== undefined && c1 !== undefined ? { threadCpuMs: c1 - c0 } : {}) };
  let sizes = {};
  if (keep) {
    // Counted afterwards: a listener during the run would be work the plain run does too.
    const rxBytes = m.journal.all().reduce((n, e) => n + (e.kind === "frame" ? e.bytes.length : 0), 0);
    // What format 4 stored besides: a tx-dma record per transmit descriptor, its bytes included.
    const sink = new ByteSink();
    for (const t of m.dmaLog?.transmits() ?? []) encodeTxDma(sink, t.icount, t.ns, t);
    sizes = { rxBytes, txRecordBytes: sink.length };
  } else if (r) rmSync(path, { force: true });
  m.destroy();
  // Figures only: a run that kept its Recorder (and so its Machine) would crowd the next ones.
  return { ms, ...cpu, ...sizes, ...(r ? { path, stats: { ...r.stats }, attachMs } : {}) };
}

/** The measured variants, each against the plain run at its load. */
const VARIANTS: { label: string; opts: Variant; rate: number; note: string }[] = [
  { label: "recording overhead (default)", opts: {}, rate: LOAD.rate, note: "target <= 10%; default checkpoints (2 virtual s, capped at ~1% of the run)" },
  { label: "  with a checkpoint every 250 ms", opts: { checkpointIntervalNs: 250e6 }, rate: LOAD.rate, note: "--checkpoint-ms 250" },
  { label: "  with a digest at every input", opts: { eventHashes: true }, rate: LOAD.rate, note: "--event-hashes" },
  { label: "  at 1,000 datagrams/s", opts: {}, rate: 1000, note: "lighter load: the guest idles, per-checkpoint costs weigh more" },
];
/**
 * The default variant's plain (A) and recorded (B) runs per round, in ABBA BAAB order (repeated
 * for a multiple of 4 pairs): a linear drift and the ends of the sequence fall on both alike.
 * The others get one ABBA.
 */
const DEFAULT_PAIRS = 8;
const ABBA_BAAB = "ABBABAAB";

interface RoundFigures {
  /** Per variant: the recorded runs' wall ms over the plain runs' beside them. */
  ratios: number[];
  /** The default variant's plain runs 1 and 4 over 2 and 3: what the same run measures against itself. */
  plainAgainstPlain: number;
  plainMs: number;
  recordedMs: number;
  threadCpuRatio?: number;
  processCpuRatio: number;
  last: RunFigures & { path: string; stats: Recorder["stats"] };
}

/**
 * One round, in a fresh process: a warm-up, then each variant against the plain run at its
 * load, alternating (ABBA_BAAB), so that both halves share this process's speed. Plain runs of
 * the same workload in fresh processes differ by up to 30% on these machines, and much of that
 * is per process (the same process stays fast or slow), so a round compares runs within one
 * process; rounds are separate processes. Each run starts after a full GC, so that none pays
 * for the garbage of the one before.
 */
async function round(k: number): Promise<RoundFigures> {
  // The warm-up: a whole run of each kind, not timed. After shorter ones (1 virtual s each) the
  // first timed run still took ~1.4x the later ones: V8 was still optimizing the LVMM's code.
  for (const rec of [{}, undefined]) {
    (globalThis as { gc?: () => void }).gc?.();
    await workload(rec, `${k}-warm`, LOAD.rate, false);
  }
  const ratios: number[] = [];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  let main: Omit<RoundFigures, "ratios"> | undefined;
  for (const [v, variant] of VARIANTS.entries()) {
    const plain: RunFigures[] = [];
    const recorded: (RunFigures & { path?: string; stats?: Recorder["stats"] })[] = [];
    const order = (v === 0 ? ABBA_BAAB.repeat(DEFAULT_PAIRS / 4) : "ABBA").split("");
    for (const [i, run] of order.entries()) {
      const isRecorded = run === "B";
      spawnSync("sync");
      // The last run's machine is freed here, not during this one: freeing its memory and
      // faulting in the next one's made the same run take 550 to 900 ms within one process.
      (globalThis as { gc?: () => void }).gc?.();
      const r = await workload(isRecorded ? variant.opts : undefined, `${k}-${v}-${i}`, variant.rate, v === 0 && i === order.lastIndexOf("B"));
      (isRecorded ? recorded : plain).push(r);
    }
    ratios.push(sum(recorded.map((r) => r.ms)) / sum(plain.map((r) => r.ms)));
    if (v !== 0) continue;
    // Plain against plain (of each 4 plain runs, the 1st and 4th against the 2nd and 3rd): the noise floor.
    const p = plain.map((r) => r.ms);
    const outer = p.filter((_, i) => i % 4 === 0 || i % 4 === 3);
    const inner = p.filter((_, i) => i % 4 === 1 || i % 4 === 2);
    const aa = sum(outer) / sum(inner);
    const cpuRatio = (f: (r: RunFigures) => number | undefined) => {
      const [a, b] = [recorded.map(f), plain.map(f)];
      return a.every((x) => x !== undefined) && b.every((x) => x !== undefined) ? sum(a as number[]) / sum(b as number[]) : undefined;
    };
    const last = recorded[recorded.length - 1]!;
    main = {
      plainAgainstPlain: aa,
      plainMs: sum(plain.map((r) => r.ms)) / plain.length,
      recordedMs: sum(recorded.map((r) => r.ms)) / recorded.length,
      ...(cpuRatio((r) => r.threadCpuMs) !== undefined ? { threadCpuRatio: cpuRatio((r) => r.threadCpuMs)! } : {}),
      processCpuRatio: cpuRatio((r) => r.processCpuMs)!,
      last: { ...last, path: last.path!, stats: last.stats! },
    };
  }
  return { ratios, ...main! };
}

function inChild(k: number, out: string): RoundFigures {
  const r = spawnSync(process.execPath, ["--expose-gc", ...selfArgs(__filename, `--round=${k}`, `--dir=${out}`)], { encoding: "utf8" });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as RoundFigures;
  } catch {
    throw new Error(`round ${k} failed: ${r.stderr}`);
  }
}

async function main(): Promise<void> {
  const roundArg = process.argv.find((a) => a.startsWith("--round="));
  if (roundArg) return console.log(JSON.stringify(await round(Number(roundArg.slice(8)))));
  console.log(`echo under load: ${LOAD.rate} datagrams/s of ${LOAD.payloadBytes} bytes, ${SECONDS} virtual s, JIT on`);
  // Each round is a process of its own (round() says why); a round's overhead is the ratio of
  // its recorded runs' wall time to its plain runs'; the figures are the median and the middle
  // half of the rounds (--rounds N, default 9).
  const roundsArg = process.argv.find((a) => a.startsWith("--rounds="));
  const ROUNDS = roundsArg ? Number(roundsArg.slice(9)) : 9;
  const rounds: RoundFigures[] = [];
  for (let k = 0; k < ROUNDS; k++) rounds.push(inChild(k, dir));
  const spread = (xs: number[]) => `middle half of the rounds ${fmt((percentile(xs, 25) - 1) * 100, 0)} to ${fmt((percentile(xs, 75) - 1) * 100, 0)} %`;
  row(`run without recording (median of ${ROUNDS} rounds, ms)`, fmt(median(rounds.map((r) => r.plainMs)), 0), "a round's mean over its plain runs beside the default recording's");
  row(`run while recording (median of ${ROUNDS} rounds, ms)`, fmt(median(rounds.map((r) => r.recordedMs)), 0));
  for (const [k, v] of VARIANTS.entries()) {
    const ratios = rounds.map((r) => r.ratios[k]!);
    row(v.label, `${fmt((median(ratios) - 1) * 100)} %`, `${v.note}; ${spread(ratios)}`);
  }
  const aa = rounds.map((r) => r.plainAgainstPlain);
  row("  plain against plain", `${fmt((median(aa) - 1) * 100)} %`, `the noise floor: of each 4 plain runs in a round, the 1st and 4th against the 2nd and 3rd; ${spread(aa)}`);
  // Wall time moves with whatever else the machine runs; CPU time much less.
  const cpuRow = (label: string, rs: number[], note: string): void => {
    if (rs.length) row(label, `${fmt((median(rs) - 1) * 100)} %`, `${note}; ${spread(rs)}`);
  };
  cpuRow(
    "  in guest thread CPU",
    rounds.flatMap((r) => (r.threadCpuRatio === undefined ? [] : [r.threadCpuRatio])),
    "the default recording's extra CPU time on the thread that runs the guest (schedstat): the recorder's own work there, and what it costs the guest's code beside it",
  );
  cpuRow(
    "  in process CPU",
    rounds.map((r) => r.processCpuRatio),
    "the same, all threads (the chunk I/O and digest threads included)",
  );
  const last = rounds[rounds.length - 1]!.last;
  const s = last.stats;
  const size = statSync(last.path).size;
  // The log: the file without the kernel image (embedded in every recording alike).
  const chunksBy = chunkBytes(last.path!);
  const kernelChunk = chunksBy.get(ChunkType.Kernel) ?? { stored: 0, inflated: 0 };
  const stored = size - kernelChunk.stored;
  const inflated = [...chunksBy].filter(([t]) => t !== (ChunkType.Kernel as number)).reduce((n, [, x]) => n + x.inflated, 16);
  const format4 = inflated + last.txRecordBytes!;
  const perSecond = (bytes: number) => fmt(bytes / 1024 / SECONDS, 0);
  const perByte = (bytes: number) => fmt(bytes / last.rxBytes!, 2);
  row(
    "log size per virtual second, as stored (KiB)",
    perSecond(stored),
    `file ${fmt(size / 1024, 0)} KiB incl. the kernel (${fmt(kernelChunk.stored / 1024, 0)} KiB stored); event chunks compressed (brotli, quality 0)`,
  );
  row("  uncompressed (KiB)", perSecond(inflated), "the same records, inflated");
  row("  as format 4 stored them (KiB)", perSecond(format4), "uncompressed, with a tx-dma record (bytes included) per transmit descriptor");
  row("log bytes per received byte, as stored", perByte(stored), `${last.rxBytes} bytes received; the echo payloads are a counting pattern: real traffic compresses less`);
  row("  uncompressed", perByte(inflated));
  row("  as format 4 stored them", perByte(format4));
  row("recorder attach (ms)", fmt(last.attachMs, 0), "header, kernel, and a first read of the state the checkpoints hash (outside the timed run)");
  row("events recorded", String(s.events));
  row(
    "checkpoint time on the guest thread (ms each)",
    fmt(s.checkpointMs / s.checkpoints, 1),
    `${s.checkpoints} checkpoints; mid-run ones copy the non-zero RAM pages for a worker, the last is digested in place`,
  );
  const recorded = median(rounds.map((r) => r.recordedMs));

  // Checkpoint snapshot size and time on a booted machine.
  const m = await Machine.create({ kernel });
  m.run({ untilNs: 0.3e9 });
  const snapTimes: number[] = [];
  const hashTimes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    bytes = saveSnapshot(m).v86.byteLength;
    snapTimes.push(performance.now() - t0);
    const t1 = performance.now();
    stateHash(m);
    hashTimes.push(performance.now() - t1);
  }
  m.destroy();
  row("checkpoint snapshot size (MiB)", fmt(bytes / 1024 / 1024, 1));
  row("checkpoint snapshot time (median ms)", fmt(median(snapTimes), 1));
  row("state hash time (median ms)", fmt(median(hashTimes), 1));

  // Replay speed: replay the last recording with and without --verify, after a replay that is
  // not timed (this process has not run the emulator before: the first replay took ~1.4x the
  // next ones), alternating, the median of REPLAYS each.
  const rec = readRecording(new Uint8Array(readFileSync(last.path!)), { strict: true });
  const replayMs = async (verify: boolean): Promise<number> => {
    const rp = await Replayer.create(rec);
    const res = rp.run({ verify });
    rp.destroy();
    if (res.divergence) throw new Error(`replay diverged: ${JSON.stringify(res.divergence)}`);
    return res.wallMs;
  };
  await replayMs(false);
  const times: Record<"plain" | "verify", number[]> = { plain: [], verify: [] };
  for (let i = 0; i < REPLAYS; i++) for (const verify of i % 2 ? [true, false] : [false, true]) times[verify ? "verify" : "plain"].push(await replayMs(verify));
  for (const verify of [false, true]) {
    const ms = median(times[verify ? "verify" : "plain"]);
    row(`replay${verify ? " --verify" : ""} (median ms)`, fmt(ms, 0), `${fmt(ms / recorded, 2)}x the recorded run's time; median of ${REPLAYS}`);
  }
}

/** Timed replays of each kind (after one untimed). */
const REPLAYS = 3;

// Children write into the parent's directory; only the parent removes it.
const cleanUp = (): void => void (dirArg || rmSync(dir, { recursive: true, force: true }));
main().then(cleanUp, (e) => {
  cleanUp();
  console.error(e);
  process.exit(1);
});
