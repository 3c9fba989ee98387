// Address ranges of DIEs: DW_AT_low_pc/high_pc, and DW_AT_ranges via .debug_rnglists
// (DWARF 5 section 2.17.3) or .debug_ranges (DWARF 4 section 2.17.3).
import { DW_AT, DW_RLE } from "./constants.js";
import { DwarfError } from "./errors.js";
import type { Die, Unit } from "./info.js";
import { ByteReader } from "./reader.js";
import { requireSection } from "./sections.js";

/** Half-open [low, high). */
export interface PcRange {
  low: number;
  high: number;
}

export function rangesContain(ranges: readonly PcRange[], pc: number): boolean {
  for (const r of ranges) if (pc >= r.low && pc < r.high) return true;
  return false;
}

export function unitBaseAddress(unit: Unit): number {
  return unit.addr(unit.root, DW_AT.low_pc) ?? 0;
}

/** Absolute offset into .debug_rnglists/.debug_loclists for a rnglistx/loclistx index. */
export function listxOffset(section: Uint8Array, name: string, base: number, index: number, is64: boolean): number {
  const size = is64 ? 8 : 4;
  return base + new ByteReader(section, name, base + index * size).sectionOffset(is64);
}

export function dieRanges(unit: Unit, die: Die): PcRange[] {
  const low = unit.addr(die, DW_AT.low_pc);
  const highAttr = die.attr(DW_AT.high_pc);
  if (low !== undefined && highAttr) {
    let high: number;
    if (highAttr.kind === "const") high = low + highAttr.value;
    else high = unit.addr(die, DW_AT.high_pc) ?? low;
    return high > low ? [{ low, high }] : [];
  }
  const ranges = die.attr(DW_AT.ranges);
  if (ranges) {
    if (unit.version >= 5) {
      const s = requireSection(unit.sections.rnglists, ".debug_rnglists", "DW_AT_ranges refers to it");
      let offset: number;
      if (ranges.kind === "rnglistx") {
        const base = unit.rnglistsBase ?? (unit.header.is64 ? 20 : 12);
        offset = listxOffset(s, ".debug_rnglists", base, ranges.index, unit.header.is64);
      } else if (ranges.kind === "secoff" || ranges.kind === "const") {
        offset = ranges.value;
      } else return [];
      return readRnglist(unit, s, offset);
    }
    if (ranges.kind === "secoff" || ranges.kind === "const") {
      const s = requireSection(unit.sections.ranges, ".debug_ranges", "DW_AT_ranges refers to it");
      return readRanges(unit, s, ranges.value);
    }
    return [];
  }
  if (low !== undefined) return [{ low, high: low + 1 }];
  return [];
}

function readRnglist(unit: Unit, s: Uint8Array, offset: number): PcRange[] {
  const r = new ByteReader(s, ".debug_rnglists", offset);
  const as = unit.addressSize;
  let base = unitBaseAddress(unit);
  const out: PcRange[] = [];
  for (let guard = 0; guard < 1_000_000; guard++) {
    const kind = r.u8();
    switch (kind) {
      case DW_RLE.end_of_list:
        return out;
      case DW_RLE.base_addressx:
        base = unit.address(r.uleb());
        break;
      case DW_RLE.startx_endx: {
        const a = unit.address(r.uleb());
        push(out, a, unit.address(r.uleb()));
        break;
      }
      case DW_RLE.startx_length: {
        const a = unit.address(r.uleb());
        push(out, a, a + r.uleb());
        break;
      }
      case DW_RLE.offset_pair: {
        const a = r.uleb();
        push(out, base + a, base + r.uleb());
        break;
      }
      case DW_RLE.base_address:
        base = r.address(as);
        break;
      case DW_RLE.start_end: {
        const a = r.address(as);
        push(out, a, r.address(as));
        break;
      }
      case DW_RLE.start_length: {
        const a = r.address(as);
        push(out, a, a + r.uleb());
        break;
      }
      default:
        throw new DwarfError("corrupt", `unknown range list entry kind ${kind}`, ".debug_rnglists", r.offset - 1);
    }
  }
  return out;
}

function readRanges(unit: Unit, s: Uint8Array, offset: number): PcRange[] {
  const r = new ByteReader(s, ".debug_ranges", offset);
  const as = unit.addressSize;
  const max = as === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (as * 8) - 1;
  let base = unitBaseAddress(unit);
  const out: PcRange[] = [];
  for (;;) {
    const a = r.address(as);
    const b = r.address(as);
    if (a === 0 && b === 0) return out;
    if (a === max) base = b;
    else push(out, base + a, base + b);
  }
}

function push(out: PcRange[], low: number, high: number): void {
  if (high > low) out.push({ low, high });
}
