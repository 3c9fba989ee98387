// Reverse execution costs on a 2-minute (virtual) run of UDP echo under load: reverse-step
// latency at random points (p50/p99, first step after arriving and the steps after it), the
// cost of going to an instruction count, reverse-continue across one virtual second, and the
// checkpoint memory that made it possible.
import { reverseContinue, seekTo, stepBack } from "../src/vmm/reverse";
import { ElfFile } from "../src/vmm/elf";
import { bootGuest, kernel, udpToGuest } from "../test/helpers/guest";
import { fmt, percentile, row } from "./lib/report";

const SECONDS = 120;
const RATE = 500; // datagrams per virtual second

async function main(): Promise<void> {
  console.log(`Reverse execution (issue: record, replay and reverse), ${SECONDS} virtual s of echo at ${RATE}/s`);
  const m = await bootGuest({ cmdline: "quiet" });
  m.timeline.checkpoint();
  const t0 = m.nowNs;
  let seed = 12345;
  for (let i = 0; i < SECONDS * RATE; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const jitter = (seed % 1000) * 1000; // up to 1 ms
    m.wire.inject(udpToGuest(new Uint8Array(200), 40000 + (i & 255)), t0 + (i * 1e9) / RATE + jitter);
  }
  const w0 = performance.now();
  // Forward run with periodic checkpoints, as a recording would take them.
  while (m.nowNs < t0 + SECONDS * 1e9) {
    m.run({ untilNs: Math.min(t0 + SECONDS * 1e9, m.nowNs + 50e6) });
    m.timeline.maybeCheckpoint();
  }
  const forwardMs = performance.now() - w0;
  const end = m.icountNumber;
  row("forward run (wall ms)", fmt(forwardMs, 0), `${end} instructions, ${m.timeline.checkpoints.length} checkpoints, ${fmt(m.timeline.memoryBytes / 2 ** 20, 1)} MiB`);

  const arrive: number[] = [];
  const first: number[] = [];
  const next: number[] = [];
  for (let k = 0; k < 25; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const target = Math.floor((seed / 2 ** 32) * (end - 1_000_000)) + 1_000_000;
    let t = performance.now();
    seekTo(m, target);
    arrive.push(performance.now() - t);
    t = performance.now();
    stepBack(m);
    first.push(performance.now() - t);
    for (let j = 0; j < 4; j++) {
      t = performance.now();
      stepBack(m);
      next.push(performance.now() - t);
    }
  }
  row("go to a random instruction count: p50 / p99 (ms)", `${fmt(percentile(arrive, 50))} / ${fmt(percentile(arrive, 99))}`);
  row("reverse-step right after arriving: p50 / p99 (ms)", `${fmt(percentile(first, 50))} / ${fmt(percentile(first, 99))}`, "targets 20 / 250");
  row("further reverse-steps there: p50 / p99 (ms)", `${fmt(percentile(next, 50))} / ${fmt(percentile(next, 99))}`);

  // Reverse-continue across one virtual second: a breakpoint hit only once, 1 s back.
  const udpInput = ElfFile.parse(kernel()).symbolByName("udp_input")!;
  seekTo(m, end);
  const oneSecondBack = m.timeline.checkpoints.filter((c) => c.ns <= m.nowNs - 1e9).pop();
  let t = performance.now();
  const found = reverseContinue(m, {
    arm: (mm) => mm.breakpoints.set([udpInput.value]),
    accept: (mm) => (oneSecondBack ? mm.icountNumber <= oneSecondBack.icount : true),
  });
  const rcMs = performance.now() - t;
  row("reverse-continue to a hit >= 1 virtual s back (ms)", fmt(rcMs, 0), found ? `landed ${fmt((end - found.icount) / 1e6, 1)}M instructions back` : "no hit");
  t = performance.now();
  seekTo(m, end);
  row("back to the end of the run (ms)", fmt(performance.now() - t, 0));
  m.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
