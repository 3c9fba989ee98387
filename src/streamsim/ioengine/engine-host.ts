// Boots one incarnation of the I/O engine on the LVMM (the guest kernel with the content disk
// on its IDE primary master) and runs it paced to wall-clock time until it stops: by our
// halt(), or because the guest crashed, hung or halted. Each step runs the machine up to "now",
// lets the thread's event loop send what the guest transmitted, then sleeps precisely until
// the machine next needs the CPU (its next timer tick or an arriving frame). It runs on the
// engine's own thread (engine-worker.ts), the analogue of the thesis's dedicated processor. With
// `record`, it runs under a ring recording (the last N virtual seconds), merged into one
// replayable .lvmmrec when it stops, whatever stopped it.
import { Machine } from "../../vmm/machine";
import type { StopReason } from "../../vmm/stop-reason";
import { RingRecorder, type MergeResult } from "../../vmm/recording/ring-recorder";
import type { Pacer } from "./pacer";

export interface EngineHostOptions {
  kernel: Uint8Array;
  disk: Uint8Array;
  /** linkage boot id (the guest's link= option); a new one per incarnation */
  bootId: number;
  capacityMbps?: number;
  /** accept the linkage's test-only FAULT command */
  testControl?: boolean;
  /** guest timer rate; default 1000 (1 ms scheduling ticks) */
  hz?: number;
  mips?: number;
  memoryMB?: number;
  /** each line the guest prints on its console */
  console?: (line: string) => void;
  /** Record this incarnation (see EngineRecording). */
  record?: EngineRecording;
  /** sleeps the thread between steps */
  pacer: Pacer;
  /** before each step: take what the main thread sent (linkage datagrams in, routes) */
  beforeStep?: () => void;
  /** after each step: hand on what the step produced */
  afterStep?: () => void;
}

/**
 * A ring recording of the engine: at least the last `windowNs` virtual ns, written to `path`
 * when the incarnation stops (segments go to `${path}.ring` meanwhile). The file embeds the
 * kernel and the content disk, so `lvmm replay --verify` replays it anywhere.
 */
export interface EngineRecording {
  path: string;
  windowNs: number;
  /** Virtual ns between checkpoints (default: the recorder's). */
  checkpointIntervalNs?: number;
  /** The recording was written. */
  onSaved?: (r: MergeResult) => void;
  /** Recording failed (a full disk): the engine runs on unrecorded; the segments written stay. */
  onError?: (e: Error) => void;
}

/** Receive interrupts kept on the engine (what its flight recording drains); transmits are not kept there (txLogLimit 0): nobody inspects them on the server's thread, and a debugged engine has its own machine. */
export const ENGINE_DMA_LOG_LIMIT = 4096;

/** The guest command line that starts the delivery engine (what boot() uses; a debugger boots with it too). */
export function engineCmdline(o: { bootId: number; hz?: number; capacityMbps?: number; testControl?: boolean }): string {
  return [`link=${o.bootId}`, `hz=${o.hz ?? 1000}`, ...(o.capacityMbps ? [`capacity=${Math.round(o.capacityMbps)}`] : []), ...(o.testControl ? ["testctl"] : [])].join(" ");
}

/** A linkage boot id, distinct per incarnation and per server (the guest's cmdline parser takes up to 10^8). */
export function newBootId(seq: number): number {
  return (Date.now() % 90_000) * 1000 + (seq % 1000);
}

export class EngineHost {
  /** resolves when the machine stops, with why */
  readonly stopped: Promise<StopReason>;
  private halting = false;
  private lastIcount = 0;
  private lastNs = 0;
  /** wall ms this thread spent awake (running the machine, sending), not sleeping */
  awakeMs = 0;
  /** of which running the machine (the guest, its devices, and what they call: the sends) */
  runMs = 0;

  private constructor(
    readonly machine: Machine,
    private readonly mips: number,
    private readonly o: EngineHostOptions,
    private ring?: { recorder: RingRecorder; o: EngineRecording },
  ) {
    this.stopped = this.pace()
      .catch((err: unknown) => ({
        kind: "host-request" as const,
        detail: `the VMM failed: ${err instanceof Error ? err.message : String(err)}`,
      }))
      .then(async (stop) => {
        await this.saveRecording(stop);
        return stop;
      });
  }

  /**
   * Paces virtual time to wall-clock time. Each step runs the machine synchronously up to
   * "now"; then a turn of the event loop sends what it transmitted; then the pacer sleeps until
   * the machine next has work, so frames leave within the pacer's jitter of their virtual time.
   */
  private async pace(): Promise<StopReason> {
    const wall0 = performance.now();
    const virtual0 = this.machine.nowNs;
    for (;;) {
      if (this.halting) return { kind: "paused" };
      const awake = performance.now();
      this.o.beforeStep?.();
      // paceNs, not untilNs: the machine stops only at sync points, so a recording stays exact.
      const paceNs = virtual0 + (awake - wall0) * 1e6;
      const run0 = performance.now();
      const stop = this.ring ? await this.advanceRecorded(paceNs) : this.machine.run({ paceNs });
      this.runMs += performance.now() - run0;
      if (stop.kind !== "limit" && stop.kind !== "paused") return stop;
      this.o.afterStep?.();
      this.awakeMs += performance.now() - awake;
      await new Promise((r) => setImmediate(r));
      this.o.pacer.sleepUntil(wall0 + (this.machine.nextWorkNs - virtual0) / 1e6);
    }
  }

  /** One paced step under the recording; a recording that fails is dropped and the engine runs on. */
  private async advanceRecorded(paceNs: number): Promise<StopReason> {
    const ring = this.ring!;
    try {
      return await ring.recorder.advance(paceNs);
    } catch (e) {
      this.ring = undefined;
      ring.o.onError?.(e instanceof Error ? e : new Error(String(e)));
      return this.machine.run({ paceNs });
    }
  }

  /** Ends the recording where the machine stopped and merges its segments into the file. */
  private async saveRecording(stop: StopReason): Promise<void> {
    const ring = this.ring;
    if (!ring) return;
    this.ring = undefined;
    try {
      await ring.recorder.stop(stop.kind === "paused" ? { reason: "stopped" } : { reason: stop.kind, ...("detail" in stop ? { detail: String(stop.detail) } : {}) });
      ring.o.onSaved?.(ring.recorder.merge());
    } catch (e) {
      ring.o.onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  static async boot(o: EngineHostOptions): Promise<EngineHost> {
    const mips = o.mips ?? 500;
    const cmdline = engineCmdline(o);
    // no debugger reads this engine's DMA history: keep a few thousand records, not 100,000
    // (each transmit record holds its frame: at 3,000 packets/s that was ~175 MB)
    const machine = await Machine.create({ kernel: o.kernel, disk: o.disk, cmdline, mips, memoryMB: o.memoryMB ?? 32, dmaLogLimit: ENGINE_DMA_LOG_LIMIT, txLogLimit: 0 });
    if (o.console) machine.serial.onLine(o.console);
    return new EngineHost(machine, mips, o, startRecording(machine, o));
  }

  /**
   * Logs a command sent on the control channel into the recording (shown on its timeline; not
   * replayed). `describe` runs only while recording.
   */
  noteControl(describe: () => Record<string, unknown>): void {
    this.ring?.recorder.control(describe());
  }

  get isHalting(): boolean {
    return this.halting;
  }

  /** Non-idle instructions over the instructions the virtual CPU could have run, since the last call. */
  busyRatio(): number {
    const icount = this.machine.icountNumber;
    const ns = this.machine.nowNs;
    const dIcount = icount - this.lastIcount;
    const dNs = ns - this.lastNs;
    this.lastIcount = icount;
    this.lastNs = ns;
    return dNs > 0 ? Math.min(1, dIcount / ((dNs * this.mips) / 1000)) : 0;
  }

  /** Stops the run and frees the emulator. */
  async halt(): Promise<void> {
    if (this.halting) return;
    this.halting = true;
    await this.stopped;
    this.machine.destroy();
  }
}

/** Starts the ring recording of a fresh engine machine (if asked for); one that cannot start is reported and the engine runs unrecorded. */
function startRecording(machine: Machine, o: EngineHostOptions): { recorder: RingRecorder; o: EngineRecording } | undefined {
  const r = o.record;
  if (!r) return undefined;
  try {
    const recorder = RingRecorder.attach(machine, {
      path: r.path,
      windowNs: r.windowNs,
      kernel: o.kernel,
      kernelName: "ioengine.elf",
      disk: o.disk,
      ...(r.checkpointIntervalNs !== undefined ? { checkpointIntervalNs: r.checkpointIntervalNs } : {}),
      scenario: { serve: { bootId: o.bootId, paced: true } },
    });
    return { recorder, o: r };
  } catch (e) {
    r.onError?.(e instanceof Error ? e : new Error(String(e)));
    return undefined;
  }
}
