// A value of a DWARF-typed C object in the stopped guest: where it lives (guest memory, a
// register of some frame, or nowhere for computed values), how to read it as bytes or a number,
// and how to write a number back.
import { resolveType, sizeOf, type DwarfType } from "../dwarf";

/** Guest memory as the debugger sees it: linear addresses, reads that return undefined when unmapped. */
export interface GuestMemory {
  read(address: number, length: number): Uint8Array | undefined;
  /** Throws an Error saying why when the range cannot be written. */
  write(address: number, bytes: Uint8Array): void;
}

/** Registers of one frame, by DWARF number; `write` is present only for the innermost frame. */
export interface FrameRegisters {
  values: readonly (number | undefined)[];
  write?: (reg: number, value: number) => void;
}

export type Place =
  | { kind: "memory"; address: number }
  | { kind: "register"; reg: number; frame: FrameRegisters }
  /** A computed value (an rvalue, DW_OP_stack_value, implicit bytes). */
  | { kind: "value"; bytes: Uint8Array }
  | { kind: "unavailable"; reason: string };

export interface TypedValue {
  type: DwarfType;
  place: Place;
  /** For bit fields: position in bits from the place's first byte, and width. */
  bits?: { offset: number; size: number };
}

export class ValueError extends Error {
  override readonly name = "ValueError";
}

const base = (name: string, byteSize: number, encoding: "signed" | "unsigned" | "signed-char" | "unsigned-char" | "boolean" | "float"): DwarfType => ({ kind: "base", name, byteSize, encoding });

/** C base types by spelling, for casts and the results of arithmetic. */
export const C_TYPES: Record<string, DwarfType> = {
  char: base("char", 1, "signed-char"),
  "signed char": base("signed char", 1, "signed-char"),
  "unsigned char": base("unsigned char", 1, "unsigned-char"),
  short: base("short", 2, "signed"),
  "unsigned short": base("unsigned short", 2, "unsigned"),
  int: base("int", 4, "signed"),
  "unsigned int": base("unsigned int", 4, "unsigned"),
  long: base("long", 4, "signed"),
  "unsigned long": base("unsigned long", 4, "unsigned"),
  "long long": base("long long", 8, "signed"),
  "unsigned long long": base("unsigned long long", 8, "unsigned"),
  _Bool: base("_Bool", 1, "boolean"),
  bool: base("_Bool", 1, "boolean"),
  float: base("float", 4, "float"),
  double: base("double", 8, "float"),
  int8_t: base("int8_t", 1, "signed"),
  uint8_t: base("uint8_t", 1, "unsigned"),
  int16_t: base("int16_t", 2, "signed"),
  uint16_t: base("uint16_t", 2, "unsigned"),
  int32_t: base("int32_t", 4, "signed"),
  uint32_t: base("uint32_t", 4, "unsigned"),
  int64_t: base("int64_t", 8, "signed"),
  uint64_t: base("uint64_t", 8, "unsigned"),
  size_t: base("size_t", 4, "unsigned"),
  uintptr_t: base("uintptr_t", 4, "unsigned"),
  intptr_t: base("intptr_t", 4, "signed"),
};
C_TYPES["signed"] = C_TYPES.int!;
C_TYPES["unsigned"] = C_TYPES["unsigned int"]!;
C_TYPES["short int"] = C_TYPES.short!;
C_TYPES["long int"] = C_TYPES.long!;
C_TYPES["short unsigned int"] = C_TYPES["unsigned short"]!;
C_TYPES["long unsigned int"] = C_TYPES["unsigned long"]!;
C_TYPES["long long int"] = C_TYPES["long long"]!;
C_TYPES["long long unsigned int"] = C_TYPES["unsigned long long"]!;
C_TYPES["void"] = { kind: "void" };

export const INT = C_TYPES.int!;
export const UINT = C_TYPES["unsigned int"]!;

export function pointerTo(t: DwarfType): DwarfType {
  return { kind: "pointer", target: t, byteSize: 4 };
}

export function valueOf(type: DwarfType, n: number): TypedValue {
  const size = Math.max(1, Math.min(sizeOf(type) ?? 4, 8));
  const bytes = new Uint8Array(size);
  let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
  const r = resolveType(type);
  if (r.kind === "base" && r.encoding === "float") {
    const dv = new DataView(bytes.buffer);
    if (size === 4) dv.setFloat32(0, n, true);
    else dv.setFloat64(0, n, true);
    return { type, place: { kind: "value", bytes } };
  }
  for (let i = 0; i < size; i++) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { type, place: { kind: "value", bytes } };
}

/** The address of the object, when it has one. */
export function addressOf(v: TypedValue): number | undefined {
  return v.place.kind === "memory" && !v.bits ? v.place.address : undefined;
}

/** Raw bytes of the object (sizeOf(type) of them), or undefined when unreadable. */
export function readBytes(v: TypedValue, mem: GuestMemory, limit = 1 << 20): Uint8Array | undefined {
  const size = sizeOf(v.type);
  switch (v.place.kind) {
    case "memory":
      if (size === undefined || size > limit) return undefined;
      return mem.read(v.place.address, size);
    case "register": {
      const r = v.place.frame.values[v.place.reg];
      if (r === undefined) return undefined;
      const b = new Uint8Array(Math.max(size ?? 4, 4));
      new DataView(b.buffer).setUint32(0, r >>> 0, true);
      return b.subarray(0, size ?? 4);
    }
    case "value": {
      if (size === undefined || size <= v.place.bytes.length) return v.place.bytes.subarray(0, size ?? v.place.bytes.length);
      const b = new Uint8Array(size);
      b.set(v.place.bytes);
      return b;
    }
    case "unavailable":
      return undefined;
  }
}

/** Whether arithmetic treats the value as a number (ints, enums, pointers, floats). */
export function isScalar(t: DwarfType): boolean {
  const r = resolveType(t);
  return r.kind === "base" || r.kind === "enum" || r.kind === "pointer";
}

export function isFloat(t: DwarfType): boolean {
  const r = resolveType(t);
  return r.kind === "base" && r.encoding === "float";
}

function signedType(t: DwarfType): boolean {
  const r = resolveType(t);
  if (r.kind === "base") return r.encoding === "signed" || r.encoding === "signed-char";
  if (r.kind === "enum") return r.underlying ? signedType(r.underlying) : r.enumerators.some((e) => e.value < 0);
  return false;
}

/** The value as a JS number (integers exact below 2^53). Throws ValueError when unreadable. */
export function toNumber(v: TypedValue, mem: GuestMemory): number {
  const r = resolveType(v.type);
  if (!isScalar(v.type)) throw new ValueError(`a value of type ${describe(v.type)} is not a number`);
  if (v.place.kind === "unavailable") throw new ValueError(v.place.reason);
  const bytes = readBytes(v, mem);
  if (!bytes) throw new ValueError(unreadable(v));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (r.kind === "base" && r.encoding === "float") return bytes.length === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true);
  if (v.bits) {
    let raw = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(bytes[i]!);
    let field = (raw >> BigInt(v.bits.offset)) & ((1n << BigInt(v.bits.size)) - 1n);
    if (signedType(v.type)) field = BigInt.asIntN(v.bits.size, field);
    return Number(field);
  }
  let raw = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(bytes[i]!);
  if (signedType(v.type)) raw = BigInt.asIntN(bytes.length * 8, raw);
  return Number(raw);
}

/** Stores a number into the object (registers of the innermost frame, or guest memory). */
export function writeNumber(v: TypedValue, n: number, mem: GuestMemory): void {
  const size = sizeOf(v.type);
  if (size === undefined || !isScalar(v.type)) throw new ValueError(`cannot assign a number to a value of type ${describe(v.type)}`);
  let bytes = readBytes(valueOf(v.type, n), mem)!;
  if (v.bits) {
    const old = readBytes(v, mem);
    if (!old) throw new ValueError(unreadable(v));
    let raw = 0n;
    for (let i = old.length - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(old[i]!);
    const mask = ((1n << BigInt(v.bits.size)) - 1n) << BigInt(v.bits.offset);
    raw = (raw & ~mask) | ((BigInt.asUintN(v.bits.size, BigInt(Math.trunc(n))) << BigInt(v.bits.offset)) & mask);
    bytes = new Uint8Array(old.length);
    for (let i = 0; i < old.length; i++) bytes[i] = Number((raw >> BigInt(8 * i)) & 0xffn);
  }
  switch (v.place.kind) {
    case "memory":
      mem.write(v.place.address, bytes);
      return;
    case "register": {
      if (!v.place.frame.write) throw new ValueError("registers of caller frames cannot be changed; select the innermost frame");
      const old = v.place.frame.values[v.place.reg] ?? 0;
      let value = 0;
      for (let i = 3; i >= 0; i--) value = value * 256 + (i < bytes.length ? bytes[i]! : (old >>> (8 * i)) & 0xff);
      v.place.frame.write(v.place.reg, value >>> 0);
      return;
    }
    default:
      throw new ValueError("this value is computed and has no storage to assign to");
  }
}

export function unreadable(v: TypedValue): string {
  if (v.place.kind === "memory") return `cannot read memory at 0x${v.place.address.toString(16)}`;
  if (v.place.kind === "register") return `register ${v.place.reg} is not known in this frame`;
  if (v.place.kind === "unavailable") return v.place.reason;
  return "value is not available";
}

function describe(t: DwarfType): string {
  const r = resolveType(t);
  return r.kind === "struct" || r.kind === "union" ? `${r.kind} ${r.name ?? "<anonymous>"}` : r.kind;
}
