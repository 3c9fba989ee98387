// The guest's call stack at a stop: physical frames unwound with DWARF CFI or the EBP chain,
// each split into the inlined frames DWARF describes, with the variables each frame can see and
// where they live.
import { I386, type DebugInfo, type FunctionInfo, type Variable } from "./dwarf";
import type { ProgramIndex } from "./program-index";
import type { FrameRegisters, GuestMemory, Place, TypedValue } from "./values/typed-value";

export interface CallFrame {
  /** Index in the stack, innermost 0. */
  index: number;
  name: string;
  /** Address shown for the frame (the return address for callers). */
  pc: number;
  /** Address used for line and scope lookups. */
  lookupPc: number;
  file: string | undefined;
  line: number | undefined;
  column: number | undefined;
  regs: FrameRegisters;
  cfa: number | undefined;
  fn: FunctionInfo | undefined;
  /** Variables in scope, innermost declaration first (shadowed ones removed). */
  variables: Variable[];
  inlined: boolean;
}

const MAX_FRAMES = 64;

export function walkStack(di: DebugInfo, names: ProgramIndex, regs: (number | undefined)[], mem: GuestMemory, writeRegister: (reg: number, value: number) => void): CallFrame[] {
  const read = (a: number, n: number) => mem.read(a, n);
  const physical = di.unwind(regs, read, { maxFrames: MAX_FRAMES });
  const out: CallFrame[] = [];
  physical.forEach((f, depth) => {
    const frameRegs: FrameRegisters = { values: f.regs, ...(depth === 0 ? { write: writeRegister } : {}) };
    const inl = di.inlineFramesAt(f.lookupPc);
    if (inl.length === 0) {
      const here = di.addressToLine(f.lookupPc);
      out.push({
        index: out.length,
        name: names.symbolize(f.pc) ?? `0x${f.pc.toString(16).padStart(8, "0")}`,
        pc: f.pc,
        lookupPc: f.lookupPc,
        file: here?.file,
        line: here?.line,
        column: here?.column,
        regs: frameRegs,
        cfa: f.cfa,
        fn: undefined,
        variables: [],
        inlined: false,
      });
      return;
    }
    inl.forEach((frame, k) => {
      const seen = new Set<string>();
      const vars: Variable[] = [];
      for (const s of frame.scopes)
        for (const v of s.variables)
          if (!seen.has(v.name)) {
            seen.add(v.name);
            vars.push(v);
          }
      out.push({
        index: out.length,
        name: frame.name,
        pc: f.pc,
        lookupPc: f.lookupPc,
        file: frame.file,
        line: frame.line,
        column: frame.column,
        regs: frameRegs,
        cfa: f.cfa,
        fn: frame.function,
        variables: vars,
        inlined: k < inl.length - 1,
      });
    });
  });
  return out;
}

/** Where a DWARF variable lives in a frame, as a typed value. */
export function variableValue(di: DebugInfo, v: Variable, frame: CallFrame | undefined, mem: GuestMemory): TypedValue {
  if (v.address !== undefined && v.location.kind !== "list") return { type: v.type, place: { kind: "memory", address: v.address } };
  if (!frame) return { type: v.type, place: { kind: "unavailable", reason: "no frame" } };
  const loc = di.locate(v, { pc: frame.lookupPc, regs: frame.regs.values, cfa: frame.cfa }, (a, n) => mem.read(a, n));
  return { type: v.type, place: placeOf(loc, frame, mem) };
}

function placeOf(loc: ReturnType<DebugInfo["locate"]>, frame: CallFrame, mem: GuestMemory): Place {
  switch (loc.kind) {
    case "memory":
      return { kind: "memory", address: loc.address };
    case "register":
      return { kind: "register", reg: loc.reg, frame: frame.regs };
    case "value": {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, loc.value >>> 0, true);
      return { kind: "value", bytes: b };
    }
    case "implicit":
      return { kind: "value", bytes: loc.bytes };
    case "optimized-out":
      return { kind: "unavailable", reason: "optimized out" };
    case "unavailable":
      return { kind: "unavailable", reason: loc.reason };
    case "pieces": {
      // Assemble the object from its pieces; the result is read-only.
      const total = loc.pieces.reduce((n, p) => Math.max(n, p.bitOffset + p.bitSize), 0);
      const bytes = new Uint8Array(Math.ceil(total / 8));
      for (const p of loc.pieces) {
        if (p.bitOffset % 8 || p.bitSize % 8) return { kind: "unavailable", reason: "bit pieces are not supported" };
        const n = p.bitSize / 8;
        let part: Uint8Array | undefined;
        const l = p.location;
        if (l.kind === "memory") part = mem.read(l.address, n);
        else if (l.kind === "register") {
          const r = frame.regs.values[l.reg];
          if (r !== undefined) {
            part = new Uint8Array(4);
            new DataView(part.buffer).setUint32(0, r >>> 0, true);
          }
        } else if (l.kind === "value") {
          part = new Uint8Array(4);
          new DataView(part.buffer).setUint32(0, l.value >>> 0, true);
        } else if (l.kind === "implicit") part = l.bytes;
        else if (l.kind === "optimized-out") return { kind: "unavailable", reason: "partly optimized out" };
        if (!part) return { kind: "unavailable", reason: "a piece of the value cannot be read" };
        bytes.set(part.subarray(0, n), p.bitOffset / 8);
      }
      return { kind: "value", bytes };
    }
  }
}

/** The innermost frame's registers, indexed by DWARF number. */
export function dwarfRegisters(r: { eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number; eip: number; eflags: number }): number[] {
  const out: number[] = [];
  out[I386.eax] = r.eax;
  out[I386.ecx] = r.ecx;
  out[I386.edx] = r.edx;
  out[I386.ebx] = r.ebx;
  out[I386.esp] = r.esp;
  out[I386.ebp] = r.ebp;
  out[I386.esi] = r.esi;
  out[I386.edi] = r.edi;
  out[I386.eip] = r.eip;
  out[I386.eflags] = r.eflags;
  return out;
}
