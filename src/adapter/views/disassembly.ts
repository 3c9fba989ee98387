// The Disassembly view's window of instructions around an address. x86 cannot be decoded
// backwards, so instructions before the address are decoded forward from the start of the
// symbol (or the symbols before it) that covers them.
import { decode, type DecodedInstruction } from "../instructions";
import type { ProgramIndex } from "../program-index";
import type { DebugInfo } from "../dwarf";
import type { SourceLine } from "../stop-description";
import type { GuestMemory } from "../values/typed-value";

export interface WindowInstruction {
  address: number;
  instruction?: DecodedInstruction;
}

const CHUNK = 4096;
const MAX_ANCHOR_HOPS = 64;

function decodeRange(mem: GuestMemory, from: number, to: number): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  let at = from >>> 0;
  while (at < to) {
    const n = Math.min(CHUNK, to - at + 15);
    const bytes = mem.read(at, n) ?? readPartial(mem, at, n);
    if (!bytes || bytes.length === 0) break;
    const list = decode(bytes, at);
    if (list.length === 0) break;
    for (const i of list) {
      if (i.address >= to) return out;
      out.push(i);
    }
    const last = list[list.length - 1]!;
    at = (last.address + last.length) >>> 0;
  }
  return out;
}

function readPartial(mem: GuestMemory, at: number, n: number): Uint8Array | undefined {
  // Shrink to the end of the readable page.
  const toPage = 0x1000 - (at & 0xfff);
  return toPage < n ? mem.read(at, toPage) : undefined;
}

/** `count` slots starting `offset` instructions from `address` (offset may be negative). */
export function instructionWindow(mem: GuestMemory, names: ProgramIndex, address: number, offset: number, count: number): WindowInstruction[] {
  address >>>= 0;
  const before: DecodedInstruction[] = [];
  const need = Math.max(0, -offset);
  if (need > 0) {
    let anchor = names.symbolStart(address) ?? Math.max(0, address - need * 4);
    for (let hop = 0; hop < MAX_ANCHOR_HOPS; hop++) {
      const list = decodeRange(mem, anchor, address);
      before.splice(0, before.length, ...list);
      if (list.length >= need || anchor === 0) break;
      const prev = names.symbolStart(anchor - 1);
      anchor = prev !== undefined && prev < anchor ? prev : Math.max(0, anchor - (need - list.length) * 4);
    }
  }
  const afterCount = Math.max(0, offset + count);
  const after = afterCount > 0 ? decodeForward(mem, address, afterCount) : [];
  const all: WindowInstruction[] = [...before.map((i) => ({ address: i.address, instruction: i })), ...after.map((i) => ({ address: i.address, instruction: i }))];
  const at = before.length;
  const out: WindowInstruction[] = [];
  for (let k = 0; k < count; k++) {
    const idx = at + offset + k;
    const slot = all[idx];
    if (slot) out.push(slot);
    else if (idx < 0) out.push({ address: Math.max(0, (all[0]?.address ?? address) + idx) >>> 0 });
    else out.push({ address: ((all[all.length - 1]?.address ?? address) + (idx - all.length + 1)) >>> 0 });
  }
  return out;
}

function decodeForward(mem: GuestMemory, address: number, count: number): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  let at = address;
  while (out.length < count) {
    const n = Math.min(CHUNK, (count - out.length) * 15);
    const bytes = mem.read(at, n) ?? readPartial(mem, at, n);
    if (!bytes || bytes.length === 0) break;
    const list = decode(bytes, at, count - out.length);
    if (list.length === 0) break;
    out.push(...list);
    const last = list[list.length - 1]!;
    at = (last.address + last.length) >>> 0;
  }
  return out;
}

/** A window instruction with the symbol that starts at it and, where the source line changes, that line. */
export interface AnnotatedInstruction extends WindowInstruction {
  symbol?: string;
  line?: SourceLine;
}

/** The window with symbols and source lines: a line is named once, at the first instruction of a run of it. */
export function annotatedWindow(mem: GuestMemory, names: ProgramIndex, di: DebugInfo, address: number, offset: number, count: number): AnnotatedInstruction[] {
  let last = "";
  return instructionWindow(mem, names, address, offset, count).map((w): AnnotatedInstruction => {
    const ins = w.instruction;
    if (!ins) return w;
    const sym = names.symbolize(ins.address);
    const loc = di.addressToLine(ins.address);
    const key = loc ? `${loc.file}:${loc.line}` : "";
    const changed = loc !== undefined && key !== last;
    last = key;
    return { ...w, ...(sym && !sym.includes("+") ? { symbol: sym } : {}), ...(changed ? { line: { file: loc.file, line: loc.line } } : {}) };
  });
}
