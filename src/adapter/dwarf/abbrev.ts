// .debug_abbrev: abbreviation tables (DWARF 5 section 7.5.3), parsed once per table offset.
import { DwarfError } from "./errors.js";
import { DW_FORM } from "./constants.js";
import { ByteReader } from "./reader.js";

export interface AttributeSpec {
  name: number;
  form: number;
  /** Value carried in the abbreviation itself for DW_FORM_implicit_const. */
  implicitConst?: number;
}

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  attrs: AttributeSpec[];
}

export type AbbrevTable = Map<number, Abbrev>;

export function parseAbbrevTable(section: Uint8Array, offset: number): AbbrevTable {
  if (offset >= section.length) {
    throw new DwarfError("bad-abbrev", `abbreviation table offset 0x${offset.toString(16)} is past the end`, ".debug_abbrev");
  }
  const r = new ByteReader(section, ".debug_abbrev", offset);
  const table: AbbrevTable = new Map();
  for (;;) {
    const code = r.uleb();
    if (code === 0) return table;
    const tag = r.uleb();
    const children = r.u8();
    if (children > 1) throw new DwarfError("bad-abbrev", `abbrev ${code} has children flag ${children}`, ".debug_abbrev", r.offset - 1);
    const attrs: AttributeSpec[] = [];
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      const spec: AttributeSpec = { name, form };
      if (form === DW_FORM.implicit_const) spec.implicitConst = r.sleb();
      attrs.push(spec);
    }
    table.set(code, { code, tag, hasChildren: children === 1, attrs });
  }
}
