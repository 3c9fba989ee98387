// The set of debug sections handed from the ELF to the DWARF parsers, and lookups into the
// DWARF 5 indirection tables (.debug_str_offsets, .debug_addr).
import { DwarfError } from "./errors.js";
import { ByteReader } from "./reader.js";

export interface DwarfSections {
  info?: Uint8Array;
  abbrev?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  rnglists?: Uint8Array;
  ranges?: Uint8Array;
  loclists?: Uint8Array;
  loc?: Uint8Array;
  line?: Uint8Array;
  frame?: Uint8Array;
  ehFrame?: Uint8Array;
  /** Load address of .eh_frame, for its pc-relative pointers. */
  ehFrameAddr?: number;
}

export const SECTION_NAMES: Record<Exclude<keyof DwarfSections, "ehFrameAddr">, string> = {
  info: ".debug_info",
  abbrev: ".debug_abbrev",
  str: ".debug_str",
  lineStr: ".debug_line_str",
  strOffsets: ".debug_str_offsets",
  addr: ".debug_addr",
  rnglists: ".debug_rnglists",
  ranges: ".debug_ranges",
  loclists: ".debug_loclists",
  loc: ".debug_loc",
  line: ".debug_line",
  frame: ".debug_frame",
  ehFrame: ".eh_frame",
};

export function requireSection(s: Uint8Array | undefined, name: string, why: string): Uint8Array {
  if (!s) throw new DwarfError("missing-section", `${name} is missing but ${why}; the ELF may have been partially stripped`);
  return s;
}

/** Entry `index` of .debug_str_offsets starting at `base` (DW_AT_str_offsets_base). */
export function strOffsetAt(sections: DwarfSections, base: number, index: number, is64: boolean): number {
  const s = requireSection(sections.strOffsets, ".debug_str_offsets", "a DW_FORM_strx attribute uses it");
  const size = is64 ? 8 : 4;
  return new ByteReader(s, ".debug_str_offsets", base + index * size).sectionOffset(is64);
}

/** Entry `index` of .debug_addr starting at `base` (DW_AT_addr_base). */
export function addrAt(sections: DwarfSections, base: number, index: number, addressSize: number): number {
  const s = requireSection(sections.addr, ".debug_addr", "a DW_FORM_addrx attribute uses it");
  return new ByteReader(s, ".debug_addr", base + index * addressSize).address(addressSize);
}
