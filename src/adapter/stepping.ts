// Stepping by source line and by instruction. Step over and step out run the guest at full
// speed to temporary breakpoints (every instruction of the function outside the current line,
// and the return address), checked against the frame's CFA so recursion and interrupt handlers
// do not stop them; only step into single-steps, and only inside the current line.
import { I386, type FunctionInfo } from "./dwarf";
import { decode, decodeOne } from "./instructions";
import { inlineEntriesAt } from "./inline-presentation";
import type { SourceLine, TargetStop } from "./stop-description";
import type { RunOutcome, Target, TempBreakpoints } from "./target";

export type StepGranularity = "statement" | "line" | "instruction";

/** Single steps step-into spends inside one line before it runs to the line's end instead. */
const SINGLE_STEP_BUDGET = 20_000;
const YIELD_EVERY = 512;
const MAX_ROUNDS = 64;

interface FunctionInstruction {
  address: number;
  /** Number of (inlined) frames at this address. */
  depth: number;
}

const STEP: TargetStop = { reason: "step", description: "Paused after a step" };

export class LineStepper {
  private readonly code = new Map<number, FunctionInstruction[]>();

  constructor(private readonly t: Target) {}

  private finish(o: RunOutcome | undefined): TargetStop {
    return !o || o.kind === "temp" ? STEP : this.t.outcomeToStop(o);
  }

  async stepIn(g: StepGranularity): Promise<TargetStop> {
    if (g === "instruction" || !this.hasLines(this.pc)) return this.finish(await this.t.stepInstruction(false));
    // Stopped on the call line of inlined code that starts here: step into shows the inlined frame.
    const hidden = this.t.runStart.hiddenInlineFrames;
    if (hidden > 0) return { ...STEP, shows: { hiddenInlineFrames: hidden - 1, line: undefined } };
    return this.lineStep(true);
  }

  async stepOver(g: StepGranularity): Promise<TargetStop> {
    if (g === "instruction" || !this.hasLines(this.pc)) return this.finish(await this.t.stepInstruction(true));
    return this.lineStep(false);
  }

  async stepOut(_g: StepGranularity): Promise<TargetStop> {
    const di = this.t.debugInfo;
    const pc = this.pc;
    const { cfa, ret } = this.frameBounds();
    const temps: TempBreakpoints = new Map();
    const fn = di.functionAt(pc);
    // The frame the user sees: inlined frames hidden at this stop do not count.
    const depth = di.inlineFramesAt(pc).length - this.t.runStart.hiddenInlineFrames;
    if (fn && depth > 1) {
      // Leaving an inlined call: stop at the first instruction of the enclosing frame.
      for (const ins of this.instructionsOf(fn)) if (ins.depth < depth) temps.set(ins.address, () => this.t.currentCfa() === cfa);
    }
    if (ret !== undefined && cfa !== undefined) temps.set(ret, () => this.esp >= cfa);
    if (temps.size === 0) {
      return { ...this.finish(await this.t.stepInstruction(true)), text: "No caller frame to return to: stepped one instruction" };
    }
    return this.finish(await this.t.runWith(temps));
  }

  private get pc(): number {
    return this.t.machine.cpu.pc;
  }

  private get esp(): number {
    return this.t.machine.cpu.registers().esp;
  }

  private hasLines(pc: number): boolean {
    return this.t.debugInfo.lineRangeAt(pc) !== undefined && this.t.debugInfo.functionAt(pc) !== undefined;
  }

  /** CFA of the innermost frame and the return address of its caller. */
  private frameBounds(): { cfa: number | undefined; ret: number | undefined } {
    const regs = this.t.registersForLookup();
    const frames = this.t.debugInfo.unwind(regs, (a, n) => this.t.memory.read(a, n), { maxFrames: 2 });
    return { cfa: frames[0]?.cfa, ret: frames[1]?.regs[I386.eip] };
  }

  private async lineStep(into: boolean): Promise<TargetStop> {
    const di = this.t.debugInfo;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (this.t.pausePending) return { reason: "pause", description: "Paused" };
      const start = this.pc;
      const range = di.lineRangeAt(start);
      const fn = di.functionAt(start);
      if (!range || !fn) return round === 0 ? this.finish(await this.t.stepInstruction(!into)) : STEP;
      let reached = false;
      // Inlined frames the stop hides (it ended at the first instruction of an inlined call).
      let hidden = 0;
      if (into) {
        const r = await this.singleStepLine(range.start, range.end);
        if (r.stop) return r.stop;
        reached = r.left;
      }
      if (!reached) {
        const depth = di.inlineFramesAt(this.pc).length - (round === 0 && !into ? this.t.runStart.hiddenInlineFrames : 0);
        // A stop shown at a breakpoint's line rather than its address's row (code the compiler
        // hoisted there): inlined calls made from that same line are part of stepping over it.
        const shown = round === 0 ? this.t.runStart.line : undefined;
        const { temps, hideAt } = this.pastLine(fn, range, depth, shown);
        if (temps.size === 0) return this.finish(await this.t.stepInstruction(!into));
        const o = await this.t.runWith(temps);
        if (o.kind !== "temp") return this.t.outcomeToStop(o);
        hidden = hideAt.get(o.address) ?? 0;
      }
      const now = this.pc;
      if (hidden > 0) return { ...STEP, shows: { hiddenInlineFrames: hidden, line: undefined } }; // on the call line of inlined code
      const e = di.lineTable().entryAt(now);
      if (!e || !di.functionAt(now)) return STEP; // returned into code without line info
      if (e.address === now && this.startsStatement(now)) return STEP;
      // Landed inside a line (back in the caller after a return): finish that line too.
    }
    return { ...STEP, text: "Stopped stepping after many partial lines" };
  }

  /**
   * Temporary breakpoints that end stepping over the line [start, end) of `fn` in the frame
   * `depth` deep: every instruction of the frame outside the line, the first instruction of
   * inlined code it calls (`hideAt`: the inlined frames that stop hides, showing the call's line
   * in this frame as gdb does) and the return address.
   */
  private pastLine(fn: FunctionInfo, range: { start: number; end: number }, depth: number, shown: SourceLine | undefined): { temps: TempBreakpoints; hideAt: Map<number, number> } {
    const di = this.t.debugInfo;
    const { cfa, ret } = this.frameBounds();
    const temps: TempBreakpoints = new Map();
    const hideAt = new Map<number, number>();
    for (const ins of this.instructionsOf(fn)) {
      if (ins.address >= range.start && ins.address < range.end) continue;
      if (ins.depth <= depth) temps.set(ins.address, () => this.t.currentCfa() === cfa);
      else if (ins.depth - inlineEntriesAt(di, ins.address) <= depth) {
        const hide = ins.depth - depth;
        const call = shown && di.inlineFramesAt(ins.address)[hide - 1]?.inlined;
        if (call && call.callLine === shown.line && call.callFile === shown.file) continue;
        temps.set(ins.address, () => this.t.currentCfa() === cfa);
        hideAt.set(ins.address, hide);
      }
    }
    if (ret !== undefined && cfa !== undefined) {
      temps.set(ret, () => this.esp >= cfa);
      hideAt.delete(ret);
    }
    return { temps, hideAt };
  }

  /**
   * Step into: single-steps while pc stays in [start, end). A call into a function with line
   * info stops there; a call into code without it runs to its return.
   */
  private async singleStepLine(start: number, end: number): Promise<{ stop?: TargetStop; left: boolean }> {
    for (let n = 1; n <= SINGLE_STEP_BUDGET; n++) {
      const pc = this.pc;
      if (pc < start || pc >= end) return { left: true };
      const ins = decodeOne((a, len) => this.t.memory.read(a, len), pc);
      const espBefore = this.esp;
      const o = await this.t.stepInstruction(false);
      if (o) return { stop: this.t.outcomeToStop(o), left: true };
      if (ins?.flow === "call") {
        const now = this.pc;
        if (this.hasLines(now)) return { stop: STEP, left: true };
        const back = await this.t.runWith(new Map([[(pc + ins.length) >>> 0, () => this.esp >= espBefore]]));
        if (back.kind !== "temp") return { stop: this.t.outcomeToStop(back), left: true };
      }
      if (n % YIELD_EVERY === 0) {
        await this.t.yieldToEvents();
        if (this.t.pausePending) return { stop: { reason: "pause", description: "Paused" }, left: true };
      }
    }
    return { left: false };
  }

  /**
   * Whether a statement row begins at `addr`. gcc often puts several rows at one address (the
   * line's is_stmt row, then a non-statement row of the same or an inlined line); the index keeps
   * only the last for lookups, so look at every row of the sequence at that address.
   */
  private startsStatement(addr: number): boolean {
    const table = this.t.debugInfo.lineTable();
    const e = table.entryAt(addr);
    if (!e || e.address !== addr) return false;
    const seq = table.sequences[e.sequence]!;
    for (let i = e.index; i >= 0 && seq[i]!.address === addr; i--) if (seq[i]!.isStmt && seq[i]!.line !== 0) return true;
    return false;
  }

  /** Every instruction of a function with its inline depth (decoded once per function). */
  private instructionsOf(fn: FunctionInfo): FunctionInstruction[] {
    let list = this.code.get(fn.lowPc);
    if (list) return list;
    list = [];
    for (const r of fn.ranges) {
      const bytes = this.t.memory.read(r.low, r.high - r.low);
      if (!bytes) continue;
      for (const ins of decode(bytes, r.low)) list.push({ address: ins.address, depth: this.t.debugInfo.inlineFramesAt(ins.address).length });
    }
    this.code.set(fn.lowPc, list);
    return list;
  }
}
