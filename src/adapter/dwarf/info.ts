// .debug_info: unit headers (DWARF 2-5), DIE trees parsed lazily per unit, and attribute
// values decoded by form (DWARF 5 section 7.5). Indirect forms (strx, addrx, rnglistx,
// loclistx) are resolved on access, because their bases live in the unit's root DIE.
import { parseAbbrevTable, type AbbrevTable, type Abbrev } from "./abbrev.js";
import { DW_AT, DW_FORM, DW_UT } from "./constants.js";
import { DwarfError } from "./errors.js";
import { ByteReader, stringAt } from "./reader.js";
import { addrAt, requireSection, strOffsetAt, type DwarfSections } from "./sections.js";

export type AttrValue =
  | { kind: "const"; value: number; size?: number }
  | { kind: "addr"; value: number }
  | { kind: "addrx"; index: number }
  | { kind: "str"; value: string }
  | { kind: "strx"; index: number }
  | { kind: "ref"; offset: number } // absolute offset into .debug_info
  | { kind: "block"; bytes: Uint8Array }
  | { kind: "flag"; value: boolean }
  | { kind: "secoff"; value: number }
  | { kind: "loclistx"; index: number }
  | { kind: "rnglistx"; index: number }
  | { kind: "unsupported"; form: number };

export interface UnitHeader {
  offset: number;
  /** Offset one past the unit's last byte. */
  end: number;
  version: number;
  unitType: number;
  addressSize: number;
  abbrevOffset: number;
  is64: boolean;
  /** Offset of the first (root) DIE. */
  dieOffset: number;
}

export class Die {
  readonly children: Die[] = [];
  parent: Die | undefined;
  constructor(
    readonly unit: Unit,
    readonly offset: number,
    readonly abbrev: Abbrev,
    readonly values: AttrValue[],
  ) {}

  get tag(): number {
    return this.abbrev.tag;
  }

  attr(name: number): AttrValue | undefined {
    const specs = this.abbrev.attrs;
    for (let i = 0; i < specs.length; i++) if (specs[i]!.name === name) return this.values[i];
    return undefined;
  }

  has(name: number): boolean {
    return this.abbrev.attrs.some((a) => a.name === name);
  }
}

export function readUnitHeaders(sections: DwarfSections): UnitHeader[] {
  const info = sections.info;
  if (!info) return [];
  const out: UnitHeader[] = [];
  const r = new ByteReader(info, ".debug_info");
  while (r.remaining > 0) {
    const offset = r.offset;
    const { length, is64 } = r.initialLength();
    const end = r.offset + length;
    if (end > info.length) {
      throw new DwarfError("truncated", `unit length 0x${length.toString(16)} runs past the end of the section`, ".debug_info", offset);
    }
    const version = r.u16();
    if (version < 2 || version > 5) {
      throw new DwarfError("unsupported-version", `DWARF version ${version} (expected 2-5)`, ".debug_info", offset);
    }
    let unitType: number = DW_UT.compile;
    let addressSize: number;
    let abbrevOffset: number;
    if (version >= 5) {
      unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = r.sectionOffset(is64);
      if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) r.skip(8);
      else if (unitType === DW_UT.type || unitType === DW_UT.split_type) r.skip(8 + (is64 ? 8 : 4));
      else if (unitType !== DW_UT.compile && unitType !== DW_UT.partial) {
        throw new DwarfError("unsupported-version", `unknown unit type ${unitType}`, ".debug_info", offset);
      }
    } else {
      abbrevOffset = r.sectionOffset(is64);
      addressSize = r.u8();
    }
    if (addressSize !== 4 && addressSize !== 8 && addressSize !== 2) {
      throw new DwarfError("corrupt", `address size ${addressSize}`, ".debug_info", offset);
    }
    if (r.offset > end) throw new DwarfError("truncated", "unit header is longer than the unit", ".debug_info", offset);
    out.push({ offset, end, version, unitType, addressSize, abbrevOffset, is64, dieOffset: r.offset });
    r.offset = end;
  }
  return out;
}

/** One compilation (or partial/type) unit; its DIEs are parsed on first use. */
export class Unit {
  private rootDie: Die | undefined;
  private byOffset: Map<number, Die> | undefined;

  constructor(
    readonly header: UnitHeader,
    readonly sections: DwarfSections,
    private readonly abbrevCache: Map<number, AbbrevTable>,
    /** Resolves a DW_FORM_ref_addr target in any unit. */
    readonly lookupGlobal: (offset: number) => Die | undefined,
  ) {}

  get version(): number {
    return this.header.version;
  }
  get addressSize(): number {
    return this.header.addressSize;
  }

  contains(offset: number): boolean {
    return offset >= this.header.dieOffset && offset < this.header.end;
  }

  /** The root DIE; reading it alone does not parse the rest of the unit. */
  get root(): Die {
    if (!this.rootDie) this.parse(true);
    return this.rootDie!;
  }

  /** The root DIE with all its descendants (parses the whole unit). */
  get tree(): Die {
    if (!this.byOffset) this.parse();
    return this.rootDie!;
  }

  /** Whether every DIE has been parsed. */
  get fullyParsed(): boolean {
    return this.byOffset !== undefined;
  }

  dieAt(offset: number): Die | undefined {
    if (!this.byOffset) this.parse();
    return this.byOffset!.get(offset);
  }

  private abbrevs(): AbbrevTable {
    const off = this.header.abbrevOffset;
    let t = this.abbrevCache.get(off);
    if (!t) {
      const abbrev = requireSection(this.sections.abbrev, ".debug_abbrev", ".debug_info refers to it");
      t = parseAbbrevTable(abbrev, off);
      this.abbrevCache.set(off, t);
    }
    return t;
  }

  private parse(rootOnly = false): void {
    const table = this.abbrevs();
    const r = new ByteReader(this.sections.info!, ".debug_info", this.header.dieOffset, this.header.end);
    const byOffset = new Map<number, Die>();
    const stack: Die[] = [];
    let root: Die | undefined;
    while (r.remaining > 0) {
      const offset = r.offset;
      const code = r.uleb();
      if (code === 0) {
        stack.pop();
        if (stack.length === 0) break;
        continue;
      }
      const abbrev = table.get(code);
      if (!abbrev) {
        throw new DwarfError("bad-abbrev", `DIE uses abbreviation code ${code}, which the unit's table does not define`, ".debug_info", offset);
      }
      const values = new Array<AttrValue>(abbrev.attrs.length);
      for (let i = 0; i < abbrev.attrs.length; i++) {
        const spec = abbrev.attrs[i]!;
        values[i] = this.readValue(r, spec.form, spec.implicitConst, 0);
      }
      const die = new Die(this, offset, abbrev, values);
      byOffset.set(offset, die);
      const parent = stack[stack.length - 1];
      if (parent) {
        die.parent = parent;
        parent.children.push(die);
      } else if (!root) {
        root = die;
      } else {
        break; // sibling of the root: stray bytes after the unit's tree
      }
      if (rootOnly) break;
      if (abbrev.hasChildren) stack.push(die);
      else if (stack.length === 0) break;
    }
    if (!root) throw new DwarfError("corrupt", "unit has no root DIE", ".debug_info", this.header.offset);
    this.rootDie = root;
    if (!rootOnly) this.byOffset = byOffset;
  }

  private readValue(r: ByteReader, form: number, implicitConst: number | undefined, depth: number): AttrValue {
    const h = this.header;
    switch (form) {
      case DW_FORM.addr:
        return { kind: "addr", value: r.address(h.addressSize) };
      case DW_FORM.data1:
        return { kind: "const", value: r.u8(), size: 1 };
      case DW_FORM.data2:
        return { kind: "const", value: r.u16(), size: 2 };
      case DW_FORM.data4:
        return { kind: "const", value: r.u32(), size: 4 };
      case DW_FORM.data8:
        return { kind: "const", value: r.u64(), size: 8 };
      case DW_FORM.data16:
        return { kind: "block", bytes: r.bytesOf(16) };
      case DW_FORM.sdata:
        return { kind: "const", value: r.sleb() };
      case DW_FORM.udata:
        return { kind: "const", value: r.uleb() };
      case DW_FORM.implicit_const:
        return { kind: "const", value: implicitConst ?? 0 };
      case DW_FORM.string:
        return { kind: "str", value: r.cstring() };
      case DW_FORM.strp:
        return { kind: "str", value: stringAt(this.sections.str, ".debug_str", r.sectionOffset(h.is64)) };
      case DW_FORM.line_strp:
        return { kind: "str", value: stringAt(this.sections.lineStr, ".debug_line_str", r.sectionOffset(h.is64)) };
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
        return { kind: "strx", index: r.uleb() };
      case DW_FORM.strx1:
        return { kind: "strx", index: r.u8() };
      case DW_FORM.strx2:
        return { kind: "strx", index: r.u16() };
      case DW_FORM.strx3:
        return { kind: "strx", index: r.u16() + r.u8() * 0x10000 };
      case DW_FORM.strx4:
        return { kind: "strx", index: r.u32() };
      case DW_FORM.addrx:
      case DW_FORM.GNU_addr_index:
        return { kind: "addrx", index: r.uleb() };
      case DW_FORM.addrx1:
        return { kind: "addrx", index: r.u8() };
      case DW_FORM.addrx2:
        return { kind: "addrx", index: r.u16() };
      case DW_FORM.addrx3:
        return { kind: "addrx", index: r.u16() + r.u8() * 0x10000 };
      case DW_FORM.addrx4:
        return { kind: "addrx", index: r.u32() };
      case DW_FORM.ref1:
        return { kind: "ref", offset: h.offset + r.u8() };
      case DW_FORM.ref2:
        return { kind: "ref", offset: h.offset + r.u16() };
      case DW_FORM.ref4:
        return { kind: "ref", offset: h.offset + r.u32() };
      case DW_FORM.ref8:
        return { kind: "ref", offset: h.offset + r.u64() };
      case DW_FORM.ref_udata:
        return { kind: "ref", offset: h.offset + r.uleb() };
      case DW_FORM.ref_addr:
        // DWARF 2 used an address-sized ref_addr; later versions use an offset.
        return { kind: "ref", offset: h.version <= 2 ? r.address(h.addressSize) : r.sectionOffset(h.is64) };
      case DW_FORM.ref_sig8:
        r.skip(8);
        return { kind: "unsupported", form };
      case DW_FORM.ref_sup4:
      case DW_FORM.strp_sup:
      case DW_FORM.GNU_ref_alt:
      case DW_FORM.GNU_strp_alt:
        r.sectionOffset(form === DW_FORM.ref_sup4 ? false : h.is64);
        return { kind: "unsupported", form };
      case DW_FORM.ref_sup8:
        r.skip(8);
        return { kind: "unsupported", form };
      case DW_FORM.sec_offset:
        return { kind: "secoff", value: r.sectionOffset(h.is64) };
      case DW_FORM.exprloc:
      case DW_FORM.block:
        return { kind: "block", bytes: r.bytesOf(r.uleb()) };
      case DW_FORM.block1:
        return { kind: "block", bytes: r.bytesOf(r.u8()) };
      case DW_FORM.block2:
        return { kind: "block", bytes: r.bytesOf(r.u16()) };
      case DW_FORM.block4:
        return { kind: "block", bytes: r.bytesOf(r.u32()) };
      case DW_FORM.flag:
        return { kind: "flag", value: r.u8() !== 0 };
      case DW_FORM.flag_present:
        return { kind: "flag", value: true };
      case DW_FORM.loclistx:
        return { kind: "loclistx", index: r.uleb() };
      case DW_FORM.rnglistx:
        return { kind: "rnglistx", index: r.uleb() };
      case DW_FORM.indirect: {
        if (depth > 4) throw new DwarfError("bad-form", "DW_FORM_indirect nested too deeply", ".debug_info", r.offset);
        return this.readValue(r, r.uleb(), implicitConst, depth + 1);
      }
      default:
        throw new DwarfError("bad-form", `unknown attribute form 0x${form.toString(16)}; cannot continue reading this unit`, ".debug_info", r.offset);
    }
  }

  // ---- attribute accessors that resolve indirection ----

  private rootNum(name: number): number | undefined {
    const v = this.root.attr(name);
    return v && (v.kind === "secoff" || v.kind === "const") ? v.value : undefined;
  }

  get strOffsetsBase(): number {
    return this.rootNum(DW_AT.str_offsets_base) ?? (this.header.is64 ? 16 : 8);
  }
  get addrBase(): number {
    return this.rootNum(DW_AT.addr_base) ?? this.rootNum(DW_AT.GNU_addr_base) ?? (this.header.is64 ? 16 : 8);
  }
  get rnglistsBase(): number | undefined {
    return this.rootNum(DW_AT.rnglists_base);
  }
  get loclistsBase(): number | undefined {
    return this.rootNum(DW_AT.loclists_base);
  }

  str(die: Die, name: number): string | undefined {
    const v = die.attr(name);
    if (!v) return undefined;
    if (v.kind === "str") return v.value;
    if (v.kind === "strx") {
      const off = strOffsetAt(this.sections, this.strOffsetsBase, v.index, this.header.is64);
      return stringAt(this.sections.str, ".debug_str", off);
    }
    return undefined;
  }

  address(index: number): number {
    return addrAt(this.sections, this.addrBase, index, this.header.addressSize);
  }

  addr(die: Die, name: number): number | undefined {
    const v = die.attr(name);
    if (!v) return undefined;
    if (v.kind === "addr") return v.value;
    if (v.kind === "addrx") return this.address(v.index);
    return undefined;
  }

  num(die: Die, name: number): number | undefined {
    const v = die.attr(name);
    if (!v) return undefined;
    if (v.kind === "const" || v.kind === "secoff") return v.value;
    if (v.kind === "flag") return v.value ? 1 : 0;
    return undefined;
  }

  /** Signed view of a constant attribute (data1..8 are stored unsigned; sdata is signed). */
  signedNum(die: Die, name: number): number | undefined {
    const v = die.attr(name);
    if (!v || v.kind !== "const") return this.num(die, name);
    switch (v.size) {
      case 1:
        return (v.value << 24) >> 24;
      case 2:
        return (v.value << 16) >> 16;
      case 4:
        return v.value | 0;
      default:
        return v.value;
    }
  }

  flag(die: Die, name: number): boolean {
    const v = die.attr(name);
    return !!v && v.kind === "flag" && v.value;
  }

  block(die: Die, name: number): Uint8Array | undefined {
    const v = die.attr(name);
    return v && v.kind === "block" ? v.bytes : undefined;
  }

  ref(die: Die, name: number): Die | undefined {
    const v = die.attr(name);
    if (!v || v.kind !== "ref") return undefined;
    return this.contains(v.offset) ? this.dieAt(v.offset) : this.lookupGlobal(v.offset);
  }
}
