// Boots one incarnation of the I/O engine on the LVMM (the guest kernel with the content disk
// on its IDE primary master) and runs it paced to wall-clock time (virtual time follows the wall clock in ~1 ms steps)
// until it stops: by our
// halt(), or because the guest crashed, hung or halted. Or (attach) stands for a machine that
// someone else created and runs (the debug adapter): then it neither runs nor destroys it.
import { Machine } from "../../vmm/machine";
import type { StopReason } from "../../vmm/stop-reason";

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
}

const STEP_MS = 1;

/** The guest command line that starts the delivery engine (what boot() uses; a debugger boots with it too). */
export function engineCmdline(o: { bootId: number; hz?: number; capacityMbps?: number; testControl?: boolean }): string {
  return [
    `link=${o.bootId}`,
    `hz=${o.hz ?? 1000}`,
    ...(o.capacityMbps ? [`capacity=${Math.round(o.capacityMbps)}`] : []),
    ...(o.testControl ? ["testctl"] : []),
  ].join(" ");
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

  private detach: (() => void) | undefined;

  private constructor(readonly machine: Machine, private readonly mips: number, driven: boolean) {
    if (driven) {
      // someone else runs the machine; we only "stop" when halt() lets go of it
      this.stopped = new Promise<StopReason>((resolve) => (this.detach = () => resolve({ kind: "paused" })));
      return;
    }
    this.stopped = this.pace().catch((err: unknown) => ({
      kind: "host-request" as const,
      detail: `the VMM failed: ${err instanceof Error ? err.message : String(err)}`,
    }));
  }

  /**
   * Stands for a machine already created (with engineCmdline and the content disk) and run by
   * its owner, e.g. the debug adapter's target: while the owner holds it at a breakpoint the
   * engine simply stands still. halt() lets go of it without destroying it.
   */
  static attach(machine: Machine, mips: number): EngineHost {
    return new EngineHost(machine, mips, true);
  }

  /** True when the machine is run by its owner (attach), not by us. */
  get isAttached(): boolean {
    return this.detach !== undefined;
  }

  /**
   * Paces virtual time to wall-clock time in steps of about a millisecond: each step runs the
   * machine synchronously up to "now", then yields to the event loop (sockets, RTSP). Unlike
   * Machine.runAsync's pacing (which works in chunks of up to 20 ms and polls with
   * setImmediate), this bounds how late a frame can leave the machine by the step, not the
   * chunk, and idles instead of spinning when the guest does.
   */
  private async pace(): Promise<StopReason> {
    const wall0 = performance.now();
    const virtual0 = this.machine.nowNs;
    for (;;) {
      if (this.halting) return { kind: "paused" };
      const stop = this.machine.run({ untilNs: virtual0 + (performance.now() - wall0) * 1e6 });
      if (stop.kind !== "limit" && stop.kind !== "paused") return stop;
      await new Promise((r) => setTimeout(r, STEP_MS));
    }
  }

  static async boot(o: EngineHostOptions): Promise<EngineHost> {
    const mips = o.mips ?? 500;
    const cmdline = engineCmdline(o);
    const machine = await Machine.create({ kernel: o.kernel, disk: o.disk, cmdline, mips, memoryMB: o.memoryMB ?? 32 });
    if (o.console) machine.serial.onLine(o.console);
    return new EngineHost(machine, mips, false);
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

  /** Stops the run and frees the emulator (an attached machine is only let go of). */
  async halt(): Promise<void> {
    if (this.halting) return;
    this.halting = true;
    if (this.detach) {
      this.detach();
      return;
    }
    await this.stopped;
    this.machine.destroy();
  }
}
