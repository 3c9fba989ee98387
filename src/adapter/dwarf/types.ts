// The C type model built from type DIEs, and the two questions a value renderer asks of it:
// what is this type called (typeName) and how big is it (sizeOf).
import { DW_AT, DW_ATE, DW_TAG } from "./constants.js";
import type { Die, Unit } from "./info.js";

export type BaseEncoding = "signed" | "unsigned" | "signed-char" | "unsigned-char" | "boolean" | "float" | "address" | "other";

export interface Member {
  name: string | undefined;
  type: DwarfType;
  /** Byte offset of the member's storage (for bit fields: of the byte holding bit 0). */
  offset: number;
  /** For bit fields: width, and offset in bits from the start of the struct (little-endian). */
  bitSize?: number;
  bitOffset?: number;
}

export interface Enumerator {
  name: string;
  value: number;
}

export interface ArrayDimension {
  lowerBound: number;
  /** Element count; undefined for flexible/unknown-size arrays (`int a[]`). */
  count: number | undefined;
}

export type DwarfType =
  | { kind: "void" }
  | { kind: "base"; name: string; byteSize: number; encoding: BaseEncoding }
  | { kind: "pointer"; target: DwarfType; byteSize: number }
  | { kind: "const" | "volatile" | "restrict" | "atomic"; target: DwarfType }
  | { kind: "typedef"; name: string; target: DwarfType }
  | { kind: "struct" | "union"; name: string | undefined; byteSize: number | undefined; members: Member[]; declaration: boolean }
  | { kind: "enum"; name: string | undefined; byteSize: number; enumerators: Enumerator[]; underlying: DwarfType | undefined }
  | { kind: "array"; element: DwarfType; dimensions: ArrayDimension[] }
  | { kind: "function"; returnType: DwarfType; params: DwarfType[]; variadic: boolean; prototyped: boolean }
  | { kind: "unknown"; tag: number };

export const VOID: DwarfType = { kind: "void" };

const ENCODINGS: Record<number, BaseEncoding> = {
  [DW_ATE.signed]: "signed",
  [DW_ATE.unsigned]: "unsigned",
  [DW_ATE.signed_char]: "signed-char",
  [DW_ATE.unsigned_char]: "unsigned-char",
  [DW_ATE.boolean]: "boolean",
  [DW_ATE.float]: "float",
  [DW_ATE.address]: "address",
};

/** Builds DwarfType values from DIEs, one object per DIE (so recursive structs terminate). */
export class TypeTable {
  private readonly cache = new Map<Die, DwarfType>();

  /** The type named by `die`'s DW_AT_type, or void when it has none. */
  typeOf(unit: Unit, die: Die): DwarfType {
    if (!die.has(DW_AT.type)) return VOID;
    const t = unit.ref(die, DW_AT.type);
    return t ? this.fromDie(t) : { kind: "unknown", tag: 0 };
  }

  fromDie(die: Die): DwarfType {
    const cached = this.cache.get(die);
    if (cached) return cached;
    const u = die.unit;
    const name = u.str(die, DW_AT.name);
    const byteSize = u.num(die, DW_AT.byte_size);
    // Placeholder objects are cached before recursing and filled in place.
    switch (die.tag) {
      case DW_TAG.base_type: {
        const t: DwarfType = {
          kind: "base",
          name: name ?? "?",
          byteSize: byteSize ?? 0,
          encoding: ENCODINGS[u.num(die, DW_AT.encoding) ?? 0] ?? "other",
        };
        this.cache.set(die, t);
        return t;
      }
      case DW_TAG.unspecified_type: {
        const t: DwarfType = name === "void" || !name ? VOID : { kind: "base", name, byteSize: 0, encoding: "other" };
        this.cache.set(die, t);
        return t;
      }
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type: {
        const t = { kind: "pointer" as const, target: VOID, byteSize: byteSize ?? u.addressSize };
        this.cache.set(die, t);
        t.target = this.typeOf(u, die);
        return t;
      }
      case DW_TAG.const_type:
      case DW_TAG.volatile_type:
      case DW_TAG.restrict_type:
      case DW_TAG.atomic_type: {
        const kind = die.tag === DW_TAG.const_type ? "const" : die.tag === DW_TAG.volatile_type ? "volatile" : die.tag === DW_TAG.restrict_type ? "restrict" : "atomic";
        const t = { kind, target: VOID } as { kind: "const"; target: DwarfType };
        this.cache.set(die, t);
        t.target = this.typeOf(u, die);
        return t;
      }
      case DW_TAG.typedef: {
        const t = { kind: "typedef" as const, name: name ?? "?", target: VOID };
        this.cache.set(die, t);
        t.target = this.typeOf(u, die);
        return t;
      }
      case DW_TAG.structure_type:
      case DW_TAG.union_type: {
        const t = {
          kind: die.tag === DW_TAG.union_type ? ("union" as const) : ("struct" as const),
          name,
          byteSize,
          members: [] as Member[],
          declaration: u.flag(die, DW_AT.declaration),
        };
        this.cache.set(die, t);
        for (const c of die.children) if (c.tag === DW_TAG.member) t.members.push(this.member(u, c));
        return t;
      }
      case DW_TAG.enumeration_type: {
        const t = {
          kind: "enum" as const,
          name,
          byteSize: byteSize ?? 4,
          enumerators: [] as Enumerator[],
          underlying: undefined as DwarfType | undefined,
        };
        this.cache.set(die, t);
        if (die.has(DW_AT.type)) t.underlying = this.typeOf(u, die);
        const signed = t.underlying ? isSigned(t.underlying) : true;
        for (const c of die.children) {
          if (c.tag !== DW_TAG.enumerator) continue;
          const v = signed ? u.signedNum(c, DW_AT.const_value) : u.num(c, DW_AT.const_value);
          t.enumerators.push({ name: u.str(c, DW_AT.name) ?? "?", value: v ?? 0 });
        }
        return t;
      }
      case DW_TAG.array_type: {
        const t = { kind: "array" as const, element: VOID, dimensions: [] as ArrayDimension[] };
        this.cache.set(die, t);
        t.element = this.typeOf(u, die);
        for (const c of die.children) {
          if (c.tag !== DW_TAG.subrange_type) continue;
          const lower = u.signedNum(c, DW_AT.lower_bound) ?? 0;
          let count = u.num(c, DW_AT.count);
          const upper = c.attr(DW_AT.upper_bound);
          if (count === undefined && upper && upper.kind === "const") {
            // A bound in data1/2 is read through the subrange's type: gcc writes char[256]'s
            // upper bound 255 as data1 0xff, which sign-extends to -1 (a zero-length array).
            const boundType = c.has(DW_AT.type) ? this.typeOf(u, c) : undefined;
            const allOnes = upper.size !== undefined && upper.size >= 4 && upper.value === 2 ** (8 * upper.size) - 1;
            const ub = boundType && !isSigned(boundType) && !allOnes ? u.num(c, DW_AT.upper_bound) : u.signedNum(c, DW_AT.upper_bound);
            count = (ub ?? -1) - lower + 1;
          }
          t.dimensions.push({ lowerBound: lower, count: count !== undefined && count >= 0 ? count : undefined });
        }
        if (t.dimensions.length === 0) t.dimensions.push({ lowerBound: 0, count: undefined });
        return t;
      }
      case DW_TAG.subroutine_type: {
        const t = { kind: "function" as const, returnType: VOID, params: [] as DwarfType[], variadic: false, prototyped: u.flag(die, DW_AT.prototyped) };
        this.cache.set(die, t);
        t.returnType = this.typeOf(u, die);
        for (const c of die.children) {
          if (c.tag === DW_TAG.formal_parameter) t.params.push(this.typeOf(u, c));
          else if (c.tag === DW_TAG.unspecified_parameters) t.variadic = true;
        }
        return t;
      }
      default: {
        const t: DwarfType = { kind: "unknown", tag: die.tag };
        this.cache.set(die, t);
        return t;
      }
    }
  }

  private member(u: Unit, c: Die): Member {
    const type = this.typeOf(u, c);
    const m: Member = { name: u.str(c, DW_AT.name), type, offset: u.num(c, DW_AT.data_member_location) ?? 0 };
    const bitSize = u.num(c, DW_AT.bit_size);
    if (bitSize !== undefined) {
      m.bitSize = bitSize;
      const dataBitOffset = u.num(c, DW_AT.data_bit_offset);
      if (dataBitOffset !== undefined) {
        m.bitOffset = dataBitOffset;
      } else {
        // DWARF 2-4 DW_AT_bit_offset counts from the most significant bit of a storage unit of
        // DW_AT_byte_size bytes; convert to a little-endian offset from the struct start.
        const storage = (u.num(c, DW_AT.byte_size) ?? sizeOf(type) ?? 4) * 8;
        const msbOffset = u.signedNum(c, DW_AT.bit_offset) ?? 0;
        m.bitOffset = m.offset * 8 + storage - msbOffset - bitSize;
      }
      m.offset = Math.floor(m.bitOffset / 8);
    }
    return m;
  }
}

const MAX_DEPTH = 64;

/** Strips typedefs and qualifiers. */
export function resolveType(t: DwarfType): DwarfType {
  for (let i = 0; i < MAX_DEPTH; i++) {
    if (t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "atomic") t = t.target;
    else return t;
  }
  return { kind: "unknown", tag: 0 };
}

export function isSigned(t: DwarfType): boolean {
  const r = resolveType(t);
  return r.kind === "base" ? r.encoding === "signed" || r.encoding === "signed-char" : r.kind === "enum";
}

/** Size in bytes; undefined for void, functions, incomplete types. */
export function sizeOf(t: DwarfType, depth = 0): number | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (t.kind) {
    case "base":
    case "pointer":
    case "enum":
      return t.byteSize;
    case "struct":
    case "union":
      return t.byteSize;
    case "typedef":
    case "const":
    case "volatile":
    case "restrict":
    case "atomic":
      return sizeOf(t.target, depth + 1);
    case "array": {
      const elem = sizeOf(t.element, depth + 1);
      if (elem === undefined) return undefined;
      let n = 1;
      for (const d of t.dimensions) {
        if (d.count === undefined) return undefined;
        n *= d.count;
      }
      return n * elem;
    }
    default:
      return undefined;
  }
}

/** The element type of an array or the target of a pointer (through typedefs/qualifiers). */
export function elementType(t: DwarfType): DwarfType | undefined {
  const r = resolveType(t);
  if (r.kind === "array") {
    return r.dimensions.length > 1 ? { kind: "array", element: r.element, dimensions: r.dimensions.slice(1) } : r.element;
  }
  if (r.kind === "pointer") return r.target;
  return undefined;
}

export function membersOf(t: DwarfType): Member[] {
  const r = resolveType(t);
  return r.kind === "struct" || r.kind === "union" ? r.members : [];
}

/** C spelling of a type, e.g. "const char *", "int [4][2]", "int (*)(int, char *)". */
export function typeName(t: DwarfType): string {
  return declarator(t, "", 0).trim();
}

function declarator(t: DwarfType, inner: string, depth: number): string {
  if (depth > MAX_DEPTH) return `<recursive type>${inner}`;
  const withInner = (s: string) => (inner ? `${s} ${inner}` : s);
  switch (t.kind) {
    case "void":
      return withInner("void");
    case "base":
    case "typedef":
      return withInner(t.name);
    case "struct":
    case "union":
      return withInner(`${t.kind} ${t.name ?? "<anonymous>"}`);
    case "enum":
      return withInner(`enum ${t.name ?? "<anonymous>"}`);
    case "unknown":
      return withInner(`<unknown type 0x${t.tag.toString(16)}>`);
    case "pointer":
      return declarator(t.target, `*${inner}`, depth + 1);
    case "const":
    case "volatile":
    case "restrict":
    case "atomic": {
      const q = t.kind === "atomic" ? "_Atomic" : t.kind;
      if (t.target.kind === "pointer") return declarator(t.target, inner ? `${q} ${inner}` : q, depth + 1);
      return `${q} ${declarator(t.target, inner, depth + 1)}`;
    }
    case "array": {
      const dims = t.dimensions.map((d) => `[${d.count ?? ""}]`).join("");
      const base = inner.startsWith("*") ? `(${inner})` : inner;
      return declarator(t.element, `${base}${dims}`, depth + 1);
    }
    case "function": {
      const params = t.params.map((p) => declarator(p, "", depth + 1).trim());
      if (t.variadic) params.push("...");
      const list = params.length ? params.join(", ") : t.prototyped ? "void" : "";
      const base = inner.startsWith("*") ? `(${inner})` : inner;
      return declarator(t.returnType, `${base}(${list})`, depth + 1);
    }
  }
}
