// DWARF expression evaluator (DWARF 5 section 2.5, 2.6) for the operations gcc emits for
// i386 at -O0..-O2. Arithmetic is modulo 2^32 (the generic type is address-sized).
import { DwarfError } from "./errors.js";
import { ByteReader } from "./reader.js";

export type MemoryReader = (address: number, length: number) => Uint8Array | undefined;
export type RegisterReader = (reg: number) => number | undefined;

export interface ExpressionContext {
  readRegister: RegisterReader;
  readMemory: MemoryReader;
  /** Value of the enclosing function's DW_AT_frame_base, for DW_OP_fbreg. */
  frameBase?: () => number | undefined;
  /** Canonical frame address at this pc, for DW_OP_call_frame_cfa. */
  cfa?: () => number | undefined;
  /** .debug_addr lookup for DW_OP_addrx/constx. */
  debugAddr?: (index: number) => number;
  /** Values pushed before evaluation (e.g. the CFA for CFI register expressions). */
  initialStack?: number[];
}

export type Location =
  | { kind: "memory"; address: number }
  | { kind: "register"; reg: number }
  /** DW_OP_stack_value: the value itself (the object has no address). */
  | { kind: "value"; value: number }
  /** DW_OP_implicit_value: literal bytes. */
  | { kind: "implicit"; bytes: Uint8Array }
  | { kind: "pieces"; pieces: LocationPiece[] }
  | { kind: "optimized-out" }
  /** Could not be computed here: a register or memory read failed, or an op we cannot do. */
  | { kind: "unavailable"; reason: string };

export interface LocationPiece {
  /** Size in bits (DW_OP_piece sizes are converted from bytes). */
  bitSize: number;
  bitOffset: number;
  location: Location;
}

const MASK = 0x1_0000_0000;
const u32 = (v: number) => ((v % MASK) + MASK) % MASK;
const s32 = (v: number) => u32(v) | 0;

class Unavailable {
  constructor(readonly reason: string) {}
}

function readU(ctx: ExpressionContext, addr: number, size: number): number {
  const b = ctx.readMemory(addr, size);
  if (!b || b.length < size) throw new Unavailable(`memory at 0x${addr.toString(16)} is not readable`);
  let v = 0;
  for (let i = Math.min(size, 4) - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
}

function reg(ctx: ExpressionContext, n: number): number {
  const v = ctx.readRegister(n);
  if (v === undefined) throw new Unavailable(`register ${n} is not available in this frame`);
  return v;
}

export function evaluateLocation(expr: Uint8Array, ctx: ExpressionContext): Location {
  try {
    return evaluate(expr, ctx);
  } catch (e) {
    if (e instanceof Unavailable) return { kind: "unavailable", reason: e.reason };
    throw e;
  }
}

/** Evaluates an expression that must produce a value (frame base, CFA, CFI expressions). */
export function evaluateValue(expr: Uint8Array, ctx: ExpressionContext): number | undefined {
  const loc = evaluateLocation(expr, ctx);
  if (loc.kind === "memory") return loc.address;
  if (loc.kind === "value") return loc.value;
  if (loc.kind === "register") return ctx.readRegister(loc.reg);
  return undefined;
}

function evaluate(expr: Uint8Array, ctx: ExpressionContext): Location {
  if (expr.length === 0) return { kind: "optimized-out" };
  const r = new ByteReader(expr, "DWARF expression");
  const stack: number[] = [...(ctx.initialStack ?? [])];
  const pieces: LocationPiece[] = [];
  let pieceOffset = 0;
  // Set by register/implicit ops; cleared at each piece.
  let current: Location | undefined;
  const pop = (): number => {
    const v = stack.pop();
    if (v === undefined) throw new DwarfError("bad-expression", "stack underflow", "DWARF expression", r.offset);
    return v;
  };
  const push = (v: number) => stack.push(u32(v));
  const bin = (f: (a: number, b: number) => number) => {
    const b = pop();
    const a = pop();
    push(f(a, b));
  };
  const finishPiece = (): Location => {
    const loc = current ?? (stack.length ? { kind: "memory" as const, address: stack[stack.length - 1]! } : { kind: "optimized-out" as const });
    current = undefined;
    stack.length = 0;
    return loc;
  };
  let steps = 0;
  while (r.remaining > 0) {
    if (++steps > 10_000) throw new DwarfError("bad-expression", "expression does not terminate (branch loop)", "DWARF expression");
    const op = r.u8();
    if (op >= 0x30 && op <= 0x4f) {
      push(op - 0x30); // DW_OP_lit0..31
      continue;
    }
    if (op >= 0x50 && op <= 0x6f) {
      current = { kind: "register", reg: op - 0x50 }; // DW_OP_reg0..31
      continue;
    }
    if (op >= 0x70 && op <= 0x8f) {
      const off = r.sleb(); // DW_OP_breg0..31
      push(reg(ctx, op - 0x70) + off);
      continue;
    }
    switch (op) {
      case 0x03: // addr
        push(r.u32());
        break;
      case 0x06: // deref
        push(readU(ctx, pop(), 4));
        break;
      case 0x08:
        push(r.u8());
        break;
      case 0x09:
        push(r.i8());
        break;
      case 0x0a:
        push(r.u16());
        break;
      case 0x0b:
        push(r.i16());
        break;
      case 0x0c:
        push(r.u32());
        break;
      case 0x0d:
        push(r.i32());
        break;
      case 0x0e:
        push(r.u64());
        break;
      case 0x0f:
        push(r.i64());
        break;
      case 0x10: // constu
        push(r.uleb());
        break;
      case 0x11: // consts
        push(r.sleb());
        break;
      case 0x12: // dup
        push(stack[stack.length - 1] ?? pop());
        break;
      case 0x13: // drop
        pop();
        break;
      case 0x14: // over
        if (stack.length < 2) pop();
        push(stack[stack.length - 2]!);
        break;
      case 0x15: {
        // pick
        const i = r.u8();
        if (i >= stack.length) throw new DwarfError("bad-expression", "DW_OP_pick past the stack", "DWARF expression", r.offset);
        push(stack[stack.length - 1 - i]!);
        break;
      }
      case 0x16: {
        // swap
        const a = pop();
        const b = pop();
        push(a);
        push(b);
        break;
      }
      case 0x17: {
        // rot
        const a = pop();
        const b = pop();
        const c = pop();
        push(a);
        push(c);
        push(b);
        break;
      }
      case 0x19:
        push(Math.abs(s32(pop())));
        break;
      case 0x1a:
        bin((a, b) => (a & b) >>> 0);
        break;
      case 0x1b:
        bin((a, b) => {
          if (s32(b) === 0) throw new Unavailable("division by zero in location expression");
          return Math.trunc(s32(a) / s32(b));
        });
        break;
      case 0x1c:
        bin((a, b) => a - b);
        break;
      case 0x1d:
        bin((a, b) => {
          if (b === 0) throw new Unavailable("modulo by zero in location expression");
          return a % b;
        });
        break;
      case 0x1e:
        bin((a, b) => Number((BigInt(a) * BigInt(b)) & 0xffffffffn));
        break;
      case 0x1f:
        push(-pop());
        break;
      case 0x20:
        push(~pop());
        break;
      case 0x21:
        bin((a, b) => (a | b) >>> 0);
        break;
      case 0x22:
        bin((a, b) => a + b);
        break;
      case 0x23: // plus_uconst
        push(pop() + r.uleb());
        break;
      case 0x24:
        bin((a, b) => (b >= 32 ? 0 : a << b));
        break;
      case 0x25:
        bin((a, b) => (b >= 32 ? 0 : a >>> b));
        break;
      case 0x26:
        bin((a, b) => s32(a) >> Math.min(b, 31));
        break;
      case 0x27:
        bin((a, b) => (a ^ b) >>> 0);
        break;
      case 0x28: {
        // bra
        const off = r.i16();
        if (pop() !== 0) r.offset += off;
        if (r.offset < 0 || r.offset > expr.length) throw new DwarfError("bad-expression", "branch out of range", "DWARF expression");
        break;
      }
      case 0x29:
        bin((a, b) => (s32(a) === s32(b) ? 1 : 0));
        break;
      case 0x2a:
        bin((a, b) => (s32(a) >= s32(b) ? 1 : 0));
        break;
      case 0x2b:
        bin((a, b) => (s32(a) > s32(b) ? 1 : 0));
        break;
      case 0x2c:
        bin((a, b) => (s32(a) <= s32(b) ? 1 : 0));
        break;
      case 0x2d:
        bin((a, b) => (s32(a) < s32(b) ? 1 : 0));
        break;
      case 0x2e:
        bin((a, b) => (s32(a) !== s32(b) ? 1 : 0));
        break;
      case 0x2f: {
        // skip
        const off = r.i16();
        r.offset += off;
        if (r.offset < 0 || r.offset > expr.length) throw new DwarfError("bad-expression", "skip out of range", "DWARF expression");
        break;
      }
      case 0x90: // regx
        current = { kind: "register", reg: r.uleb() };
        break;
      case 0x91: {
        // fbreg
        const off = r.sleb();
        const fb = ctx.frameBase?.();
        if (fb === undefined) throw new Unavailable("frame base is not known at this pc");
        push(fb + off);
        break;
      }
      case 0x92: {
        // bregx
        const n = r.uleb();
        push(reg(ctx, n) + r.sleb());
        break;
      }
      case 0x93: {
        // piece
        const bits = r.uleb() * 8;
        pieces.push({ bitSize: bits, bitOffset: pieceOffset, location: finishPiece() });
        pieceOffset += bits;
        break;
      }
      case 0x9d: {
        // bit_piece
        const bits = r.uleb();
        r.uleb(); // offset within the source; rarely non-zero from gcc
        pieces.push({ bitSize: bits, bitOffset: pieceOffset, location: finishPiece() });
        pieceOffset += bits;
        break;
      }
      case 0x94: {
        // deref_size
        const n = r.u8();
        push(readU(ctx, pop(), n));
        break;
      }
      case 0x96: // nop
        break;
      case 0x9c: {
        // call_frame_cfa
        const cfa = ctx.cfa?.();
        if (cfa === undefined) throw new Unavailable("canonical frame address is not known at this pc");
        push(cfa);
        break;
      }
      case 0x9e: // implicit_value
        current = { kind: "implicit", bytes: r.bytesOf(r.uleb()) };
        break;
      case 0x9f: // stack_value
        current = { kind: "value", value: pop() };
        break;
      case 0xa1: // addrx
      case 0xa2: // constx
      case 0xfb: // GNU_addr_index
      case 0xfc: {
        // GNU_const_index
        const i = r.uleb();
        if (!ctx.debugAddr) throw new Unavailable("DW_OP_addrx needs .debug_addr");
        push(ctx.debugAddr(i));
        break;
      }
      case 0xa0: // implicit_pointer
      case 0xf2: // GNU_implicit_pointer
        return { kind: "unavailable", reason: "the value is an implicit pointer to an optimized-out object" };
      case 0xa3: // entry_value
      case 0xf3: // GNU_entry_value
        return { kind: "unavailable", reason: "the value is the caller's entry value, which is not recorded here" };
      case 0xe0: // GNU_push_tls_address
      case 0x9b: // form_tls_address
        return { kind: "unavailable", reason: "thread-local storage is not supported" };
      case 0xf0: // GNU_uninit
        break;
      default:
        return { kind: "unavailable", reason: `unsupported DWARF operation 0x${op.toString(16)}` };
    }
  }
  if (pieces.length) {
    if (current || stack.length) pieces.push({ bitSize: 0, bitOffset: pieceOffset, location: finishPiece() });
    return { kind: "pieces", pieces: pieces.filter((p) => p.bitSize > 0) };
  }
  if (current) return current;
  if (stack.length === 0) return { kind: "optimized-out" };
  return { kind: "memory", address: stack[stack.length - 1]! };
}
