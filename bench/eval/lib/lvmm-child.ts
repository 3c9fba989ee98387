// One measured LVMM run in a process of its own (bundled by bench/eval/lib/bundle.ts), so no run
// inherits another's heap, JIT or GC debt. Prints one JSON line.
//
//   echo --trap=0|1 --seconds=S --window=W --payload=B --kernel=K
//     Closed-loop UDP echo for S wall seconds after a warm-up: W requests in flight, each reply
//     sends the next (the host side of the wire, in this process). Throughput and process CPU.
//   load --record=0|1 --rate=R --vs=V --payload=B --kernel=K --dir=D
//     The recording bench's workload: echo requests injected at R per virtual second for V
//     virtual seconds, run plain or under the Recorder (the per-interrupt RX DMA log and the
//     input journal written to D). Process and guest-thread CPU, received and log bytes.
//   deliver --trap=0|1 --streams=N --seconds=S --kernel=K --disk=D
//     Stream delivery: the engine (booted as lvmm serve boots it, content disk D) paced to wall
//     time, N streams started over the linkage (delivery-driver.ts), RTP packets counted over S
//     wall seconds after a warm-up. Packets per second and process and guest-thread CPU.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Machine } from "../../../src/vmm/machine";
import { Recorder } from "../../../src/vmm/recording/recorder";
import { echoFrame, injectEchoLoad } from "../../../src/vmm/recording/echo-load";
import { ChunkType } from "../../../src/vmm/recording/format";
import { GUEST_CMDLINE } from "./guest";
import { chunkBytes } from "../../lib/chunk-bytes";
import { DeliveryDriver } from "./delivery-driver";
import { ENGINE_DMA_LOG_LIMIT, engineCmdline } from "../../../src/streamsim/ioengine/engine-host";

const arg = (name: string, dflt?: string): string => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (a) return a.slice(name.length + 3);
  if (dflt === undefined) throw new Error(`--${name}= is required`);
  return dflt;
};

/** CPU ms of this process's main thread (the guest's), from /proc; undefined elsewhere. */
function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function processCpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

async function boot(kernel: Uint8Array, trap: boolean): Promise<Machine> {
  const m = await Machine.create({ kernel, cmdline: GUEST_CMDLINE, trapDeviceRegisters: trap });
  let ready = false;
  const off = m.serial.onLine((l) => {
    if (/^ready\r?$/.test(l)) {
      ready = true;
      m.requestStop("ready");
    }
  });
  m.run({ untilNs: 5e9 });
  off();
  if (!ready) throw new Error(`the guest did not get ready:\n${m.serial.output}`);
  return m;
}

async function echo(): Promise<void> {
  const kernel = new Uint8Array(readFileSync(arg("kernel")));
  const trap = arg("trap", "0") === "1";
  const seconds = Number(arg("seconds", "3"));
  const window = Number(arg("window", "16"));
  const payload = Number(arg("payload", "512"));
  const m = await boot(kernel, trap);
  const frames = Array.from({ length: 256 }, (_, i) => echoFrame(i, payload));
  let sent = 0;
  let replies = 0;
  let inflight = 0;
  let rxBytes = 0;
  const fill = (): void => {
    while (inflight < window) {
      const f = frames[sent++ & 255]!;
      rxBytes += f.length;
      m.wire.inject(f);
      inflight++;
    }
  };
  m.wire.onTransmit((f) => {
    // UDP from port 7: an echo reply (ARP and anything else do not count)
    if (f.length > 36 && f[12] === 0x08 && f[13] === 0 && f[23] === 17 && f[34] === 0 && f[35] === 7) {
      replies++;
      inflight--;
      fill();
    }
  });
  let stalls = 0;
  const loop = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const before = replies;
      fill();
      m.run({ untilNs: m.nowNs + 20e6 });
      if (replies === before && inflight > 0) {
        stalls++; // 20 virtual ms without a reply: the requests in flight were lost
        inflight = 0;
      }
    }
  };
  loop(Math.min(1000, seconds * 300)); // warm-up: the JIT compiles the guest's hot paths
  const r0 = replies;
  const b0 = rxBytes;
  const trap0 = m.registerTrapLog?.count ?? 0;
  const irq0 = m.dmaLog?.interrupts().length ?? 0;
  const v0 = m.nowNs;
  const c0 = process.cpuUsage();
  const t0c = threadCpuMs();
  const t0 = performance.now();
  loop(seconds * 1000);
  const wallMs = performance.now() - t0;
  const cpuMs = processCpuMs(c0);
  const t1c = threadCpuMs();
  const out = {
    replies: replies - r0,
    rxBytes: rxBytes - b0,
    wallMs,
    cpuMs,
    ...(t0c !== undefined && t1c !== undefined ? { threadCpuMs: t1c - t0c } : {}),
    virtualMs: (m.nowNs - v0) / 1e6,
    trapAccesses: (m.registerTrapLog?.count ?? 0) - trap0,
    trapLogBytes: ((m.registerTrapLog?.count ?? 0) - trap0) * 64,
    dmaInterrupts: (m.dmaLog?.interrupts().length ?? 0) - irq0,
    stalls,
  };
  // The trap path's own cost: the log record alone, timed over many calls on the live machine
  // (the ring is overwritten; the run is over).
  let trapRecordNs: number | undefined;
  const log = m.registerTrapLog;
  if (log) {
    const n = 200_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) log.record((i & 1) === 1, 4, 0x2818, i);
    trapRecordNs = ((performance.now() - t) * 1e6) / n;
  }
  m.destroy();
  console.log(JSON.stringify({ ...out, ...(trapRecordNs !== undefined ? { trapRecordNs } : {}) }));
}

async function load(): Promise<void> {
  const kernel = new Uint8Array(readFileSync(arg("kernel")));
  const record = arg("record", "0") === "1";
  const rate = Number(arg("rate", "5000"));
  const vs = Number(arg("vs", "4"));
  const payload = Number(arg("payload", "512"));
  const dir = arg("dir");
  const LOAD = { rate, payloadBytes: payload, seed: 3 };
  // Warm-up: one virtual second of the same run, in the same mode.
  const warm = await Machine.create({ kernel, cmdline: GUEST_CMDLINE });
  injectEchoLoad(warm, { ...LOAD, endNs: 1e9 });
  if (record) await Recorder.attach(warm, { path: join(dir, `warm-${process.pid}.lvmmrec`), kernel }).run(1e9);
  else await warm.runAsync({ untilNs: 1e9 });
  warm.destroy();

  const m = await Machine.create({ kernel, cmdline: GUEST_CMDLINE });
  injectEchoLoad(m, { ...LOAD, endNs: vs * 1e9 });
  let replies = 0;
  m.wire.onTransmit(() => replies++);
  const path = join(dir, `run-${process.pid}.lvmmrec`);
  const rec = record ? Recorder.attach(m, { path, kernel }) : undefined;
  const c0 = process.cpuUsage();
  const t0c = threadCpuMs();
  const t0 = performance.now();
  if (rec) await rec.run(vs * 1e9);
  else await m.runAsync({ untilNs: vs * 1e9 });
  const wallMs = performance.now() - t0;
  const cpuMs = processCpuMs(c0);
  const t1c = threadCpuMs();
  const frames = m.journal.all().filter((e) => e.kind === "frame");
  const rxBytes = frames.reduce((n, e) => n + (e.kind === "frame" ? e.bytes.length : 0), 0);
  const interrupts = m.dmaLog?.interrupts().length ?? 0;
  m.destroy();
  // The file holds the kernel and checkpoints besides the log proper (the event chunks: the
  // input journal and the per-interrupt RX DMA records).
  let log: { fileBytes: number; logStored: number; logInflated: number; eventsStored: number; eventsInflated: number } | undefined;
  if (rec) {
    const size = statSync(path).size;
    const chunks = chunkBytes(path);
    const kernelStored = chunks.get(ChunkType.Kernel)?.stored ?? 0;
    const inflated = [...chunks].filter(([t]) => t !== (ChunkType.Kernel as number)).reduce((n, [, x]) => n + x.inflated, 16);
    const events = chunks.get(ChunkType.Events) ?? { stored: 0, inflated: 0 };
    log = { fileBytes: size, logStored: size - kernelStored, logInflated: inflated, eventsStored: events.stored, eventsInflated: events.inflated };
  }
  // Checkpoints (state hashes on the guest thread) are the Recorder's, not the log's: their time is
  // reported so the log's own cost can be told apart.
  const checkpoint = rec ? { checkpoints: rec.stats.checkpoints, checkpointMs: rec.stats.checkpointMs } : {};
  console.log(
    JSON.stringify({ wallMs, cpuMs, ...(t0c !== undefined && t1c !== undefined ? { threadCpuMs: t1c - t0c } : {}), frames: frames.length, replies, rxBytes, interrupts, ...log, ...checkpoint }),
  );
}

async function deliver(): Promise<void> {
  const kernel = new Uint8Array(readFileSync(arg("kernel")));
  const disk = new Uint8Array(readFileSync(arg("disk")));
  const trap = arg("trap", "0") === "1";
  const streams = Number(arg("streams", "32"));
  const seconds = Number(arg("seconds", "3"));
  const bootId = 4242;
  // As EngineHost boots the server's engine (its DMA log short, no transmit records kept).
  const m = await Machine.create({ kernel, disk, cmdline: engineCmdline({ bootId }), dmaLogLimit: ENGINE_DMA_LOG_LIMIT, txLogLimit: 0, trapDeviceRegisters: trap });
  const driver = new DeliveryDriver(m.wire, bootId);
  const running = m.runAsync({}, { pace: true });
  const c0 = process.cpuUsage();
  const w = await driver.measure(streams, seconds, () => ({
    cpuMs: processCpuMs(c0),
    threadCpuMs: threadCpuMs() ?? NaN,
    trapAccesses: m.registerTrapLog?.count ?? 0,
  }));
  // threadCpuMs is NaN without /proc: left out, as the echo and load runs leave it out.
  const out = { ...w, ...(Number.isFinite(w.threadCpuMs) ? {} : { threadCpuMs: undefined }), restarts: driver.restarts };
  driver.close();
  m.pause();
  await running;
  m.destroy();
  console.log(JSON.stringify(out));
}

const cmd = process.argv[2];
(cmd === "echo" ? echo() : cmd === "load" ? load() : cmd === "deliver" ? deliver() : Promise.reject(new Error(`unknown command ${cmd}`))).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
