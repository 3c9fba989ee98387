// The LVMM machine: the guest x86 PC on v86, run under exact instruction-count control on a
// virtual clock, with our device models attached. The debugger's state (breakpoints, stop
// reasons, the clock, recordings) lives here, never in guest memory or guest-visible devices.
//
// Everything asynchronous to the guest (timer interrupts, arriving frames, device interrupt
// edges) happens only at sync points: exact instruction counts chosen from virtual time alone.
// Between them the guest runs undisturbed, and pausing, stepping or breaking has no effect on
// what it computes.
import { VirtualClock } from "./clock";
import { Executor, type SliceEnd } from "./executor";
import { Breakpoints } from "./breakpoints";
import { CpuView } from "./cpu-view";
import { Wire } from "./wire";
import { Listeners } from "./listeners";
import { DEFAULT_MAC, E1000Pci, E1000_DEFAULTS } from "./devices/e1000-pci";
import type { SyncDevice } from "./sync-device";
import { VmmInvariantError, type StopReason } from "./stop-reason";
import { activate, instantiateV86, type V86HostHooks, type V86Instance } from "./v86/instantiate";
import { validateKernel } from "./elf";
import { SerialConsole } from "./serial-console";
import { InputJournal, comparePoint, type InputEvent } from "./journal";
import { Timeline } from "./timeline";
import { restoreSnapshot, type Snapshot } from "./snapshot";
import { Watchpoints, type Watchpoint } from "./watchpoints";
import { NicDmaLog } from "./nic-dma-log";
import { RDLEN } from "./devices/e1000-regs";
import { RegisterTrapLog } from "./register-trap-log";

export interface MachineOptions {
  /** The multiboot ELF kernel. */
  kernel: Uint8Array;
  cmdline?: string;
  /** Guest RAM in MiB (default 32). */
  memoryMB?: number;
  /** Virtual CPU speed in million instructions per virtual second (default 500). */
  mips?: number;
  /** Use v86's JIT for fast slices (default true). Exact stepping always interprets. */
  jit?: boolean;
  /** A disk image for the primary IDE master (the delivery engine's media disk). */
  disk?: Uint8Array;
  /** The e1000 NIC; false for none. */
  nic?: { mac?: Uint8Array } | false;
  /** Seed for the guest-visible random source (RDRAND). */
  seed?: number;
  /** RTC wall-clock time at power-on, ms since the epoch (default 2026-01-01T00:00:00Z). */
  epochMs?: number;
  /** Stop as a hang when interrupts stay disabled this long (virtual ms; default 2000). */
  hangWatchdogMs?: number;
  /** Longest virtual time between two sync points (ms; default 10). */
  maxQuantumMs?: number;
  /**
   * Receive interrupts and transmit descriptors the NIC DMA log keeps in memory (default
   * 100,000, for the debugger's inspector). A recorder drains it first, so a small limit loses
   * nothing from a recording: the stream server's engine keeps a few thousand.
   */
  dmaLogLimit?: number;
  /** Transmit descriptors the DMA log keeps (default: dmaLogLimit; 0: none, see NicDmaLogOptions.txLimit). */
  txLogLimit?: number;
  /**
   * Trap and log every e1000 register access (register-trap-log.ts): the evaluation's analogue
   * of a fully emulated, hosted device path. Default false: only the DMA log's two triggers.
   */
  trapDeviceRegisters?: boolean;
}

export interface RunLimit {
  /** Stop when the instruction count reaches this. */
  untilIcount?: number;
  /** Stop when virtual time reaches this (ns since power-on). */
  untilNs?: number;
  /**
   * Pacing (run() only): stop at the first sync point at or after this virtual time, or while
   * idle before it. Unlike untilNs it never stops the guest between sync points, where a
   * replay that does not stop there would run on in another execution mode (the last stretch
   * before an exact stop is interpreted), so a recording stays exact without recording where
   * its pacer stopped.
   */
  paceNs?: number;
}

export interface RunOptions {
  /** Pace virtual time to wall-clock time (for real clients); default as fast as possible. */
  pace?: boolean;
  /** Called after each chunk of the run, before yielding (the recorder drains the machine's logs here). */
  betweenChunks?: () => void;
}

/** An interrupt the CPU took at a sync point: which line (-1 if unknown), and when. */
export interface InterruptDelivery {
  readonly icount: number;
  readonly ns: number;
  readonly irq: number;
}

const YIELD_EVERY_MS = 20;
const PACED_YIELD_EVERY_MS = 2;

export class Machine {
  readonly cpu: CpuView;
  readonly wire: Wire;
  readonly serial: SerialConsole;
  readonly nic: E1000Pci | undefined;
  /** Per-interrupt receive DMA history (always on when there is a NIC). */
  readonly dmaLog: NicDmaLog | undefined;
  /** Every e1000 register access, when created with trapDeviceRegisters. */
  readonly registerTrapLog: RegisterTrapLog | undefined;
  readonly breakpoints: Breakpoints;
  /** Data breakpoints on guest memory (see watchpoints.ts). */
  readonly watchpoints: Watchpoints;
  private timelineInstance: Timeline | undefined;
  private readonly exec: Executor;
  private readonly clock: VirtualClock;
  private readonly devices: SyncDevice[] = [];
  private readonly hangWatchdogNs: number;
  private readonly maxQuantumNs: number;
  private nextSyncNs = 0;
  /** Every input the guest received, at its sync point (see journal.ts). */
  readonly journal = new InputJournal();
  /**
   * While set, inputs come from the journal (re-executing the past), not from the wire; at
   * `present` the machine is live again.
   */
  private replay: { index: number; present: { icount: number; ns: number } } | undefined;
  /** Virtual time that wall-clock pacing allows, while a paced run is in progress. */
  private paceNs: number | undefined;
  private ifOffSinceNs: number | undefined;
  private dead: StopReason | undefined;
  private pauseRequested = false;
  private hostStop: StopReason | undefined;
  private rng: number;
  /** Guest-visible wall clock start for the RTC. */
  private readonly epochMs: number;
  private syncs = 0;

  private constructor(
    private readonly vm: V86Instance,
    readonly options: Required<Omit<MachineOptions, "nic" | "disk">> & { nic: MachineOptions["nic"] },
    private readonly hooks: V86HostHooks,
    bind: (m: Machine) => void,
  ) {
    this.clock = new VirtualClock(1000 / options.mips);
    this.exec = new Executor(vm, options.jit);
    this.breakpoints = new Breakpoints(vm);
    this.cpu = new CpuView(vm.cpu, this.breakpoints);
    this.wire = new Wire();
    this.serial = new SerialConsole(vm, () => this.exec.icount);
    this.watchpoints = new Watchpoints(this, vm);
    this.hangWatchdogNs = options.hangWatchdogMs * 1e6;
    this.maxQuantumNs = options.maxQuantumMs * 1e6;
    this.rng = options.seed >>> 0 || 0x9e3779b9;
    this.epochMs = options.epochMs;
    bind(this);
    this.makeRtcVirtual();
    if (options.nic !== false) {
      const trapLog = options.trapDeviceRegisters ? new RegisterTrapLog(vm.cpu, { icount: () => this.exec.icount, ns: () => this.clock.seenNs }) : undefined;
      this.registerTrapLog = trapLog;
      this.nic = new E1000Pci(vm.cpu, {
        mac: options.nic?.mac ?? DEFAULT_MAC,
        ...E1000_DEFAULTS,
        icount: () => this.exec.icount,
        nowNs: () => this.clock.seenNs,
        ...(trapLog ? { trap: (w: boolean, width: 1 | 2 | 4, o: number, v: number) => trapLog.record(w, width, o, v) } : {}),
      });
      this.nic.model.onTransmit((frame) => this.wire.emitTransmit(frame, this.clock.seenNs));
      // A wild DMA or a broken ring is the guest's bug: stop so the user sees it, keep running after.
      this.nic.model.onFault((f) => this.requestStop(`e1000: ${f.kind} at 0x${f.address.toString(16)}: ${f.detail}`, "device-fault"));
      this.devices.push(this.nic);
      const model = this.nic.model;
      this.dmaLog = new NicDmaLog(model, { icount: () => this.exec.icount, ns: () => this.clock.seenNs }, () => model.peekRegister(RDLEN) >>> 4, {
        limit: options.dmaLogLimit,
        txLimit: options.txLogLimit,
      });
    }
    // Power-on is the first sync point.
    this.sync(0);
  }

  /** Boots a kernel: validates the image, instantiates v86 and stops before the first instruction. */
  static async create(opts: MachineOptions): Promise<Machine> {
    const kernel = validateKernel(opts.kernel);
    const options = {
      cmdline: "",
      memoryMB: 32,
      mips: 500,
      jit: true,
      seed: 1,
      epochMs: Date.UTC(2026, 0, 1),
      hangWatchdogMs: 2000,
      maxQuantumMs: 10,
      dmaLogLimit: 100_000,
      trapDeviceRegisters: false,
      ...opts,
      txLogLimit: opts.txLogLimit ?? opts.dmaLogLimit ?? 100_000,
      nic: opts.nic,
    };
    if (opts.disk && opts.disk.length % 512 !== 0) throw new RangeError(`disk image size must be a multiple of 512 bytes, got ${opts.disk.length}`);
    if (!(options.memoryMB >= 4 && options.memoryMB <= 2048)) throw new RangeError(`memoryMB must be 4..2048, got ${options.memoryMB}`);
    if (!(options.mips > 0)) throw new RangeError(`mips must be positive, got ${options.mips}`);
    const ramBytes = options.memoryMB * 1024 * 1024;
    for (const seg of kernel.segments) {
      if (seg.paddr + seg.memsz > ramBytes) {
        throw new RangeError(`the kernel loads up to 0x${(seg.paddr + seg.memsz).toString(16)}, beyond the guest's ${options.memoryMB} MiB of RAM`);
      }
    }
    let machine: Machine | undefined;
    const hooks: V86HostHooks = {
      microtick: () => (machine ? machine.clock.seenNs / 1e6 : 0),
      randomInt: () => (machine ? machine.nextRandom() : 4),
      wasmLog: (text) => {
        if (machine) machine.exec.lastWasmMessage = text;
      },
    };
    activate(hooks);
    const vm = await instantiateV86({
      kernel: opts.kernel,
      cmdline: options.cmdline,
      memoryBytes: options.memoryMB * 1024 * 1024,
      hooks,
      ...(opts.disk ? { disk: opts.disk } : {}),
    });
    return new Machine(vm, options, hooks, (m) => (machine = m));
  }

  // ---- time and counts ------------------------------------------------------------------------

  get icount(): bigint {
    return BigInt(this.exec.icount);
  }
  /** The instruction count as a double (exact below 2^53). */
  get icountNumber(): number {
    return this.exec.icount;
  }
  /** Virtual time now, ns since power-on. */
  get nowNs(): number {
    return this.clock.nsAt(this.exec.icount);
  }
  /**
   * Virtual time at which the machine next needs the CPU: now while the guest runs, its next
   * sync point (a timer, an arriving frame) while it idles. A pacer sleeps until then.
   */
  get nextWorkNs(): number {
    return this.exec.halted ? this.dueNs() : this.nowNs;
  }
  get isDead(): boolean {
    return this.dead !== undefined;
  }
  get syncCount(): number {
    return this.syncs;
  }
  get executorStats() {
    return this.exec.stats;
  }

  // ---- running ------------------------------------------------------------------------------

  /** Runs synchronously until a limit or a stop reason. */
  run(limit: RunLimit = {}): StopReason {
    this.pauseRequested = false;
    this.paceNs = limit.paceNs;
    try {
      return this.runInternal(limit, undefined, limit.paceNs) ?? (limit.paceNs !== undefined ? { kind: "limit" } : { kind: "paused" });
    } finally {
      this.paceNs = undefined;
      this.breakpoints.unplant();
    }
  }

  /** Runs in chunks, yielding to the event loop, so pause() and sockets are served meanwhile. */
  async runAsync(limit: RunLimit = {}, opts: RunOptions = {}): Promise<StopReason> {
    this.pauseRequested = false;
    const wallStart = performance.now();
    const virtualStart = this.nowNs;
    // Breakpoints stay planted across the chunks (see breakpoints.ts) and come out at the end.
    try {
      return await this.runChunks(limit, opts, wallStart, virtualStart);
    } finally {
      this.breakpoints.unplant();
    }
  }

  private async runChunks(limit: RunLimit, opts: RunOptions, wallStart: number, virtualStart: number): Promise<StopReason> {
    for (;;) {
      // Paced runs yield often so frames leave close to their virtual time.
      const chunkEnd = performance.now() + (opts.pace ? PACED_YIELD_EVERY_MS : YIELD_EVERY_MS);
      let paceNs: number | undefined;
      if (opts.pace) paceNs = virtualStart + (performance.now() - wallStart) * 1e6;
      this.paceNs = paceNs;
      const r = this.runInternal(limit, () => this.pauseRequested || performance.now() > chunkEnd, paceNs);
      this.paceNs = undefined;
      if (r) return r;
      opts.betweenChunks?.();
      if (this.pauseRequested) return { kind: "paused" };
      if (opts.pace) {
        // Sleep until wall-clock time catches up with where the guest is, or (idle) with its
        // next sync point; an arriving frame or a pause wakes it early.
        const targetNs = this.exec.halted ? this.dueNs() : this.nowNs;
        const aheadMs = (targetNs - virtualStart) / 1e6 - (performance.now() - wallStart);
        await sleep(
          Math.max(0, Math.min(aheadMs, 50)),
          () => this.pauseRequested || this.hostStop !== undefined || this.wire.nextNs() === -1 || this.serial.hasPendingInput,
          (wake) => (this.wire.injected = wake),
        );
        this.wire.injected = undefined;
      } else {
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  /**
   * Stop right after the guest's CPU delivers one of these exception vectors (0-31), on the
   * first instruction of the guest's handler. Delivery itself is unchanged.
   */
  /** The exception vectors the machine stops on. */
  get exceptionStops(): number[] {
    const mask = this.exec.exceptionMask;
    return Array.from({ length: 32 }, (_, v) => v).filter((v) => mask & (1 << v));
  }

  setExceptionStops(vectors: Iterable<number>): void {
    let mask = 0;
    for (const v of vectors) {
      if (!Number.isInteger(v) || v < 0 || v > 31) throw new RangeError(`exception vector must be 0..31, got ${v}`);
      mask |= 1 << v;
    }
    this.exec.exceptionMask = mask;
  }

  /**
   * Asks the run to stop as soon as the current slice ends (e.g. from a serial or wire listener,
   * which run inside a slice). The run returns { kind: "host-request", detail } (or a
   * "device-fault" stop for a device model's fault).
   */
  requestStop(detail: string, kind: "host-request" | "device-fault" = "host-request"): void {
    this.hostStop ??= kind === "device-fault" ? { kind, device: detail.split(":")[0]!, detail } : { kind, detail };
  }

  private readonly interruptListeners = new Listeners<InterruptDelivery>();

  /**
   * Called at each sync point where an interrupt was delivered (irq -1 if unknown). Listeners
   * share one event object per delivery: they read it, and may keep it, but never change it.
   */
  onInterrupt(fn: (e: InterruptDelivery) => void): () => void {
    return this.interruptListeners.add(fn);
  }

  /** Where v86's two PICs keep their in-service registers (static in its wasm memory), once found. */
  private picIsrAt: [number, number] | undefined;
  private wasmBytes: Uint8Array | undefined;

  /** Bits 0-15: IRQ lines the PICs have in service (Pic.isr, see device-state.ts). Read at every sync point while interrupts are listened to. */
  private interruptsInService(): number {
    const vm = this.vm;
    const at = (this.picIsrAt ??= [(vm.exports["get_pic_addr_master"] as () => number)() + 2, (vm.exports["get_pic_addr_slave"] as () => number)() + 2]);
    let bytes = this.wasmBytes;
    if (!bytes || bytes.byteLength === 0) bytes = this.wasmBytes = new Uint8Array(vm.cpu.wasm_memory.buffer);
    return bytes[at[0]]! | (bytes[at[1]]! << 8);
  }

  /**
   * Re-executes a recorded run: inputs come from `events` (in order) until the machine reaches
   * `end`, where it goes live. The machine must be freshly created. A run recorded from a
   * snapshot instead of power-on passes it as `start`: the machine restores it first, in replay
   * mode, so its wire and pending serial input stay empty (inputs the recorded machine had
   * queued there are in `events`, at the point they reached the guest).
   */
  loadJournal(events: readonly InputEvent[], end: { icount: number; ns: number }, start?: Snapshot): void {
    if (this.exec.icount !== 0 || this.journal.length !== 0) throw new RangeError("loadJournal needs a freshly created machine");
    if (start) {
      const first = events[0];
      if (first && comparePoint(first, { icount: start.icount, ns: start.clock.syncNs }) < 0) {
        throw new RangeError(`an input journaled at icount ${first.icount} precedes the start snapshot (icount ${start.icount})`);
      }
      restoreSnapshot(this, start, "replay");
    }
    for (const e of events) this.journal.append(e);
    this.replay = { index: 0, present: end };
  }

  /** Stop when one of these guest-physical ranges changes (a CPU store or a device's DMA). */
  setWatchpoints(list: Watchpoint[]): void {
    this.watchpoints.set(list);
  }

  /** Checkpoints and exact seeks over this run (created on first use). */
  get timeline(): Timeline {
    return (this.timelineInstance ??= new Timeline(this));
  }

  /**
   * Executes to exactly `icount` as the guest would run undisturbed: no breakpoints, exception
   * or watchpoint stops. Used to re-execute the past; returns a reason only if the guest died.
   */
  advanceTo(icount: number): StopReason | undefined {
    if (this.exec.icount > icount) throw new RangeError(`advanceTo(${icount}) is behind the machine (at ${this.exec.icount}): seek instead`);
    const stop = this.runInternal({ untilIcount: icount }, undefined, undefined, true);
    return stop && stop.kind !== "limit" ? stop : undefined;
  }

  /** Asks a running runAsync to stop at its next chunk boundary. */
  pause(): void {
    this.pauseRequested = true;
  }

  /** Executes exactly one instruction (syncing first when one is due or the guest idles). */
  step(): StopReason {
    if (this.dead) return this.dead;
    const before = activate(this.hooks);
    try {
      return this.stepActive();
    } finally {
      activate(before);
    }
  }

  private stepActive(): StopReason {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const due = this.dueNs();
      if (this.exec.halted || this.exec.icount >= this.clock.icountAt(due)) {
        const stop = this.sync(due);
        if (stop) return stop;
      }
      if (!this.exec.halted) break;
    }
    const skip = this.cpu.pc;
    this.breakpoints.plant(skip);
    const end = this.exec.step();
    this.breakpoints.unplant();
    return this.stopFor(end) ?? { kind: "limit" };
  }

  /**
   * The core loop. Returns a stop reason, or undefined when `shouldYield` asked to yield or the
   * pace limit was reached (nothing about the guest changes at such a point).
   */
  private runInternal(limit: RunLimit, shouldYield?: () => boolean, paceNs?: number, quiet = false): StopReason | undefined {
    if (this.dead) return this.dead;
    const untilIcount = limit.untilIcount ?? Infinity;
    const yieldOrStop = (): boolean => (!quiet && this.hostStop !== undefined) || (shouldYield?.() ?? false);
    const untilNs = limit.untilNs ?? Infinity;
    const watching = !quiet && this.watchpoints.armed;
    const exceptionMask = this.exec.exceptionMask;
    if (quiet) this.exec.exceptionMask = 0;
    else this.breakpoints.plant(this.cpu.pc);
    if (watching) this.watchpoints.arm();
    let resumedFrom: number | undefined = quiet ? undefined : this.cpu.pc;
    const before = activate(this.hooks);
    try {
      for (;;) {
        if (!quiet && this.hostStop !== undefined) {
          const stop = this.hostStop;
          this.hostStop = undefined;
          return stop;
        }
        const icount = this.exec.icount;
        if (icount >= untilIcount) return { kind: "limit" };
        const due = this.dueNs();
        if (this.exec.halted) {
          // Idle: virtual time jumps to the next sync point (within the limits). A long idle
          // stretch still yields, so pause requests and sockets are served.
          if (shouldYield?.()) return undefined;
          if (due > untilNs) {
            this.clock.syncIdle(icount, untilNs);
            return { kind: "limit" };
          }
          if (paceNs !== undefined && due > paceNs) return undefined;
          const stop = this.sync(due) ?? (watching ? this.watchpoints.check(true) : undefined);
          if (stop) return stop;
          continue;
        }
        if (icount >= this.clock.icountAt(due)) {
          const stop = this.sync(due) ?? (watching ? this.watchpoints.check(true) : undefined);
          if (stop) return stop;
          continue;
        }
        if (this.nowNs >= untilNs) return { kind: "limit" };
        // Paced: only here, at a sync point (or before running at all), never between two.
        if (paceNs !== undefined && this.clock.seenNs >= paceNs) return undefined;
        const target = Math.min(this.clock.icountAt(due), untilIcount, this.clock.icountAt(untilNs));
        // Leaving a breakpoint: execute its instruction once with it unplanted.
        if (resumedFrom !== undefined) {
          if (this.breakpoints.has(resumedFrom)) {
            const end = this.exec.step();
            const stop = this.stopFor(end);
            if (stop) return stop;
            this.breakpoints.plant();
          }
          resumedFrom = undefined;
          continue;
        }
        const end = this.exec.runTo(target, yieldOrStop);
        if (end.kind === "breakpoint" && !this.breakpoints.has(end.address)) {
          // The guest's own INT3 under an armed loop: let the guest's IDT have it.
          this.breakpoints.unplant();
          this.stopFor(this.exec.step());
          this.breakpoints.plant();
          continue;
        }
        const stop = this.stopFor(end) ?? (watching ? this.watchpoints.check(false) : undefined);
        if (stop) return stop;
        if (watching) this.breakpoints.plant(); // a bisection may have restored memory
        if (end.kind === "reached" && this.exec.icount < target && (quiet || this.hostStop === undefined)) return undefined; // yielded
      }
    } finally {
      this.exec.exceptionMask = exceptionMask;
      activate(before);
    }
  }

  private stopFor(end: SliceEnd): StopReason | undefined {
    switch (end.kind) {
      case "reached":
      case "idle":
        return undefined;
      case "breakpoint":
        return { kind: "breakpoint", address: end.address };
      case "exception":
        return {
          kind: "exception",
          vector: end.vector,
          name: EXCEPTION_NAMES[end.vector] ?? `vector ${end.vector}`,
          ...(end.errorCode !== undefined ? { errorCode: end.errorCode } : {}),
          ...(end.vector === 14 ? { cr2: this.cpu.registers().cr2 } : {}),
        };
      case "dead":
        return { kind: "halted", detail: "the guest executed HLT with interrupts disabled" };
      case "trap":
        this.dead = { kind: "triple-fault", detail: describeTrap(end.message, this.cpu) };
        return this.dead;
    }
  }

  // ---- sync points --------------------------------------------------------------------------

  /**
   * Virtual time of the next sync point: the scheduled one (timers, devices, the longest quantum)
   * or an earlier input. Inputs without a time (a frame from a real socket, serial input) are due
   * now: at the current count, or for an idle guest at the time pacing allows.
   */
  private dueNs(): number {
    let input: number | undefined;
    if (this.replay) {
      input = this.journal.at(this.replay.index)?.ns;
      // Past the last journaled input, live inputs follow, but never before the present.
      if (input === undefined) {
        const live = this.liveInputNs();
        if (live !== undefined) input = Math.max(live, this.replay.present.ns);
      }
    } else {
      input = this.liveInputNs();
    }
    return input === undefined ? this.nextSyncNs : Math.min(this.nextSyncNs, input);
  }

  private liveInputNs(): number | undefined {
    const frame = this.wire.nextNs();
    if (frame === -1 || this.serial.hasPendingInput) {
      return this.exec.halted ? Math.max(this.clock.seenNs, this.paceNs ?? this.clock.seenNs) : this.nowNs;
    }
    return frame;
  }

  /** Processes a sync point at the current exact instruction count (at `idleNs` if idle). */
  private sync(idleNs: number): StopReason | undefined {
    this.syncs++;
    const icount = this.exec.icount;
    if (this.exec.halted) this.clock.syncIdle(icount, idleNs);
    else this.clock.syncRun(icount);
    const now = this.clock.seenNs;
    const cpu = this.vm.cpu;

    this.takeInputs(icount, now);
    for (const d of this.devices) d.sync(now);

    // v86's PIT and RTC raise their interrupts from here, at this exact count.
    let timerMs = 0;
    const eipBefore = this.cpu.pc;
    // As the guest left it, before this sync delivers anything (delivery clears IF).
    const guestHadInterruptsOn = this.cpu.interruptsEnabled || this.exec.halted;
    // Only a listener (a recorder, a replay's check) needs to know which line was delivered.
    const irqListeners = this.interruptListeners;
    const inServiceBefore = irqListeners.any ? this.interruptsInService() : 0;
    const trap = this.exec.guard(() => {
      timerMs = cpu.run_hardware_timers(0, now / 1e6);
      for (const d of this.devices) {
        if (d.irq === undefined) continue;
        const dropped = d.takeDeassertedSinceSync();
        if (dropped || !d.irqLevel()) cpu.device_lower_irq(d.irq);
        if (d.irqLevel()) cpu.device_raise_irq(d.irq);
      }
      cpu.handle_irqs();
    });
    if (trap) return this.stopFor(trap);
    if (irqListeners.any && this.cpu.pc !== eipBefore) {
      // An interrupt was delivered here: the newly in-service line names it.
      let fresh = this.interruptsInService() & ~inServiceBefore;
      if (fresh & 0xff00) fresh &= 0xff00; // a slave line shows as the cascade (2) on the master too
      const irq = fresh ? 31 - Math.clz32(fresh & -fresh) : -1;
      irqListeners.emit({ icount, ns: now, irq }, undefined);
    }

    let next = now + Math.max(timerMs, 0.001) * 1e6;
    next = Math.min(next, now + this.maxQuantumNs);
    for (const d of this.devices) {
      const dl = d.nextDeadlineNs();
      if (dl !== undefined) next = Math.min(next, Math.max(dl, now + 1));
    }
    this.nextSyncNs = next;

    // Watchdog: interrupts disabled for too long while the machine keeps running.
    if (guestHadInterruptsOn) {
      this.ifOffSinceNs = undefined;
    } else {
      this.ifOffSinceNs ??= now;
      if (now - this.ifOffSinceNs > this.hangWatchdogNs) {
        const ms = (now - this.ifOffSinceNs) / 1e6;
        this.ifOffSinceNs = undefined;
        return { kind: "hang", detail: `interrupts have been disabled for ${ms.toFixed(0)} ms of virtual time at EIP 0x${this.cpu.registers().eip.toString(16)}`, virtualMs: ms };
      }
    }
    return undefined;
  }

  /** Applies the inputs due at this sync point: from the journal when re-executing, else live. */
  private takeInputs(icount: number, ns: number): void {
    const point = { icount, ns };
    if (this.replay) {
      for (let e = this.journal.at(this.replay.index); e && comparePoint(e, point) <= 0; e = this.journal.at(this.replay.index)) {
        if (comparePoint(e, point) < 0) {
          throw new VmmInvariantError(`re-execution missed the input journaled at icount ${e.icount}, t=${e.ns} ns (now at ${icount}, ${ns} ns)`);
        }
        this.applyInput(e);
        this.replay.index++;
      }
      const next = this.journal.at(this.replay.index);
      if (next && next.ns <= ns && next.icount > icount && this.exec.halted) {
        // Idle here at the input's time, but the recording had run further: the guest diverged.
        throw new VmmInvariantError(`re-execution cannot reach the input journaled at icount ${next.icount}, t=${next.ns} ns: the guest idles at icount ${icount}`);
      }
      if (this.replay.index < this.journal.length || comparePoint(point, this.replay.present) < 0) return;
      this.replay = undefined; // back at the present: live inputs from here on
    }
    for (const bytes of this.wire.takeDue(ns)) this.journalInput({ kind: "frame", icount, ns, bytes });
    const text = this.serial.takePendingInput();
    if (text) this.journalInput({ kind: "serial", icount, ns, text });
  }

  private journalInput(e: InputEvent): void {
    this.journal.append(e);
    this.journalListeners.emit(e, undefined);
    this.applyInput(e);
  }

  private readonly journalListeners = new Listeners<InputEvent>();

  /**
   * Called as each live input is journaled, just before it reaches the guest (not when a
   * re-execution applies it again): a recorder writes it here, while its bytes are warm.
   */
  onInputJournaled(fn: (e: InputEvent) => void): () => void {
    return this.journalListeners.add(fn);
  }

  private readonly inputListeners = new Set<(e: InputEvent) => void>();

  /** Called as each input reaches the guest, live or re-executed (a recorder hashes here). */
  onInputApplied(fn: (e: InputEvent) => void): () => void {
    this.inputListeners.add(fn);
    return () => this.inputListeners.delete(fn);
  }

  private applyInput(e: InputEvent): void {
    for (const fn of this.inputListeners) fn(e);
    if (e.kind === "serial") {
      this.serial.deliver(e.text);
      return;
    }
    if (!this.nic) {
      this.wire.stats.droppedOther++;
      return;
    }
    const r = this.nic.model.receive(e.bytes);
    if (r === "delivered") this.wire.stats.delivered++;
    else if (r === "dropped-ring-full") this.wire.stats.droppedRingFull++;
    else this.wire.stats.droppedOther++;
  }

  private nextRandom(): number {
    // xorshift32: a deterministic stand-in for the host's randomness.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng | 0;
  }

  /** v86's RTC reads Date.now(): run its timer with the virtual wall clock instead. */
  private makeRtcVirtual(): void {
    const rtc = this.vm.cpu.devices.rtc;
    const original = rtc.timer.bind(rtc);
    const virtualNow = (): number => this.epochMs + Math.floor(this.clock.seenNs / 1e6);
    rtc.rtc_time = this.epochMs;
    rtc.last_update = this.epochMs;
    rtc.timer = (time: number, legacy: boolean): number => {
      const realNow = Date.now;
      Date.now = virtualNow;
      try {
        return original(time, legacy);
      } finally {
        Date.now = realNow;
      }
    };
  }

  // ---- snapshots ----------------------------------------------------------------------------

  /** Internal access for the snapshot module (same package). */
  get internals() {
    return (this.internalsView ??= this.makeInternals());
  }

  /** Built once: listeners on hot paths (recorder, DMA log users) read it per event. */
  private internalsView: ReturnType<Machine["makeInternals"]> | undefined;

  private makeInternals() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a getter below reads the live field
    const self = this;
    return {
      vm: this.vm,
      exec: this.exec,
      clock: this.clock,
      devices: this.devices,
      wire: this.wire,
      getSched: () => ({ nextSyncNs: this.nextSyncNs, ifOffSinceNs: this.ifOffSinceNs ?? null, rng: this.rng, syncs: this.syncs }),
      /** Where the machine is: the last sync point's time with the current count. */
      point: () => ({ icount: this.exec.icount, ns: this.clock.seenNs }),
      setReplay: (r: { index: number; present: { icount: number; ns: number } } | undefined) => {
        this.replay = r;
      },
      get replayPresent() {
        return self.replay?.present;
      },
      setSched: (s: { nextSyncNs: number; ifOffSinceNs: number | null; rng: number; syncs: number }) => {
        this.nextSyncNs = s.nextSyncNs;
        this.ifOffSinceNs = s.ifOffSinceNs ?? undefined;
        this.rng = s.rng;
        this.syncs = s.syncs;
        this.dead = undefined;
      },
    };
  }

  destroy(): void {
    this.pauseRequested = true;
    void this.vm.emulator.destroy();
  }
}

/** IA-32 SDM vol. 3, table 6-1. */
export const EXCEPTION_NAMES: Record<number, string> = {
  0: "#DE divide error",
  1: "#DB debug",
  2: "NMI",
  3: "#BP breakpoint",
  4: "#OF overflow",
  5: "#BR bound range",
  6: "#UD invalid opcode",
  7: "#NM device not available",
  8: "#DF double fault",
  10: "#TS invalid TSS",
  11: "#NP segment not present",
  12: "#SS stack fault",
  13: "#GP general protection",
  14: "#PF page fault",
  16: "#MF x87 error",
  17: "#AC alignment check",
  18: "#MC machine check",
  19: "#XM SIMD exception",
};

function describeTrap(message: string, cpu: CpuView): string {
  const r = cpu.registers();
  const idt = cpu.idt();
  const why = message.replace(/^.*panicked at [^:]*:\d+:\d+:\s*/s, "").trim() || "the CPU could not deliver an exception";
  return `the guest faulted in a way the CPU cannot deliver (triple fault: ${why}); EIP=0x${r.eip.toString(16)} IDT base=0x${idt.base.toString(16)} limit=0x${idt.limit.toString(16)}`;
}

/**
 * Waits up to `ms`, polling `wake` every millisecond (socket callbacks run meanwhile); `hook`
 * receives a function that ends the wait at once (an injected frame calls it).
 */
function sleep(ms: number, wake: () => boolean, hook: (wakeNow: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (ms < 0.5) return setImmediate(resolve);
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve();
    };
    hook(finish);
    const end = performance.now() + ms;
    const tick = (): void => {
      const left = end - performance.now();
      if (wake() || left <= 0.2) finish();
      else timer = setTimeout(tick, Math.min(1, left));
    };
    timer = setTimeout(tick, Math.min(1, ms));
  });
}
