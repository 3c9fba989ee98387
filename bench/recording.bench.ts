// Recording benchmarks: overhead of recording the same echo-under-load workload (side by side,
// alternating), log size per virtual second and per received byte, checkpoint size and time,
// and replay speed against the recorded run. Prints figures; asserts nothing about time.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../src/vmm/machine";
import { Recorder } from "../src/vmm/recording/recorder";
import { injectEchoLoad } from "../src/vmm/recording/echo-load";
import { readRecording } from "../src/vmm/recording/reader";
import { Replayer } from "../src/vmm/recording/replayer";
import { saveSnapshot, stateHash } from "../src/vmm/snapshot";
import { fmt, median, row, sideBySide } from "./lib/report";

const kernel = new Uint8Array(readFileSync(join(__dirname, "..", "guest", "build", "ioengine.elf")));
const dir = mkdtempSync(join(tmpdir(), "lvmm-bench-rec-"));
const SECONDS = 1;
const LOAD = { rate: 5000, payloadBytes: 512, endNs: SECONDS * 1e9, seed: 3 };

async function workload(record: boolean, i: number): Promise<{ ms: number; path?: string; rec?: Recorder; rxBytes: number }> {
  const m = await Machine.create({ kernel });
  injectEchoLoad(m, LOAD);
  let rxBytes = 0;
  m.journal.onAppend((e) => (rxBytes += e.kind === "frame" ? e.bytes.length : 0));
  const path = join(dir, `run${i}.lvmmrec`);
  const rec = record ? Recorder.attach(m, { path, kernel, checkpointIntervalNs: 250e6 }) : undefined;
  const t0 = performance.now();
  if (rec) await rec.run(SECONDS * 1e9);
  else await m.runAsync({ untilNs: SECONDS * 1e9 });
  const ms = performance.now() - t0;
  m.destroy();
  return { ms, rxBytes, ...(rec ? { path, rec } : {}) };
}

async function main(): Promise<void> {
  console.log(`echo under load: ${LOAD.rate} datagrams/s of ${LOAD.payloadBytes} bytes, ${SECONDS} virtual s, JIT on`);
  await workload(false, -1); // warm-up
  let last: Awaited<ReturnType<typeof workload>> | undefined;
  const { a, b } = await sideBySide(4, async () => (await workload(false, 0)).ms, async () => {
    last = await workload(true, 1);
    return last.ms;
  });
  const plain = median(a);
  const recorded = median(b);
  row("run without recording (median of 4, ms)", fmt(plain, 0));
  row("run while recording (median of 4, ms)", fmt(recorded, 0), "checkpoint hash every 250 virtual ms");
  row("recording overhead", `${fmt((recorded / plain - 1) * 100)} %`, "target <= 10%");
  const s = last!.rec!.stats;
  const size = statSync(last!.path!).size;
  const kernelBytes = kernel.length;
  row("log size per virtual second (KiB)", fmt((size - kernelBytes) / 1024 / SECONDS, 0), `file ${fmt(size / 1024, 0)} KiB incl. ${fmt(kernelBytes / 1024, 0)} KiB kernel`);
  row("log bytes per received byte", fmt((size - kernelBytes) / last!.rxBytes, 2), `${last!.rxBytes} bytes received; DMA log keeps RX and TX bytes too`);
  row("events recorded", String(s.events));
  row("checkpoint hash time (ms each)", fmt(s.checkpointMs / s.checkpoints, 1), `${s.checkpoints} checkpoints`);

  // Checkpoint snapshot size and time on a booted machine.
  const m = await Machine.create({ kernel });
  m.run({ untilNs: 0.3e9 });
  const times: number[] = [];
  const hashTimes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    bytes = saveSnapshot(m).v86.byteLength;
    times.push(performance.now() - t0);
    const t1 = performance.now();
    stateHash(m);
    hashTimes.push(performance.now() - t1);
  }
  m.destroy();
  row("checkpoint snapshot size (MiB)", fmt(bytes / 1024 / 1024, 1));
  row("checkpoint snapshot time (median ms)", fmt(median(times), 1));
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
