// The debug target: one guest machine on the LVMM with the kernel's debug info. It runs,
// pauses and steps the guest, owns the user's breakpoints and reports why the guest stopped.
// It knows nothing of the Debug Adapter Protocol; debug-session.ts translates.
import type { Watchpoint as VmmWatchpoint } from "../vmm/watchpoints";
import { Machine } from "../vmm/machine";
import type { RegisterName } from "../vmm/cpu-view";
import type { StopReason } from "../vmm/stop-reason";
import { deviceState, type DeviceState } from "../vmm/device-state";
import { DebugInfo, I386 } from "./dwarf";
import { BreakpointTable, type CodeBreakpoint, type HitDecision } from "./breakpoint-table";
import { dwarfRegisters, walkStack, type CallFrame } from "./call-stack";
import { decodeOne } from "./instructions";
import type { LaunchPlan } from "./launch-arguments";
import { ProgramIndex } from "./program-index";
import { describeVmStop, ERROR_CODE_VECTORS, PLAIN, type StopPresentation, type TargetStop } from "./stop-description";
import { breakpointPresentation, hideForBreakpoint } from "./inline-presentation";
import { LineStepper, type StepGranularity } from "./stepping";
import { FrameScope } from "./frame-scope";
import { LinearMemory } from "./linear-memory";
import { UdpBridge } from "../vmm/udp-bridge";
import { EchoTraffic } from "./echo-traffic";
import { macToString } from "../net";
import { DEFAULT_MAC } from "../vmm/devices/e1000-pci";

export interface TargetListener {
  stopped(stop: TargetStop): void;
  output(text: string, category: "console" | "stdout" | "stderr" | "important"): void;
  /** Run state changed ("running", "stopped", "crashed") or the clock moved. */
  status(state: string): void;
}

/** A data breakpoint request, resolved to guest-physical memory (or a NIC register). */
export type Watchpoint = VmmWatchpoint;

/** A temporary debugger breakpoint: stop there when `when` says so. */
export type TempBreakpoints = Map<number, () => boolean>;

export type RunOutcome = { kind: "user"; address: number; decision: HitDecision; shows: StopPresentation } | { kind: "temp"; address: number } | { kind: "vm"; stop: StopReason };

/** Exception filters offered in the Breakpoints view: id -> CPU vector. */
export const EXCEPTION_FILTERS: { id: string; label: string; vector: number; description: string }[] = [
  { id: "pf", label: "#PF page fault", vector: 14, description: "Stop when the guest takes a page fault (vector 14)." },
  { id: "gp", label: "#GP general protection", vector: 13, description: "Stop when the guest takes a general-protection fault (vector 13)." },
  { id: "ud", label: "#UD invalid opcode", vector: 6, description: "Stop when the guest executes an invalid opcode (vector 6)." },
  { id: "df", label: "#DF double fault", vector: 8, description: "Stop when the guest takes a double fault (vector 8)." },
  { id: "de", label: "#DE divide error", vector: 0, description: "Stop when the guest divides by zero (vector 0)." },
];

const STATUS_INTERVAL_MS = 500;
/** Virtual time per slice of an unpaced run (between checks for pause). */
/** Paced runs check for new breakpoints this often (virtual time, which tracks wall time). */
const PACED_SLICE_NS = 50e6;
const UNPACED_SLICE_NS = 20e6;

export class Target {
  readonly breakpoints = new BreakpointTable();
  readonly names: ProgramIndex;
  readonly memory: LinearMemory;
  private readonly stepper: LineStepper;
  private running: Promise<void> | undefined;
  private pauseRequested = false;
  private stack: CallFrame[] | undefined;
  private watchpoints: Watchpoint[] = [];
  private lastStop: TargetStop | undefined;
  private disposed = false;
  private bridge: UdpBridge | undefined;
  /** the "echoLoad" option's UDP echo requests, queued on the wire as virtual time goes on */
  private traffic: EchoTraffic | undefined;
  /** How the current stop shows; PLAIN while the guest runs (conditions and steps see every frame). */
  private shows: StopPresentation = PLAIN;
  /** How the stop the current run started from showed (the steppers' starting depth and line). */
  private from: StopPresentation = PLAIN;

  private constructor(
    readonly machine: Machine,
    readonly debugInfo: DebugInfo,
    readonly plan: LaunchPlan,
    private readonly listener: TargetListener,
  ) {
    this.names = new ProgramIndex(debugInfo);
    this.memory = new LinearMemory(machine.cpu, () => (this.stack = undefined));
    this.stepper = new LineStepper(this);
    machine.serial.onByte(({ byte }) => this.serialByte(byte));
  }

  static async launch(plan: LaunchPlan, listener: TargetListener): Promise<Target> {
    const di = DebugInfo.load(plan.kernelBytes);
    const machine = await Machine.create({
      kernel: plan.kernelBytes,
      cmdline: plan.cmdline,
      memoryMB: plan.memoryMB,
      mips: plan.mips,
      jit: plan.jit,
      nic: plan.nic,
      ...(plan.disk ? { disk: plan.disk } : {}),
    });
    const t = new Target(machine, di, plan, listener);
    for (const w of di.warnings) listener.output(`lvmm: ${w}\n`, "console");
    if (plan.echoLoad !== undefined) t.traffic = new EchoTraffic(machine, plan.echoLoad, { mac: macToString((plan.nic && plan.nic.mac) || DEFAULT_MAC), ip: plan.guestIp });
    if (plan.udpBridge.length) {
      try {
        t.bridge = await UdpBridge.open(machine, {
          forwards: plan.udpBridge,
          guestIp: plan.guestIp,
          guestMac: macToString((plan.nic && plan.nic.mac) || DEFAULT_MAC),
        });
      } catch (e) {
        machine.destroy();
        throw e;
      }
    }
    return t;
  }

  // ---- state -------------------------------------------------------------------------------

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  get stopInfo(): TargetStop | undefined {
    return this.lastStop;
  }

  /** How the stop the current run started from showed. */
  get runStart(): StopPresentation {
    return this.from;
  }

  /** The call stack at the current stop (computed once per stop). */
  callStack(): CallFrame[] {
    if (!this.stack) {
      const regs = dwarfRegisters(this.machine.cpu.registers());
      const frames = walkStack(this.debugInfo, this.names, regs, this.memory, (reg, value) => this.setDwarfRegister(reg, value));
      const hide = Math.min(this.shows.hiddenInlineFrames, frames.length - 1);
      this.stack = hide > 0 && frames.slice(0, hide).every((f) => f.inlined) ? frames.slice(hide).map((f, index) => ({ ...f, index })) : frames;
      const top = this.stack[0];
      const line = this.shows.line;
      if (top && line && top.file === line.file) this.stack[0] = { ...top, line: line.line, column: undefined };
    }
    return this.stack;
  }

  /** Expression scope of a frame (the innermost when undefined). */
  scope(frameIndex?: number): FrameScope {
    const frames = this.callStack();
    return new FrameScope(this, frames[frameIndex ?? 0] ?? frames[0]);
  }

  devices(): DeviceState {
    return deviceState(this.machine);
  }

  setRegister(name: RegisterName, value: number): void {
    this.machine.cpu.setRegister(name, value >>> 0);
    this.stack = undefined;
  }

  private setDwarfRegister(reg: number, value: number): void {
    const name = (["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags"] as const)[reg];
    if (!name) throw new Error(`register ${reg} cannot be written`);
    this.setRegister(name, value);
  }

  /** Guest physical address of a linear address (identity when paging is off). */
  physical(linear: number): number | undefined {
    return this.machine.cpu.translate(linear >>> 0);
  }

  // ---- configuration -----------------------------------------------------------------------

  setExceptionVectors(vectors: number[]): void {
    this.machine.setExceptionStops(vectors);
  }

  /** Arms data breakpoints (guest-physical ranges; the VMM stops after the write). */
  setWatchpoints(w: Watchpoint[]): void {
    this.watchpoints = w;
    this.machine.setWatchpoints(w);
  }

  // ---- run control -------------------------------------------------------------------------

  /** Reports the entry stop (the machine is created stopped before the first instruction). */
  stopOnEntry(): void {
    this.report({ reason: "entry", description: "Paused on the kernel's entry point" });
  }

  continue(): void {
    this.start(async () => this.outcomeToStop(await this.runWith(new Map())));
  }

  pause(): void {
    if (!this.running) return;
    this.pauseRequested = true;
    this.machine.pause();
  }

  stepIn(granularity: StepGranularity): void {
    this.start(() => this.stepper.stepIn(granularity));
  }

  stepOver(granularity: StepGranularity): void {
    this.start(() => this.stepper.stepOver(granularity));
  }

  stepOut(granularity: StepGranularity): void {
    this.start(() => this.stepper.stepOut(granularity));
  }

  /** Moves EIP (Run to Cursor's "jump" variant, and the Disassembly view's "set next statement"). */
  jumpTo(address: number): void {
    this.setRegister("eip", address);
    this.report({ reason: "step", description: "Moved the instruction pointer" });
  }

  /**
   * Runs a time-travel action (reverse-control.ts) as a run: the guest counts as running
   * meanwhile and the stop the action returns is reported as any other.
   */
  travel(action: () => Promise<TargetStop>): boolean {
    return this.start(action);
  }

  /** The machine moved without a run (a seek while searching the past): frames are stale. */
  forgetFrames(): void {
    this.stack = undefined;
  }

  /** Waits until the current run (if any) has reported its stop. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Runs `action` as the machine's next move; false (and nothing runs) while one runs or once disposed. */
  private start(action: () => Promise<TargetStop>): boolean {
    if (this.running || this.disposed) return false;
    this.pauseRequested = false;
    this.from = this.shows;
    this.shows = PLAIN;
    this.stack = undefined;
    this.listener.status("running");
    const timer = setInterval(() => this.listener.status("running"), STATUS_INTERVAL_MS);
    this.running = (async () => {
      let stop: TargetStop;
      try {
        stop = await action();
      } catch (e) {
        stop = { reason: "exception", description: "Debugger error", text: `the debugger failed while running the guest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
      } finally {
        clearInterval(timer);
      }
      this.running = undefined;
      if (!this.disposed) this.report(stop);
    })();
    return true;
  }

  private report(stop: TargetStop): void {
    this.shows = stop.shows ?? PLAIN;
    this.stack = undefined;
    this.lastStop = stop;
    this.listener.status(this.machine.isDead ? "crashed" : "stopped");
    this.listener.stopped(stop);
  }

  /** Converts a run outcome into the stop the user sees. */
  outcomeToStop(o: RunOutcome): TargetStop {
    if (o.kind === "user") {
      const kind = o.decision.kind ?? "source";
      const reason = kind === "function" ? "function breakpoint" : kind === "instruction" ? "instruction breakpoint" : "breakpoint";
      const text = o.decision.errors.length ? o.decision.errors.join("\n") : undefined;
      return { reason, description: `Paused on ${reason}`, hitBreakpointIds: o.decision.ids, ...(text ? { text } : {}), shows: o.shows };
    }
    if (o.kind === "temp") return { reason: "step", description: "Paused after a step" };
    return this.vmStop(o.stop);
  }

  vmStop(s: StopReason): TargetStop {
    let faultingEip: number | undefined;
    if (s.kind === "exception" && s.vector !== 8) {
      const esp = this.machine.cpu.registers().esp;
      const at = ERROR_CODE_VECTORS.has(s.vector) ? esp + 4 : esp;
      const b = this.memory.read(at, 4);
      if (b) faultingEip = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
    }
    return describeVmStop(s, faultingEip);
  }

  /**
   * Runs the guest with the user's breakpoints plus `temps` until something stops it: a user
   * breakpoint that decides to stop (conditions, hit counts; log points print and go on), a
   * temporary breakpoint whose predicate holds, or any stop of the machine itself.
   */
  async runWith(temps: TempBreakpoints): Promise<RunOutcome> {
    let linearOf = new Map<number, number>();
    let planted = "";
    for (;;) {
      if (this.pauseRequested || this.disposed) return { kind: "vm", stop: { kind: "paused" } };
      // Breakpoints the user sets while the guest runs take effect at the next slice; the VMM's
      // set is only replaced when it changed (replanting costs the JIT its code for the page).
      linearOf = new Map<number, number>();
      for (const a of [...this.breakpoints.addresses, ...temps.keys()]) {
        const p = this.physical(a);
        if (p !== undefined) linearOf.set(p, a);
      }
      const key = [...linearOf.keys()].sort((x, y) => x - y).join(",");
      if (key !== planted) {
        this.machine.breakpoints.set(linearOf.keys());
        planted = key;
      }
      // Runs go in bounded slices of virtual time, so new breakpoints and pause are seen.
      const limit = { untilNs: this.machine.nowNs + (this.plan.pace ? PACED_SLICE_NS : UNPACED_SLICE_NS) };
      this.traffic?.feed(limit.untilNs);
      const r = await this.machine.runAsync(limit, { pace: this.plan.pace });
      if (r.kind === "limit") {
        await this.yieldToEvents();
        continue;
      }
      if (r.kind === "paused" && !this.pauseRequested && !this.disposed) continue;
      if (r.kind !== "breakpoint") return { kind: "vm", stop: r };
      const address = linearOf.get(r.address) ?? r.address;
      this.stack = undefined;
      const user = this.checkUserBreakpoint(address);
      if (user) return user;
      const temp = temps.get(address);
      if (temp && temp()) return { kind: "temp", address };
    }
  }

  /** Counts a user breakpoint hit at the current pc; returns the outcome when it should stop. */
  checkUserBreakpoint(address: number): RunOutcome | undefined {
    const bps = this.breakpoints.at(address);
    if (bps.length === 0) return undefined;
    // Conditions and log messages see the frame the breakpoint was set in (the caller of inlined
    // code that starts here, when the breakpoint is on the call's line or the caller's function).
    const scopeOf = (bp: CodeBreakpoint) => this.scope(hideForBreakpoint(this.debugInfo, address, bp));
    const decision = this.breakpoints.hit(
      address,
      (expr, bp) => scopeOf(bp).truthy(expr),
      (msg, bp) => scopeOf(bp).interpolate(msg),
    );
    for (const line of decision.logs) this.listener.output(line + "\n", "console");
    if (!decision.stop && !decision.errors.length) return undefined;
    const first = bps.find((b) => b.id === decision.ids[0]) ?? bps[0]!;
    return { kind: "user", address, decision, shows: breakpointPresentation(this.debugInfo, address, first) };
  }

  /** Executes one instruction; an interrupt taken on the way is run through to its return. */
  async stepInstruction(overCalls: boolean): Promise<RunOutcome | undefined> {
    const cpu = this.machine.cpu;
    const before = cpu.registers();
    const pc = cpu.pc;
    const ins = decodeOne((a, n) => this.memory.read(a, n), pc);
    this.stack = undefined;
    if (ins && overCalls && (ins.flow === "call" || ins.flow === "interrupt")) {
      const ret = (pc + ins.length) >>> 0;
      return this.runWith(new Map([[ret, () => cpu.registers().esp >= before.esp]]));
    }
    // One instruction never reaches a breakpoint; the landing pc is checked against them below.
    this.machine.breakpoints.set([]);
    this.traffic?.feed(this.machine.nowNs);
    const r = this.machine.step();
    if (r.kind !== "limit") return { kind: "vm", stop: r };
    const resume = this.interruptReturnPoint(before.esp, pc, ins ? pc + ins.length : undefined, before.cs, ins?.flow);
    if (resume !== undefined) {
      const o = await this.runWith(new Map([[resume, () => cpu.registers().esp >= before.esp]]));
      if (o.kind !== "temp") return o;
    }
    const user = this.checkUserBreakpoint(cpu.pc);
    return user;
  }

  /**
   * After one step from `pc` with stack pointer `esp`: if the CPU entered an interrupt or
   * exception handler instead of (or right after) the instruction, the address it will iret to.
   * The CPU pushed EFLAGS, CS, EIP just below the old ESP (same privilege level, no stack switch).
   */
  private interruptReturnPoint(esp: number, pc: number, next: number | undefined, cs: number, flow: string | undefined): number | undefined {
    if (flow === "call") return undefined;
    const now = this.machine.cpu.registers();
    if (now.esp > esp - 12) return undefined;
    if (now.eip === next && flow !== "interrupt") return undefined;
    const frame = this.memory.read((esp - 12) >>> 0, 12);
    if (!frame) return undefined;
    const dv = new DataView(frame.buffer, frame.byteOffset);
    const eip = dv.getUint32(0, true);
    const pushedCs = dv.getUint32(4, true) & 0xffff;
    if (pushedCs !== cs || (eip !== pc && eip !== next)) return undefined;
    return eip;
  }

  registersForLookup(): (number | undefined)[] {
    return dwarfRegisters(this.machine.cpu.registers());
  }

  /** CFA of the innermost frame as the stepper compares it. */
  currentCfa(): number | undefined {
    const regs = this.registersForLookup();
    return this.debugInfo.cfaAt(regs[I386.eip]!, regs, (a, n) => this.memory.read(a, n));
  }

  /** Queues the "echoLoad" option's requests up to `untilNs` (for runs the session does not start itself: gdb-beside.ts). */
  feedTraffic(untilNs: number): void {
    this.traffic?.feed(untilNs);
  }

  yieldToEvents(): Promise<void> {
    return new Promise((r) => setImmediate(r));
  }

  get pausePending(): boolean {
    return this.pauseRequested || this.disposed;
  }

  // ---- serial console ----------------------------------------------------------------------

  private line = "";
  private serialByte(byte: number): void {
    if (byte === 13) return;
    this.line += String.fromCharCode(byte);
    if (byte === 10 || this.line.length >= 512) {
      this.listener.output(this.line, "stdout");
      this.line = "";
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.bridge?.close();
    this.machine.pause();
    const done = (this.running ?? Promise.resolve()).catch(() => undefined);
    void done.then(() => this.machine.destroy());
  }
}
