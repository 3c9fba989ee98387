// DW_AT_location / DW_AT_frame_base values: a single expression, or a location list from
// .debug_loclists (DWARF 5 section 2.6.2) or .debug_loc (DWARF 4 section 2.6.2).
import { DW_LLE } from "./constants.js";
import { DwarfError } from "./errors.js";
import type { AttrValue, Unit } from "./info.js";
import { listxOffset, unitBaseAddress } from "./ranges.js";
import { ByteReader } from "./reader.js";
import { requireSection } from "./sections.js";

export interface LocationListEntry {
  /** Half-open pc range [low, high); a default entry covers every pc. */
  low: number;
  high: number;
  expr: Uint8Array;
  isDefault?: boolean;
}

export type LocationDescription =
  | { kind: "expr"; expr: Uint8Array }
  | { kind: "list"; entries: LocationListEntry[] }
  /** No location at all: the compiler optimized the variable away. */
  | { kind: "none" }
  /** DW_AT_const_value: the value is known at compile time. */
  | { kind: "const"; value: number | Uint8Array };

/** The expression that applies at `pc`, or undefined where the variable has no location. */
export function expressionAt(loc: LocationDescription, pc: number): Uint8Array | undefined {
  if (loc.kind === "expr") return loc.expr;
  if (loc.kind !== "list") return undefined;
  let fallback: Uint8Array | undefined;
  for (const e of loc.entries) {
    if (e.isDefault) fallback = e.expr;
    else if (pc >= e.low && pc < e.high) return e.expr;
  }
  return fallback;
}

export function readLocation(unit: Unit, value: AttrValue | undefined): LocationDescription {
  if (!value) return { kind: "none" };
  if (value.kind === "block") return value.bytes.length ? { kind: "expr", expr: value.bytes } : { kind: "none" };
  if (unit.version >= 5) {
    const s = requireSection(unit.sections.loclists, ".debug_loclists", "a location list refers to it");
    let offset: number;
    if (value.kind === "loclistx") {
      const base = unit.loclistsBase ?? (unit.header.is64 ? 20 : 12);
      offset = listxOffset(s, ".debug_loclists", base, value.index, unit.header.is64);
    } else if (value.kind === "secoff") offset = value.value;
    else return { kind: "none" };
    return { kind: "list", entries: readLoclist(unit, s, offset) };
  }
  if (value.kind === "secoff" || value.kind === "const") {
    const s = requireSection(unit.sections.loc, ".debug_loc", "a location list refers to it");
    return { kind: "list", entries: readLoc(unit, s, value.value) };
  }
  return { kind: "none" };
}

function readLoclist(unit: Unit, s: Uint8Array, offset: number): LocationListEntry[] {
  const r = new ByteReader(s, ".debug_loclists", offset);
  const as = unit.addressSize;
  let base = unitBaseAddress(unit);
  const out: LocationListEntry[] = [];
  const expr = () => r.bytesOf(r.uleb());
  for (let guard = 0; guard < 1_000_000; guard++) {
    const kind = r.u8();
    switch (kind) {
      case DW_LLE.end_of_list:
        return out;
      case DW_LLE.base_addressx:
        base = unit.address(r.uleb());
        break;
      case DW_LLE.startx_endx: {
        const low = unit.address(r.uleb());
        const high = unit.address(r.uleb());
        out.push({ low, high, expr: expr() });
        break;
      }
      case DW_LLE.startx_length: {
        const low = unit.address(r.uleb());
        const high = low + r.uleb();
        out.push({ low, high, expr: expr() });
        break;
      }
      case DW_LLE.offset_pair: {
        const low = base + r.uleb();
        const high = base + r.uleb();
        out.push({ low, high, expr: expr() });
        break;
      }
      case DW_LLE.default_location:
        out.push({ low: 0, high: 0, expr: expr(), isDefault: true });
        break;
      case DW_LLE.base_address:
        base = r.address(as);
        break;
      case DW_LLE.start_end: {
        const low = r.address(as);
        const high = r.address(as);
        out.push({ low, high, expr: expr() });
        break;
      }
      case DW_LLE.start_length: {
        const low = r.address(as);
        const high = low + r.uleb();
        out.push({ low, high, expr: expr() });
        break;
      }
      case DW_LLE.GNU_view_pair:
        r.uleb();
        r.uleb();
        break;
      default:
        throw new DwarfError("corrupt", `unknown location list entry kind ${kind}`, ".debug_loclists", r.offset - 1);
    }
  }
  return out;
}

function readLoc(unit: Unit, s: Uint8Array, offset: number): LocationListEntry[] {
  const r = new ByteReader(s, ".debug_loc", offset);
  const as = unit.addressSize;
  const max = as === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (as * 8) - 1;
  let base = unitBaseAddress(unit);
  const out: LocationListEntry[] = [];
  for (;;) {
    const a = r.address(as);
    const b = r.address(as);
    if (a === 0 && b === 0) return out;
    if (a === max) {
      base = b;
      continue;
    }
    const e = r.bytesOf(r.u16());
    out.push({ low: base + a, high: base + b, expr: e });
  }
}
