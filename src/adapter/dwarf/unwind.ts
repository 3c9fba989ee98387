// Stack unwinding for i386: CFI rules from .debug_frame/.eh_frame where an FDE covers the
// pc, otherwise the EBP frame-pointer chain (the kernel is built with
// -fno-omit-frame-pointer), with prologue/epilogue checks for the innermost frame.
import { I386 } from "./constants.js";
import { evaluateValue, type MemoryReader } from "./expr.js";
import type { CallFrameInfo, RegisterRule, UnwindRow } from "./frame.js";

/** Register values indexed by i386 DWARF number (0 eax .. 8 eip, 9 eflags). */
export type RegisterValues = readonly (number | undefined)[];

export interface Frame {
  /** Program counter: the current pc for frame 0, the return address for callers. */
  pc: number;
  /** pc to use for line, function and location-list lookups (return address - 1 for callers). */
  lookupPc: number;
  /** Canonical frame address: the caller's esp before the call pushed the return address. */
  cfa: number | undefined;
  regs: (number | undefined)[];
  /** How this frame's registers were recovered from the frame below it. */
  method: "initial" | "cfi" | "frame-pointer" | "prologue";
}

export interface UnwindOptions {
  maxFrames?: number;
  /** Whether a pc lies in code; a caller pc outside code ends the walk. */
  isCode?: (pc: number) => boolean;
}

const CALLER_SAVED = [I386.eax, I386.ecx, I386.edx];
const REGISTER_COUNT = 10;

export function readU32(readMemory: MemoryReader, address: number): number | undefined {
  if (address < 0 || address > 0xfffffffc) return undefined;
  const b = readMemory(address >>> 0, 4);
  if (!b || b.length < 4) return undefined;
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/** CFA at `pc` given the frame's registers, using the CFI row if one covers it. */
export function cfaFromRow(row: UnwindRow, regs: RegisterValues, readMemory: MemoryReader): number | undefined {
  if (row.cfa.kind === "reg-offset") {
    const base = regs[row.cfa.reg];
    return base === undefined ? undefined : (base + row.cfa.offset) >>> 0;
  }
  return evaluateValue(row.cfa.expr, { readRegister: (r) => regs[r], readMemory });
}

function applyRule(rule: RegisterRule, cfa: number, regs: RegisterValues, readMemory: MemoryReader, reg: number): number | undefined {
  switch (rule.kind) {
    case "undefined":
      return undefined;
    case "same":
      return regs[reg];
    case "offset":
      return readU32(readMemory, cfa + rule.offset);
    case "val-offset":
      return (cfa + rule.offset) >>> 0;
    case "register":
      return regs[rule.reg];
    case "expr": {
      const addr = evaluateValue(rule.expr, { readRegister: (r) => regs[r], readMemory, initialStack: [cfa] });
      return addr === undefined ? undefined : readU32(readMemory, addr);
    }
    case "val-expr":
      return evaluateValue(rule.expr, { readRegister: (r) => regs[r], readMemory, initialStack: [cfa] });
  }
}

interface Step {
  cfa: number | undefined;
  caller: (number | undefined)[] | undefined;
  method: Frame["method"];
}

function stepCfi(row: UnwindRow, regs: RegisterValues, readMemory: MemoryReader): Step {
  const cfa = cfaFromRow(row, regs, readMemory);
  if (cfa === undefined) return { cfa, caller: undefined, method: "cfi" };
  const caller: (number | undefined)[] = [...regs];
  while (caller.length < REGISTER_COUNT) caller.push(undefined);
  for (const r of CALLER_SAVED) caller[r] = undefined;
  for (const [reg, rule] of row.regs) caller[reg] = applyRule(rule, cfa, regs, readMemory, reg);
  const raRule = row.regs.get(row.returnAddressRegister);
  caller[I386.eip] = raRule ? applyRule(raRule, cfa, regs, readMemory, row.returnAddressRegister) : undefined;
  caller[I386.esp] = cfa;
  return { cfa, caller, method: "cfi" };
}

function stepFramePointer(regs: RegisterValues, readMemory: MemoryReader, innermost: boolean): Step {
  const pc = regs[I386.eip];
  const esp = regs[I386.esp];
  const ebp = regs[I386.ebp];
  // Innermost frame stopped in a prologue/epilogue: the return address is not at ebp+4 yet.
  if (innermost && pc !== undefined && esp !== undefined) {
    const code = readMemory(pc, 3);
    const prev = pc > 0 ? readMemory(pc - 1, 1) : undefined;
    const atPushEbp = code?.[0] === 0x55; // push %ebp
    const atRet = code?.[0] === 0xc3; // ret
    const afterPushEbp = prev?.[0] === 0x55 && code?.[0] === 0x89 && code[1] === 0xe5; // mov %esp,%ebp
    if (atPushEbp || atRet || afterPushEbp) {
      const raAt = afterPushEbp ? esp + 4 : esp;
      const caller: (number | undefined)[] = [...regs];
      for (const r of CALLER_SAVED) caller[r] = undefined;
      caller[I386.eip] = readU32(readMemory, raAt);
      caller[I386.esp] = (raAt + 4) >>> 0;
      if (afterPushEbp) caller[I386.ebp] = readU32(readMemory, esp);
      return { cfa: (raAt + 4) >>> 0, caller, method: "prologue" };
    }
  }
  if (!ebp) return { cfa: undefined, caller: undefined, method: "frame-pointer" };
  const caller: (number | undefined)[] = [...regs];
  for (const r of CALLER_SAVED) caller[r] = undefined;
  caller[I386.eip] = readU32(readMemory, ebp + 4);
  caller[I386.ebp] = readU32(readMemory, ebp);
  caller[I386.esp] = (ebp + 8) >>> 0;
  return { cfa: (ebp + 8) >>> 0, caller, method: "frame-pointer" };
}

/**
 * Walks the stack from `regs` (frame 0). Stops at a zero or non-code return address, a
 * stack pointer that does not move up, unreadable memory, or `maxFrames` (default 256).
 */
export function unwindStack(cfi: CallFrameInfo | undefined, regs: RegisterValues, readMemory: MemoryReader, options: UnwindOptions = {}): Frame[] {
  const maxFrames = options.maxFrames ?? 256;
  const pc0 = regs[I386.eip];
  if (pc0 === undefined) return [];
  const frames: Frame[] = [{ pc: pc0, lookupPc: pc0, cfa: undefined, regs: [...regs], method: "initial" }];
  while (frames.length < maxFrames) {
    const cur = frames[frames.length - 1]!;
    const innermost = frames.length === 1;
    const row = cfi?.rowAt(cur.lookupPc);
    let step = row ? stepCfi(row, cur.regs, readMemory) : stepFramePointer(cur.regs, readMemory, innermost);
    if (row && !step.caller) step = stepFramePointer(cur.regs, readMemory, innermost);
    cur.cfa = step.cfa;
    const caller = step.caller;
    const pc = caller?.[I386.eip];
    const sp = caller?.[I386.esp];
    if (!caller || !pc || sp === undefined) break;
    const curSp = cur.regs[I386.esp];
    if (curSp !== undefined && sp <= curSp) break; // the stack must unwind upwards
    if (options.isCode && !options.isCode(pc)) break;
    frames.push({ pc, lookupPc: pc - 1, cfa: undefined, regs: caller, method: step.method });
  }
  // The outermost frame's CFA, if it can be computed without going further.
  const last = frames[frames.length - 1]!;
  if (last.cfa === undefined) {
    const row = cfi?.rowAt(last.lookupPc);
    if (row) last.cfa = cfaFromRow(row, last.regs, readMemory);
    else if (last.regs[I386.ebp]) last.cfa = (last.regs[I386.ebp]! + 8) >>> 0;
  }
  return frames;
}
