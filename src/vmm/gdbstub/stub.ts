// The GDB stub's packet handlers over one Machine: registers, memory, breakpoints (planted by
// the VMM), watchpoints (the VMM's exact data breakpoints, watchpoints.ts: the stop is right
// after the store or the DMA), run control and reverse execution on the machine's timeline
// (reverse.ts). Framing, acknowledgements and the socket are server.ts's; this class sees
// payloads and returns replies. gdb addresses are linear; the VMM's breakpoints and
// watchpoints are physical (CpuView.translate maps them when gdb sets them).
import type { Machine } from "../machine";
import type { RegisterName } from "../cpu-view";
import type { StopReason } from "../stop-reason";
import { reverseContinueWork, seekTo, stepBack, type ReverseSearch } from "../reverse";
import { Chunks, runWatched, WorkCancelled } from "../long-work";
import { REGISTERS, readFeature } from "./target-xml";
import { fromHex, hexNumber, le32, MAX_PACKET, toHex, unescapeBinary } from "./rsp";
import { DmaHistory, runMonitor } from "./monitor";

export interface GdbStubOptions {
  /** Called before each slice of a continue with the virtual time it may reach (echo traffic). */
  beforeRun?: (untilNs: number) => void;
  /** Called when gdb kills the target (vKill, k). */
  onKill?: () => void;
  /**
   * Runs each of gdb's moves of the machine (continue, step, reverse, monitor goto) when the
   * machine has another debugger too (VS Code's session): the host runs it as its own run, or
   * throws when it cannot now. Default: run it.
   */
  exclusive?: <T>(move: () => Promise<T>) => Promise<T>;
}

/** A reply: the packet, with console output gdb prints first (O packets, only before a stop reply). */
export interface Reply {
  packet: string;
  console?: string[];
  /** Close the connection after sending (kill, detach). */
  close?: boolean;
}

type WatchType = 2 | 3 | 4;
/** Z2 watches stores, Z3 loads, Z4 both. */
const ACCESS_OF = { 2: "write", 3: "read", 4: "access" } as const;
interface GdbWatch {
  id: number;
  type: WatchType;
  linear: number;
  length: number;
}

/** Virtual time one slice of a continue covers; pause requests and traffic are seen between. */
const SLICE_NS = 20e6;
const THREAD = "thread:1;";
/** gdb's i386 numbers of esp, ebp and eip (target-xml.ts REGISTERS). */
const EXPEDITED = [4, 5, 8];

/** Unix signal numbers gdb knows, for the stops that are not a trap. */
const SIGINT = 2;
const SIGTRAP = 5;
const SIGNAL_OF_VECTOR: Record<number, number> = { 0: 8, 6: 4, 13: 11, 14: 11, 12: 11, 11: 11, 16: 8, 19: 8 };

export class GdbStub {
  private readonly swBreaks = new Set<number>();
  private readonly hwBreaks = new Set<number>();
  private readonly watches = new Map<string, GdbWatch>();
  private nextWatchId = 1;
  private lastStop = `T05${THREAD}`;
  private interruptRequested = false;
  private busy: Promise<unknown> | undefined;
  private output: ((text: string) => void) | undefined;
  /** The NIC's receive interrupts, kept across seeks (monitor dma). */
  readonly history: DmaHistory;

  constructor(
    readonly machine: Machine,
    private readonly opts: GdbStubOptions = {},
  ) {
    // Reverse execution needs a checkpoint to go back to: here, where the stub starts.
    if (!machine.timeline.checkpoints.length) machine.timeline.checkpoint();
    this.history = new DmaHistory(machine);
  }

  /** True while a continue, step or reverse search runs (only an interrupt is expected then). */
  get running(): boolean {
    return this.busy !== undefined;
  }

  /** Ctrl-C: a running continue or reverse search stops at its next slice. */
  interrupt(): void {
    if (!this.busy) return;
    this.interruptRequested = true;
    this.machine.pause();
  }

  /** The client went away: stop what runs, forget its breakpoints and watchpoints. */
  async detach(): Promise<void> {
    this.interrupt();
    await this.idle();
    this.swBreaks.clear();
    this.hwBreaks.clear();
    this.watches.clear();
  }

  async idle(): Promise<void> {
    while (this.busy) await this.busy.catch(() => undefined);
  }

  /**
   * Handles one packet's payload. Never throws: a failure is an E reply. `output` sends console
   * output (an O packet) before the reply, while the command still runs (a long monitor goto).
   */
  async handle(data: Buffer, output?: (text: string) => void): Promise<Reply> {
    this.output = output;
    const run = this.dispatch(data);
    this.busy = run;
    try {
      return await run;
    } catch (e) {
      return { packet: "E01", console: [`lvmm: ${e instanceof Error ? e.message : String(e)}\n`] };
    } finally {
      this.busy = undefined;
      this.output = undefined;
    }
  }

  private async dispatch(data: Buffer): Promise<Reply> {
    const text = data.toString("latin1");
    const r = (packet: string): Reply => ({ packet });
    switch (text[0]) {
      case "?":
        return r(this.lastStop);
      case "g":
        return r(this.readAllRegisters());
      case "G":
        return r(this.writeAllRegisters(text.slice(1)));
      case "p":
        return r(this.readRegister(text.slice(1)));
      case "P":
        return r(this.writeRegister(text.slice(1)));
      case "m":
        return r(this.readMemory(text.slice(1)));
      case "M":
        return r(this.writeMemoryHex(text.slice(1)));
      case "X":
        return r(this.writeMemoryBinary(data.subarray(1)));
      case "Z":
      case "z":
        return r(this.breakpoint(text[0] === "Z", text.slice(1)));
      case "c":
      case "s":
        return this.move(() => this.resume(text[0] === "c" ? "continue" : "step", text.slice(1)));
      case "C":
      case "S":
        // A signal to deliver (ignored: the guest has no signals), then maybe `;ADDR`.
        return this.move(() => this.resume(text[0] === "C" ? "continue" : "step", text.split(";")[1] ?? ""));
      case "b":
        if (text === "bs") return this.move(async () => this.reverseStep());
        if (text === "bc") return this.move(() => this.reverseContinue());
        return r("");
      case "H":
        return r(/^H[gcm](-?[0-9a-fA-F]+|p-?[0-9a-fA-F]+\.-?[0-9a-fA-F]+)$/.test(text) ? "OK" : "E01");
      case "T":
        return r(text === "T1" || text === "Tp1.1" ? "OK" : "E01");
      case "D":
        await this.detach();
        return { packet: "OK", close: true };
      case "k":
        await this.detach();
        this.opts.onKill?.();
        return { packet: "", close: true };
      case "q":
      case "Q":
        if (text.startsWith("qRcmd,")) return r(await this.monitor(text.slice(6)));
        return r(this.query(text));
      case "v":
        return this.vPacket(text);
      default:
        return r("");
    }
  }

  // ---- queries -------------------------------------------------------------------------------

  private query(text: string): string {
    if (text.startsWith("qSupported")) {
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;ReverseStep+;ReverseContinue+;QStartNoAckMode+;vContSupported+`;
    }
    if (text.startsWith("qXfer:features:read:")) {
      const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
      if (!m) return "E00";
      return readFeature(m[1]!, parseInt(m[2]!, 16), parseInt(m[3]!, 16)) ?? "E00";
    }
    if (text === "qAttached" || text.startsWith("qAttached:")) return "1";
    if (text === "qC") return "QC1";
    if (text === "qfThreadInfo") return "m1";
    if (text === "qsThreadInfo") return "l";
    if (text.startsWith("qSymbol")) return "OK";
    if (text === "QStartNoAckMode") return "OK"; // the server switches after sending this
    return "";
  }

  private async monitor(hex: string): Promise<string> {
    const cmd = fromHex(hex);
    if (!cmd) return "E01";
    const line = cmd.toString("latin1");
    const output = this.output;
    const run = async () => runMonitor({ machine: this.machine, history: this.history, moved: () => this.afterMove(), ...(output ? { output } : {}) }, line);
    // Only goto moves the machine; the others read it.
    const text = /^\s*goto\b/.test(line) ? await this.move(run) : await run();
    return toHex(Buffer.from(text, "latin1"));
  }

  /**
   * One of gdb's moves: through the host's exclusive hook, with gdb's breakpoints and
   * watchpoints on the machine only meanwhile (the other debugger's are put back after).
   */
  private async move<T>(work: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const m = this.machine;
      const saved = { bps: m.breakpoints.list(), watches: m.watchpoints.list() };
      try {
        return await work();
      } finally {
        m.breakpoints.set(saved.bps);
        m.setWatchpoints(saved.watches);
      }
    };
    return this.opts.exclusive ? this.opts.exclusive(run) : run();
  }

  private async vPacket(text: string): Promise<Reply> {
    if (text === "vCont?") return { packet: "vCont;c;C;s;S" };
    if (text.startsWith("vCont;")) {
      // One thread: the first action that names it (or all threads) is the one.
      for (const a of text.slice(6).split(";")) {
        const [action, thread] = a.split(":");
        if (thread !== undefined && thread !== "1" && thread !== "-1" && thread !== "p1.1" && thread !== "p1.-1") continue;
        if (action === "c" || action?.startsWith("C")) return this.move(() => this.resume("continue", ""));
        if (action === "s" || action?.startsWith("S")) return this.move(() => this.resume("step", ""));
        if (action === "t") return { packet: "OK" };
        return { packet: "E01" };
      }
      return { packet: "E01" };
    }
    if (text.startsWith("vKill")) {
      await this.detach();
      this.opts.onKill?.();
      return { packet: "OK", close: true };
    }
    return { packet: "" };
  }

  // ---- registers -----------------------------------------------------------------------------

  private registerValue(n: number, regs = this.machine.cpu.registers()): string {
    const slot = REGISTERS[n]!;
    if (slot.machine) return le32(regs[slot.machine]);
    return Buffer.from(this.machine.cpu.fpu.read(slot.fpu!)).toString("hex");
  }

  private readAllRegisters(): string {
    const regs = this.machine.cpu.registers();
    // The g packet carries gdb's core registers (the first 41); the rest go by p.
    return REGISTERS.slice(0, 41)
      .map((_, i) => this.registerValue(i, regs))
      .join("");
  }

  private readRegister(arg: string): string {
    const n = hexNumber(arg);
    if (n === undefined || n >= REGISTERS.length) return "E00";
    return this.registerValue(n);
  }

  private setRegister(n: number, bytes: Buffer): boolean {
    const slot = REGISTERS[n]!;
    if (bytes.length !== slot.size) return false;
    if (!slot.machine) return this.machine.cpu.fpu.write(slot.fpu!, bytes);
    const value = bytes.readUInt32LE(0);
    const regs = this.machine.cpu.registers();
    if (regs[slot.machine] === value) return true;
    try {
      this.machine.cpu.setRegister(slot.machine as RegisterName, value);
      return true;
    } catch {
      return false; // segment and control registers are read-only
    }
  }

  private writeRegister(arg: string): string {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]*)$/.exec(arg);
    const n = hexNumber(m?.[1]);
    const bytes = fromHex(m?.[2] ?? "x");
    if (n === undefined || n >= REGISTERS.length || !bytes) return "E00";
    return this.setRegister(n, bytes) ? "OK" : "E01";
  }

  private writeAllRegisters(hex: string): string {
    const bytes = fromHex(hex);
    if (!bytes) return "E00";
    let at = 0;
    for (let n = 0; n < REGISTERS.length && at < bytes.length; n++) {
      const size = REGISTERS[n]!.size;
      if (at + size > bytes.length) return "E00";
      if (!this.setRegister(n, bytes.subarray(at, at + size))) return "E01";
      at += size;
    }
    return "OK";
  }

  // ---- memory --------------------------------------------------------------------------------

  private readMemory(arg: string): string {
    const [a, l] = arg.split(",");
    const addr = hexNumber(a);
    const length = hexNumber(l);
    if (addr === undefined || length === undefined || addr > 0xffffffff) return "E00";
    const cpu = this.machine.cpu;
    const out: Uint8Array[] = [];
    let done = 0;
    const want = Math.min(length, MAX_PACKET / 2);
    // Page by page: an unmapped page ends the read (gdb takes the readable prefix).
    while (done < want) {
      const at = (addr + done) >>> 0;
      const n = Math.min(want - done, 0x1000 - (at & 0xfff));
      try {
        out.push(cpu.readLinear(at, n));
      } catch {
        break;
      }
      done += n;
    }
    if (done === 0 && want > 0) return "E14";
    return out.map(toHex).join("");
  }

  private writeMemory(addr: number | undefined, bytes: Uint8Array | undefined, length: number | undefined): string {
    if (addr === undefined || !bytes || length !== bytes.length) return "E00";
    try {
      if (bytes.length) this.machine.cpu.writeLinear(addr, bytes);
      return "OK";
    } catch {
      return "E14";
    }
  }

  private writeMemoryHex(arg: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(arg);
    return this.writeMemory(hexNumber(m?.[1]), fromHex(m?.[3] ?? "x"), hexNumber(m?.[2]));
  }

  private writeMemoryBinary(arg: Buffer): string {
    const colon = arg.indexOf(0x3a);
    if (colon < 0) return "E00";
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(arg.subarray(0, colon).toString("latin1"));
    return this.writeMemory(hexNumber(m?.[1]), unescapeBinary(arg.subarray(colon + 1)), hexNumber(m?.[2]));
  }

  // ---- breakpoints and watchpoints -------------------------------------------------------------

  private breakpoint(insert: boolean, arg: string): string {
    const m = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)(;.*)?$/.exec(arg);
    if (!m) return "E00";
    const type = Number(m[1]);
    const addr = hexNumber(m[2]);
    const length = hexNumber(m[3]);
    if (addr === undefined || length === undefined || addr > 0xffffffff) return "E00";
    if (type === 0 || type === 1) {
      const set = type === 0 ? this.swBreaks : this.hwBreaks;
      if (insert) {
        if (this.machine.cpu.translate(addr) === undefined) return "E14";
        set.add(addr);
      } else set.delete(addr);
      return "OK";
    }
    const key = `${type}:${addr}:${length}`;
    if (!insert) {
      this.watches.delete(key);
      return "OK";
    }
    // Armed on the machine when gdb next moves it (move()), not now: another debugger may be
    // using the machine's watchpoints.
    if (length < 1 || length > 4096) return "E22";
    const phys = this.machine.cpu.translate(addr);
    if (phys === undefined || phys + length > this.machine.cpu.ramBytes) return "E14";
    // Loads in the VGA window go to v86's own handlers: they cannot be watched there.
    if (type !== 2 && phys < 0xc0000 && phys + length > 0xa0000) return "E14";
    this.watches.set(key, { id: this.nextWatchId++, type: type as WatchType, linear: addr, length });
    return "OK";
  }

  private applyWatchpoints(): void {
    const list = [...this.watches.values()].map((w) => ({ id: w.id, address: this.machine.cpu.translate(w.linear) ?? w.linear, length: w.length, access: ACCESS_OF[w.type] }));
    this.machine.setWatchpoints(list);
  }

  /** Physical address to the linear addresses gdb set breakpoints at. */
  private plantBreakpoints(): Map<number, number> {
    const phys = new Map<number, number>();
    for (const a of [...this.swBreaks, ...this.hwBreaks]) {
      const p = this.machine.cpu.translate(a);
      if (p !== undefined) phys.set(p, a);
    }
    this.machine.breakpoints.set(phys.keys());
    return phys;
  }

  // ---- stop replies ----------------------------------------------------------------------------

  private stopReply(stop: StopReason, linearOf: Map<number, number>, reverse = false): Reply {
    let packet: string;
    const console: string[] = [];
    switch (stop.kind) {
      case "limit":
        packet = `T05${THREAD}`;
        break;
      case "paused":
        packet = `T${SIGINT.toString(16).padStart(2, "0")}${THREAD}`;
        break;
      case "breakpoint": {
        const linear = linearOf.get(stop.address) ?? stop.address;
        const kind = this.swBreaks.has(linear) ? "swbreak" : this.hwBreaks.has(linear) ? "hwbreak" : undefined;
        packet = `T05${THREAD}${kind ? `${kind}:;` : ""}`;
        break;
      }
      case "watchpoint": {
        const w = [...this.watches.values()].find((x) => x.id === stop.id);
        const what = w?.type === 4 ? "awatch" : stop.access === "read" ? "rwatch" : "watch";
        packet = `T05${THREAD}${w ? `${what}:${w.linear.toString(16)};` : ""}`;
        if (stop.by === "dma" && !reverse) console.push(`lvmm: the NIC's DMA wrote the watched range at instruction ${this.machine.icountNumber}\n`);
        if (stop.by === "dma" && reverse) console.push(`lvmm: backwards: before the NIC's DMA into the watched range at instruction ${this.machine.icountNumber}\n`);
        break;
      }
      case "exception":
        packet = `T${(SIGNAL_OF_VECTOR[stop.vector] ?? SIGTRAP).toString(16).padStart(2, "0")}${THREAD}`;
        console.push(`lvmm: guest exception ${stop.name}\n`);
        break;
      default:
        packet = `T05${THREAD}`;
        console.push(`lvmm: ${stop.kind}: ${"detail" in stop ? stop.detail : ""}\n`);
    }
    this.lastStop = packet;
    return { packet: packet + this.expedited(), console };
  }

  /**
   * The registers gdb needs at every stop (esp, ebp, eip), sent in the stop reply as QEMU's
   * gdbstub does not: gdb then has the frame without reading all registers with a `g`, one
   * round trip fewer per stepi.
   */
  private expedited(): string {
    const regs = this.machine.cpu.registers();
    return EXPEDITED.map((n) => `${n.toString(16).padStart(2, "0")}:${this.registerValue(n, regs)};`).join("");
  }

  private afterMove(): void {
    this.lastStop = `T05${THREAD}`;
  }

  // ---- forward -------------------------------------------------------------------------------

  private async resume(how: "continue" | "step", addrArg: string): Promise<Reply> {
    const m = this.machine;
    // `c ADDR` / `s ADDR` resume at ADDR.
    if (addrArg) {
      const addr = hexNumber(addrArg);
      if (addr === undefined) return { packet: "E00" };
      m.cpu.setRegister("eip", addr);
    }
    this.interruptRequested = false;
    const linearOf = this.plantBreakpoints();
    this.applyWatchpoints();
    if (how === "step") {
      this.opts.beforeRun?.(m.nowNs);
      // One instruction runs outside the watchpoints' checks: compare the ranges around it, and
      // look for a load it made, so a watched access is reported as gdb's stepping expects.
      const watched = m.watchpoints.list().filter((w) => w.access !== "read");
      const before = watched.map((w) => m.cpu.readPhysical(w.address, w.length));
      const [stop, loaded] = m.watchpoints.loadDuring(() => m.step());
      if (stop.kind === "limit") {
        const i = watched.findIndex((w, k) => !Buffer.from(m.cpu.readPhysical(w.address, w.length)).equals(before[k]!));
        if (i >= 0) {
          const w = watched[i]!;
          m.watchpoints.resync();
          return this.stopReply({ kind: "watchpoint", id: w.id, address: w.address, length: w.length, oldBytes: before[i]!, newBytes: m.cpu.readPhysical(w.address, w.length), by: "cpu" }, linearOf);
        }
        if (loaded) {
          const load = m.watchpoints.loadStop(loaded);
          m.watchpoints.resync();
          return this.stopReply(load, linearOf);
        }
      }
      return this.stopReply(stop, linearOf);
    }
    for (;;) {
      if (this.interruptRequested) return this.stopReply({ kind: "paused" }, linearOf);
      const untilNs = m.nowNs + SLICE_NS;
      this.opts.beforeRun?.(untilNs);
      const stop = await m.runAsync({ untilNs });
      if (stop.kind === "limit") {
        // Between slices, a checkpoint now and then (not at a stop: a checkpoint taken after a
        // sync point's DMA would hide the state before it from seeks to that count).
        m.timeline.maybeCheckpoint();
        await new Promise((r) => setImmediate(r));
        continue;
      }
      this.history.absorb();
      return this.stopReply(stop, linearOf);
    }
  }

  // ---- reverse -------------------------------------------------------------------------------

  private get firstIcount(): number {
    return this.machine.timeline.checkpoints[0]?.icount ?? 0;
  }

  private historyBegin(): Reply {
    this.lastStop = `T05${THREAD}`;
    return { packet: `T05${THREAD}replaylog:begin;` };
  }

  private reverseStep(): Reply {
    const m = this.machine;
    if (m.icountNumber <= this.firstIcount) return this.historyBegin();
    this.history.absorb();
    this.plantBreakpoints();
    this.applyWatchpoints();
    const watched = m.watchpoints.list().filter((w) => w.access !== "read");
    const after = watched.map((w) => m.cpu.readPhysical(w.address, w.length));
    const stop = stepBack(m, 1);
    if (stop.kind !== "limit") return this.stopReply(stop, new Map());
    // Stepping back over a store to a watched range undoes it: gdb hears of the write.
    const i = watched.findIndex((w, k) => !Buffer.from(m.cpu.readPhysical(w.address, w.length)).equals(after[k]!));
    if (i >= 0) {
      const w = watched[i]!;
      m.watchpoints.resync();
      return this.stopReply({ kind: "watchpoint", id: w.id, address: w.address, length: w.length, oldBytes: m.cpu.readPhysical(w.address, w.length), newBytes: after[i]!, by: "cpu" }, new Map(), true);
    }
    // Back over a load from a read-watched range: run the instruction again to see it, then undo it.
    if (m.watchpoints.list().some((w) => w.access === "read" || w.access === "access")) {
      const at = m.icountNumber;
      const [, loaded] = m.watchpoints.loadDuring(() => m.advanceTo(at + 1));
      m.timeline.seek(at);
      m.watchpoints.resync();
      if (loaded) return this.stopReply(m.watchpoints.loadStop(loaded), new Map(), true);
    }
    return this.stopReply({ kind: "limit" }, new Map());
  }

  /**
   * The write that made the watched memory what it is here, when it was the last thing to
   * happen: the DMA of this sync point, or the instruction just executed (a forward watchpoint
   * stop leaves the machine there); or that instruction's load from a read-watched range.
   * Backwards, gdb stops before that access, which the search (strictly before this count)
   * would miss. Leaves the machine before it, or back at `origin`.
   */
  private lastWrite(origin: number): StopReason | undefined {
    const m = this.machine;
    if (!m.watchpoints.armed) return undefined;
    const watched = m.watchpoints.list().filter((w) => w.access !== "read");
    const read = () => watched.map((w) => Buffer.from(m.cpu.readPhysical(w.address, w.length)));
    const here = read();
    const hit = (then: Buffer[], by: "cpu" | "dma"): StopReason | undefined => {
      const i = watched.findIndex((_, k) => !then[k]!.equals(here[k]!));
      if (i < 0) return undefined;
      m.watchpoints.resync();
      const w = watched[i]!;
      return { kind: "watchpoint", id: w.id, address: w.address, length: w.length, oldBytes: then[i]!, newBytes: here[i]!, by };
    };
    if (origin - 1 < this.firstIcount) return undefined;
    // From one instruction back (a seek restores a checkpoint), then that instruction alone:
    // the machine stops before the sync point at `origin`, before any DMA it brings.
    m.timeline.seek(origin - 1);
    const before = read();
    const [, loaded] = m.watchpoints.loadDuring(() => m.advanceTo(origin));
    const dma = hit(read(), "dma");
    if (dma) return dma;
    const cpu = hit(before, "cpu");
    if (cpu) {
      m.timeline.seek(origin - 1);
      m.watchpoints.resync();
      return cpu;
    }
    if (loaded) {
      // a load by that instruction (a read or access watchpoint): stopped before it, as for a store
      m.timeline.seek(origin - 1);
      m.watchpoints.resync();
      return m.watchpoints.loadStop(loaded);
    }
    m.watchpoints.resync();
    return undefined;
  }

  private async reverseContinue(): Promise<Reply> {
    const m = this.machine;
    const origin = m.icountNumber;
    if (origin <= this.firstIcount) return this.historyBegin();
    this.interruptRequested = false;
    this.history.absorb();
    const linearOf = this.plantBreakpoints();
    this.applyWatchpoints();
    const last = this.lastWrite(origin);
    if (last) return this.stopReply(last, linearOf, true);
    const search: ReverseSearch = { arm: (mm) => mm.breakpoints.set(linearOf.keys()) };
    let found;
    try {
      found = await runWatched(reverseContinueWork(m, search, new Chunks()), { cancelled: () => this.interruptRequested });
    } catch (e) {
      if (!(e instanceof WorkCancelled)) throw e;
      seekTo(m, origin);
      return this.stopReply({ kind: "paused" }, linearOf);
    }
    if (!found) {
      seekTo(m, this.firstIcount);
      return this.historyBegin();
    }
    const stop = found.stop;
    if (stop.kind === "watchpoint") {
      // Backwards, gdb expects the state before the write: one instruction before a CPU store,
      // before the sync point's DMA for the NIC (a seek to its count stops before that sync).
      const now = m.cpu.readPhysical(stop.address, stop.length);
      const stillNew = Buffer.compare(Buffer.from(now), Buffer.from(stop.newBytes)) === 0;
      if ((stop.by === "cpu" || stillNew) && m.icountNumber > this.firstIcount) seekTo(m, m.icountNumber - 1);
      m.watchpoints.resync();
    }
    return this.stopReply(stop, linearOf, true);
  }
}
