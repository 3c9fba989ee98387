// How a typed guest value looks in the Variables, Watch and hover views: its one-line text and
// the children it expands into (struct members, array elements, a pointer's target).
import { membersOf, resolveType, sizeOf, typeName, type DwarfType } from "../dwarf";
import { readBytes, toNumber, ValueError, type GuestMemory, type Place, type TypedValue } from "./typed-value";

export interface RenderContext {
  mem: GuestMemory;
  /** "name+0x10" for a code or data address, when a symbol covers it. */
  symbolize(address: number): string | undefined;
  hex?: boolean;
}

export interface Child {
  name: string;
  value: TypedValue;
}

const SUMMARY_MEMBERS = 4;
const SUMMARY_ELEMENTS = 8;
const STRING_MAX = 80;

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
}

/** A C character type shown as text: `char`, not a typedef such as uint8_t (those are numbers). */
function isCharType(t: DwarfType): boolean {
  let r = t;
  while (r.kind === "const" || r.kind === "volatile") r = r.target;
  return r.kind === "base" && r.byteSize === 1 && (r.encoding === "signed-char" || r.encoding === "unsigned-char");
}

function quote(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b === 0) break;
    if (b === 0x22 || b === 0x5c) s += "\\" + String.fromCharCode(b);
    else if (b === 10) s += "\\n";
    else if (b === 13) s += "\\r";
    else if (b === 9) s += "\\t";
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `"${s}"`;
}

function charText(n: number): string {
  const c = n & 0xff;
  return c >= 0x20 && c < 0x7f ? `'${c === 0x27 || c === 0x5c ? "\\" : ""}${String.fromCharCode(c)}'` : `'\\x${c.toString(16).padStart(2, "0")}'`;
}

function cString(address: number, ctx: RenderContext): string | undefined {
  const out: number[] = [];
  for (let a = address; out.length < STRING_MAX; a += 16) {
    const chunk = ctx.mem.read(a, 16);
    if (!chunk) return out.length ? quote(Uint8Array.from(out)) + "..." : undefined;
    for (const b of chunk) {
      if (b === 0) return quote(Uint8Array.from(out));
      out.push(b);
    }
  }
  return quote(Uint8Array.from(out)) + "...";
}

/** One-line text of a value. Never throws: unreadable values say why. */
export function render(v: TypedValue, ctx: RenderContext, depth = 0): string {
  try {
    return renderUnsafe(v, ctx, depth);
  } catch (e) {
    return `<${e instanceof Error ? e.message : String(e)}>`;
  }
}

function renderUnsafe(v: TypedValue, ctx: RenderContext, depth: number): string {
  if (v.place.kind === "unavailable") return `<${v.place.reason}>`;
  const r = resolveType(v.type);
  switch (r.kind) {
    case "base": {
      const n = toNumber(v, ctx.mem);
      if (r.encoding === "boolean") return n ? "true" : "false";
      if (r.encoding === "float") return String(n);
      if (isCharType(v.type)) return `${n} ${charText(n)}`;
      if (ctx.hex) return `0x${(r.byteSize >= 8 ? BigInt.asUintN(64, BigInt(n)) : BigInt(n >>> 0) & ((1n << BigInt(r.byteSize * 8)) - 1n)).toString(16)}`;
      return String(n);
    }
    case "enum": {
      const n = toNumber(v, ctx.mem);
      const e = r.enumerators.find((x) => x.value === n);
      return e ? e.name : `(${typeName(v.type)})${n}`;
    }
    case "pointer": {
      const p = toNumber(v, ctx.mem) >>> 0;
      if (p === 0) return "NULL";
      const target = resolveType(r.target);
      if (isCharType(target)) {
        const s = cString(p, ctx);
        return s ? `${hex32(p)} ${s}` : hex32(p);
      }
      const sym = target.kind === "function" || target.kind === "void" ? ctx.symbolize(p) : undefined;
      return sym ? `${hex32(p)} <${sym}>` : hex32(p);
    }
    case "struct":
    case "union": {
      if (depth > 0) return "{...}";
      const parts: string[] = [];
      for (const c of children(v, ctx).slice(0, SUMMARY_MEMBERS)) parts.push(`${c.name}=${render(c.value, ctx, depth + 1)}`);
      if (r.members.length > SUMMARY_MEMBERS) parts.push("...");
      return `{${parts.join(", ")}}`;
    }
    case "array": {
      const count = r.dimensions[0]?.count;
      if (isCharType(r.element) && r.dimensions.length === 1) {
        const bytes = readBytes(v, ctx.mem, 4096);
        if (bytes) return quote(bytes.subarray(0, STRING_MAX)) + (bytes.length > STRING_MAX && bytes.subarray(0, STRING_MAX).every((b) => b !== 0) ? "..." : "");
      }
      if (depth > 0 || count === undefined) return `[${count ?? ""}]`;
      const els = children(v, ctx, 0, SUMMARY_ELEMENTS).map((c) => render(c.value, ctx, depth + 1));
      return `[${count}] {${els.join(", ")}${count > SUMMARY_ELEMENTS ? ", ..." : ""}}`;
    }
    case "function":
      return v.place.kind === "memory" ? `${hex32(v.place.address)} <${ctx.symbolize(v.place.address) ?? "function"}>` : "<function>";
    case "void":
      return "void";
    case "unknown":
      return `<unknown type 0x${r.tag.toString(16)}>`;
    default:
      return `<${typeName(v.type)}>`;
  }
}

function sub(place: Place, offset: number, size: number | undefined): Place {
  if (place.kind === "memory") return { kind: "memory", address: (place.address + offset) >>> 0 };
  if (place.kind === "value") return { kind: "value", bytes: place.bytes.subarray(offset, size === undefined ? undefined : offset + size) };
  if (place.kind === "register" && offset === 0) return place;
  return { kind: "unavailable", reason: "part of a value held in registers" };
}

/** Element count of an array's first dimension (undefined when unknown). */
export function arrayLength(t: DwarfType): number | undefined {
  const r = resolveType(t);
  return r.kind === "array" ? r.dimensions[0]?.count : undefined;
}

export function elementAt(v: TypedValue, index: number): TypedValue {
  const r = resolveType(v.type);
  if (r.kind !== "array") throw new ValueError("not an array");
  const elem: DwarfType = r.dimensions.length > 1 ? { kind: "array", element: r.element, dimensions: r.dimensions.slice(1) } : r.element;
  const size = sizeOf(elem);
  if (size === undefined) throw new ValueError(`array element type ${typeName(elem)} has no size`);
  return { type: elem, place: sub(v.place, index * size, size) };
}

export function memberValue(v: TypedValue, name: string): TypedValue | undefined {
  for (const m of membersOf(v.type)) {
    if (m.name === name) return memberOf(v, m);
    if (m.name === undefined) {
      const inner = memberValue(memberOf(v, m), name); // anonymous struct/union member
      if (inner) return inner;
    }
  }
  return undefined;
}

function memberOf(v: TypedValue, m: ReturnType<typeof membersOf>[number]): TypedValue {
  const size = sizeOf(m.type);
  if (m.bitSize !== undefined && m.bitOffset !== undefined) {
    const byteOff = Math.floor(m.bitOffset / 8);
    const span = Math.ceil(((m.bitOffset % 8) + m.bitSize) / 8);
    return { type: m.type, place: sub(v.place, byteOff, span), bits: { offset: m.bitOffset % 8, size: m.bitSize } };
  }
  return { type: m.type, place: sub(v.place, m.offset, size) };
}

/** The target of a pointer value. */
export function deref(v: TypedValue, mem: GuestMemory): TypedValue {
  const r = resolveType(v.type);
  if (r.kind === "pointer") return { type: r.target, place: { kind: "memory", address: toNumber(v, mem) >>> 0 } };
  if (r.kind === "array") return elementAt(v, 0);
  throw new ValueError(`cannot dereference a value of type ${typeName(v.type)}`);
}

/** Whether the Variables view should offer to expand the value. */
export function hasChildren(v: TypedValue, mem: GuestMemory): boolean {
  if (v.place.kind === "unavailable") return false;
  const r = resolveType(v.type);
  if (r.kind === "struct" || r.kind === "union") return r.members.length > 0;
  if (r.kind === "array") return (r.dimensions[0]?.count ?? 0) > 0;
  if (r.kind === "pointer") {
    const t = resolveType(r.target);
    if (t.kind === "void" || t.kind === "function" || t.kind === "unknown" || sizeOf(t) === undefined) return false;
    try {
      return toNumber(v, mem) !== 0;
    } catch {
      return false;
    }
  }
  return false;
}

/** Children of a value: members, elements [start, start+count), or a pointer's target. */
export function children(v: TypedValue, ctx: { mem: GuestMemory }, start = 0, count?: number): Child[] {
  const r = resolveType(v.type);
  if (r.kind === "struct" || r.kind === "union") return r.members.map((m, i) => ({ name: m.name ?? `<anonymous ${i}>`, value: memberOf(v, m) }));
  if (r.kind === "array") {
    const n = r.dimensions[0]?.count ?? 0;
    const end = Math.min(n, start + (count ?? n));
    const out: Child[] = [];
    for (let i = start; i < end; i++) out.push({ name: `[${i}]`, value: elementAt(v, i) });
    return out;
  }
  if (r.kind === "pointer") {
    const target = deref(v, ctx.mem);
    const t = resolveType(target.type);
    // A pointer to a struct opens straight onto the members, as C debuggers do.
    if (t.kind === "struct" || t.kind === "union") return children(target, ctx);
    return [{ name: "*", value: target }];
  }
  return [];
}
