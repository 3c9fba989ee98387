// `lvmm record`: run the I/O engine under a scenario and record it to a .lvmmrec file.
import { basename } from "node:path";
import { Machine } from "../../vmm/machine";
import { DEFAULT_CHECKPOINT_INTERVAL_NS, Recorder } from "../../vmm/recording/recorder";
import { RingRecorder } from "../../vmm/recording/ring-recorder";
import { echoLoadFeeder, echoLoadFrameCount, type EchoLoad } from "../../vmm/recording/echo-load";
import { readKernel } from "../kernel-path";
import { parse, positiveInteger, positiveNumber } from "../options";
import { EXIT, UsageError } from "../errors";
import { withRecordingErrors } from "../recording-file";
import { describeStop } from "./boot";
import { ProgressLine } from "../terminal";

export const RECORD_HELP = `usage: lvmm record --out FILE [--seconds N] [--ring SECONDS] [--kernel ELF] [--cmdline S]
                   [--memory MB] [--mips N] [--no-jit] [--echo-load RATE] [--jitter-us N]
                   [--payload BYTES] [--burst N] [--seed N] [--race] [--checkpoint-ms N]
                   [--snapshots] [--event-hashes] [--no-embed-kernel] [--quiet]
  Boots the kernel, runs SECONDS of virtual time (default 2) and records every input, interrupt,
  console line, NIC DMA and a state hash every CHECKPOINT-MS to FILE (default: every 2000 ms of
  virtual time, fewer while they would cost more than ~1% of the run). Ctrl-C (SIGINT) or
  SIGTERM ends the run at the next checkpoint with a complete recording.
  --ring SECONDS    keep only the last SECONDS of virtual time (a flight recorder): the run is
                    recorded in segments (a quarter of the window each, whole checkpoints) in
                    the directory FILE.ring, older ones deleted as the window moves on; when the
                    run ends they are merged into FILE, which starts at a snapshot and covers at
                    least the last SECONDS. If lvmm is killed, each segment left in FILE.ring
                    replays on its own.
  --echo-load RATE  UDP echo datagrams per virtual second from 150 ms on, each arrival shifted
                    by a random jitter up to --jitter-us (default: one period); --burst frames each
  --race            the demonstration race: guest race=rdt-early, bursts of 64 frames 100 times
                    a second on top of the echo load (default 20000/s); the recording ends 10 ms
                    after the guest reports a corrupted frame
  --snapshots       also store each checkpoint's machine snapshot (fast seeks; large files)
  --event-hashes    also record a digest of the CPU state (registers, count, time, interrupt
                    lines) where each input reaches the guest; replay --verify then stops at
                    the first input where it differs, not at the next checkpoint`;

export async function record(args: string[]): Promise<number> {
  const { values } = parse(args, {
    out: { type: "string" },
    seconds: { type: "string" },
    kernel: { type: "string" },
    cmdline: { type: "string" },
    memory: { type: "string" },
    mips: { type: "string" },
    "no-jit": { type: "boolean" },
    "echo-load": { type: "string" },
    "jitter-us": { type: "string" },
    payload: { type: "string" },
    burst: { type: "string" },
    seed: { type: "string" },
    race: { type: "boolean" },
    "checkpoint-ms": { type: "string" },
    snapshots: { type: "boolean" },
    "event-hashes": { type: "boolean" },
    "no-embed-kernel": { type: "boolean" },
    quiet: { type: "boolean" },
    ring: { type: "string" },
  });
  if (!values.out) throw new UsageError("--out FILE is required (the recording to write)");
  const seconds = positiveNumber("seconds", values.seconds) ?? 2;
  const rate = positiveNumber("echo-load", values["echo-load"]) ?? (values.race ? 20000 : undefined);
  const jitterUs = values["jitter-us"] === "0" ? 0 : positiveNumber("jitter-us", values["jitter-us"]);
  const payloadBytes = positiveInteger("payload", values.payload) ?? (values.race ? 600 : 256);
  if (payloadBytes > 1472) throw new UsageError(`--payload must be at most 1472 bytes, got ${payloadBytes}`);
  const burst = positiveInteger("burst", values.burst) ?? 1;
  const seed = values.seed === "0" ? 0 : (positiveInteger("seed", values.seed) ?? 1);
  const checkpointMsGiven = positiveNumber("checkpoint-ms", values["checkpoint-ms"]);
  const checkpointMs = checkpointMsGiven ?? DEFAULT_CHECKPOINT_INTERVAL_NS / 1e6;
  const ringSeconds = positiveNumber("ring", values.ring);
  const kernel = readKernel(values.kernel);
  let cmdline = values.cmdline ?? "";
  if (values.race && !/\brace=/.test(cmdline)) cmdline = `${cmdline} race=rdt-early`.trim();

  return withRecordingErrors(async () => {
    const machine = await Machine.create({
      kernel: kernel.bytes,
      cmdline,
      memoryMB: positiveInteger("memory", values.memory) ?? 32,
      mips: positiveNumber("mips", values.mips) ?? 500,
      jit: !values["no-jit"],
      seed,
    });
    const endNs = seconds * 1e9;
    const loads: EchoLoad[] = [];
    if (values.race) loads.push({ rate: 100, burst: 64, endNs, seed: seed + 7, payloadBytes });
    if (rate) loads.push({ rate, endNs, seed, payloadBytes, burst, firstSeq: values.race ? 1_000_000 : 0, ...(jitterUs !== undefined ? { jitterNs: jitterUs * 1e3 } : {}) });
    // Queued a few checkpoints ahead of virtual time, not all at once: a long (ring) run would
    // otherwise hold every frame of the run in memory from the start.
    const frames = loads.reduce((n, l) => n + echoLoadFrameCount(l), 0);
    const feeders = loads.map((l) => echoLoadFeeder(machine, l));
    const aheadNs = 2 * checkpointMs * 1e6 + Math.max(0, ...loads.map((l) => l.jitterNs ?? 1e9 / l.rate));
    const feed = (ns: number): void => feeders.forEach((f) => f(ns + aheadNs));
    feed(0);
    let corruption: string | undefined;
    // On a terminal, how far the run is (virtual time), redrawn at interrupts.
    const progress = new ProgressLine("lvmm: recording");
    machine.onInterrupt((e) => progress.update(e.ns, endNs));
    machine.serial.onLine((line) => {
      if (!values.quiet) {
        progress.clear();
        console.log(line);
      }
      if (/^race: corrupted/.test(line)) corruption ??= line;
    });
    const recorderOptions = {
      kernel: kernel.bytes,
      kernelName: basename(kernel.path),
      embedKernel: !values["no-embed-kernel"],
      ...(checkpointMsGiven !== undefined ? { checkpointIntervalNs: checkpointMsGiven * 1e6 } : {}),
      snapshots: values.snapshots ?? false,
      eventHashes: values["event-hashes"] ?? false,
      scenario: { seconds, frames, loads, race: values.race ?? false },
    };
    const ring = ringSeconds !== undefined ? RingRecorder.attach(machine, { ...recorderOptions, path: values.out!, windowNs: ringSeconds * 1e9 }) : undefined;
    const rec = ring ?? Recorder.attach(machine, { ...recorderOptions, path: values.out! });
    if (ring) {
      console.log(
        `lvmm: ring recording: keeping the last ${ringSeconds} s in segments of ${ring.segmentNs / 1e9} s under ${ring.segmentDir}; merged into ${values.out} when the run ends (if lvmm is killed, each segment there replays on its own)`,
      );
    }
    // Ctrl-C or SIGTERM ends the run at the next checkpoint, with a complete recording; a second one quits at once.
    let signal: string | undefined;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signal) process.exit(130);
      signal = sig;
      progress.clear();
      console.error(`lvmm: ${sig}: ending the recording at the next checkpoint (again to quit at once)`);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const wall0 = performance.now();
    let stop;
    try {
      stop = await rec.run(endNs, { endEarly: () => corruption !== undefined || signal !== undefined, graceNs: values.race ? 10e6 : 0, onCheckpoint: feed });
    } finally {
      progress.clear();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    const wallS = (performance.now() - wall0) / 1000;
    const s = rec.stats;
    const run = `${machine.icountNumber} instructions, virtual ${(machine.nowNs / 1e9).toFixed(6)} s, ${wallS.toFixed(2)} s wall`;
    if (signal) console.log(`lvmm: ${signal}: the run ended early at virtual ${(machine.nowNs / 1e9).toFixed(6)} s`);
    if (ring) {
      const merged = ring.merge();
      const span = (merged.end.ns - merged.start.ns) / 1e9;
      console.log(
        `lvmm: recorded ${merged.events} events, ${merged.checkpoints} checkpoints, ${merged.bytes} bytes to ${values.out} (the last ${span.toFixed(6)} s: icount ${merged.start.icount} to ${merged.end.icount}, from ${merged.segments} segments) (${run})`,
      );
      console.log(
        `lvmm: ring: ${ring.stats.segmentsWritten} segments written, ${s.events} events, ${s.bytes} bytes in all; ${ring.stats.segmentsDeleted} deleted as the window moved on, the rest merged and removed`,
      );
    } else {
      console.log(`lvmm: recorded ${s.events} events, ${s.checkpoints} checkpoints, ${s.bytes} bytes to ${values.out} (${run})`);
    }
    if (values.race) console.log(corruption ? `lvmm: the race hit: ${corruption}` : "lvmm: the race did not hit in this run");
    machine.destroy();
    if (stop.kind !== "limit") {
      console.error(`lvmm: ${describeStop(stop)}`);
      return EXIT.failed;
    }
    return EXIT.ok;
  });
}
