// Recording benchmarks: overhead of recording the same echo-under-load workload (side by side,
// alternating), log size per virtual second and per received byte, checkpoint size and time,
// and replay speed against the recorded run. Prints figures; asserts nothing about time.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../src/vmm/machine";
import { Recorder, type RecorderOptions } from "../src/vmm/recording/recorder";
import { injectEchoLoad } from "../src/vmm/recording/echo-load";
import { readRecording } from "../src/vmm/recording/reader";
import { Replayer } from "../src/vmm/recording/replayer";
import { saveSnapshot, stateHash } from "../src/vmm/snapshot";
import { fmt, median, row } from "./lib/report";
import { KERNEL_PATH } from "../test/helpers/guest";

const kernel = new Uint8Array(readFileSync(KERNEL_PATH));
const dir = mkdtempSync(join(tmpdir(), "lvmm-bench-rec-"));
const SECONDS = 4;
const LOAD = { rate: 5000, payloadBytes: 512, endNs: SECONDS * 1e9, seed: 3 };

type Variant = Omit<Partial<RecorderOptions>, "path" | "kernel">;

async function workload(rec: Variant | undefined, i: number): Promise<{ ms: number; path?: string; rec?: Recorder; rxBytes: number }> {
  const m = await Machine.create({ kernel });
  injectEchoLoad(m, LOAD);
  const path = join(dir, `run${i}.lvmmrec`);
  const r = rec ? Recorder.attach(m, { path, kernel, ...rec }) : undefined;
  const t0 = performance.now();
  if (r) await r.run(SECONDS * 1e9);
  else await m.runAsync({ untilNs: SECONDS * 1e9 });
  const ms = performance.now() - t0;
  // Counted afterwards: a listener during the run would be work the plain run does too.
  const rxBytes = m.journal.all().reduce((n, e) => n + (e.kind === "frame" ? e.bytes.length : 0), 0);
  m.destroy();
  return { ms, rxBytes, ...(r ? { path, rec: r } : {}) };
}

async function main(): Promise<void> {
  console.log(`echo under load: ${LOAD.rate} datagrams/s of ${LOAD.payloadBytes} bytes, ${SECONDS} virtual s, JIT on`);
  // Each round runs the plain workload and every variant in turn, so drift hits all alike; the
  // overhead is the median of each round's ratio to its own plain run.
  const variants: { label: string; opts: Variant; note: string }[] = [
    { label: "recording overhead (default)", opts: {}, note: "target <= 10%; checkpoint hash every 1 virtual s" },
    { label: "  with a checkpoint every 250 ms", opts: { checkpointIntervalNs: 250e6 }, note: "--checkpoint-ms 250" },
    { label: "  with a digest at every input", opts: { eventHashes: true }, note: "--event-hashes" },
  ];
  await workload(undefined, -1); // warm-up
  await workload({}, -2);
  const ROUNDS = 5;
  const plain: number[] = [];
  const times = variants.map(() => [] as number[]);
  const ratios = variants.map(() => [] as number[]);
  let last: Awaited<ReturnType<typeof workload>> | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const base = (await workload(undefined, 0)).ms;
    plain.push(base);
    for (const [k, v] of variants.entries()) {
      const r = await workload(v.opts, 1 + k);
      if (k === 0) last = r;
      times[k]!.push(r.ms);
      ratios[k]!.push(r.ms / base);
    }
  }
  row(`run without recording (median of ${ROUNDS}, ms)`, fmt(median(plain), 0));
  row(`run while recording (median of ${ROUNDS}, ms)`, fmt(median(times[0]!), 0));
  for (const [k, v] of variants.entries()) row(v.label, `${fmt((median(ratios[k]!) - 1) * 100)} %`, v.note);
  const s = last!.rec!.stats;
  const size = statSync(last!.path!).size;
  const kernelBytes = kernel.length;
  row("log size per virtual second (KiB)", fmt((size - kernelBytes) / 1024 / SECONDS, 0), `file ${fmt(size / 1024, 0)} KiB incl. ${fmt(kernelBytes / 1024, 0)} KiB kernel`);
  row("log bytes per received byte", fmt((size - kernelBytes) / last!.rxBytes, 2), `${last!.rxBytes} bytes received; DMA log keeps RX and TX bytes too`);
  row("events recorded", String(s.events));
  row("checkpoint time on the guest thread (ms each)", fmt(s.checkpointMs / s.checkpoints, 1), `${s.checkpoints} checkpoints; the digest runs on a worker`);
  const recorded = median(times[0]!);

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

  // Replay speed: replay the last recording with and without --verify.
  const rec = readRecording(new Uint8Array(readFileSync(last!.path!)), { strict: true });
  for (const verify of [false, true]) {
    const rp = await Replayer.create(rec);
    const res = rp.run({ verify });
    rp.destroy();
    if (res.divergence) throw new Error(`replay diverged: ${JSON.stringify(res.divergence)}`);
    row(`replay${verify ? " --verify" : ""} (ms)`, fmt(res.wallMs, 0), `${fmt(res.wallMs / recorded, 2)}x the recorded run's time`);
  }
}

main().then(
  () => rmSync(dir, { recursive: true, force: true }),
  (e) => {
    rmSync(dir, { recursive: true, force: true });
    console.error(e);
    process.exit(1);
  },
);
