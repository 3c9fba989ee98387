// .debug_line: line number program headers (v2-v5) and the state machine that turns them
// into rows (DWARF 5 section 6.2). File indexes are resolved to absolute paths here.
import { DW_FORM, DW_LNCT, DW_LNE, DW_LNS } from "./constants.js";
import { DwarfError } from "./errors.js";
import { ByteReader, stringAt } from "./reader.js";
import type { DwarfSections } from "./sections.js";

export interface LineRow {
  address: number;
  /** Index into LineProgram.files. */
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
}

export interface LineProgram {
  offset: number;
  version: number;
  /** Absolute paths, indexed by the program's file numbers (1-based before v5, 0-based in v5). */
  files: (string | undefined)[];
  rows: LineRow[];
}

/** Joins and normalizes POSIX paths without touching the file system. */
export function joinPath(dir: string | undefined, name: string): string {
  const full = name.startsWith("/") || !dir ? name : `${dir}/${name}`;
  const parts: string[] = [];
  for (const p of full.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(p);
  }
  return (full.startsWith("/") ? "/" : "") + parts.join("/");
}

interface EntryFormat {
  type: number;
  form: number;
}

function readEntryValue(r: ByteReader, form: number, is64: boolean, sections: DwarfSections): string | number | undefined {
  switch (form) {
    case DW_FORM.string:
      return r.cstring();
    case DW_FORM.line_strp:
      return stringAt(sections.lineStr, ".debug_line_str", r.sectionOffset(is64));
    case DW_FORM.strp:
      return stringAt(sections.str, ".debug_str", r.sectionOffset(is64));
    case DW_FORM.udata:
      return r.uleb();
    case DW_FORM.data1:
      return r.u8();
    case DW_FORM.data2:
      return r.u16();
    case DW_FORM.data4:
      return r.u32();
    case DW_FORM.data8:
      return r.u64();
    case DW_FORM.data16:
      r.skip(16);
      return undefined;
    case DW_FORM.block:
      r.skip(r.uleb());
      return undefined;
    default:
      throw new DwarfError("bad-line-program", `unsupported form 0x${form.toString(16)} in a v5 file/directory table`, ".debug_line", r.offset);
  }
}

function readEntries(r: ByteReader, is64: boolean, sections: DwarfSections): { path: string; dir: number }[] {
  const formatCount = r.u8();
  const formats: EntryFormat[] = [];
  for (let i = 0; i < formatCount; i++) formats.push({ type: r.uleb(), form: r.uleb() });
  const count = r.uleb();
  const out: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    let path = "";
    let dir = 0;
    for (const f of formats) {
      const v = readEntryValue(r, f.form, is64, sections);
      if (f.type === DW_LNCT.path && typeof v === "string") path = v;
      else if (f.type === DW_LNCT.directory_index && typeof v === "number") dir = v;
    }
    out.push({ path, dir });
  }
  return out;
}

/**
 * Parses the line program at `offset`. `compDir` is the unit's DW_AT_comp_dir, used for
 * relative directories (and as directory 0 before v5).
 */
export function parseLineProgram(sections: DwarfSections, offset: number, compDir: string | undefined): LineProgram {
  const section = sections.line;
  if (!section) throw new DwarfError("missing-section", ".debug_line is missing but DW_AT_stmt_list refers to it");
  const r0 = new ByteReader(section, ".debug_line", offset);
  const { length, is64 } = r0.initialLength();
  const r = r0.sub(length);
  const version = r.u16();
  if (version < 2 || version > 5) {
    throw new DwarfError("unsupported-version", `line table version ${version}`, ".debug_line", offset);
  }
  let addressSize = 4;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment_selector_size
  }
  const headerLength = r.sectionOffset(is64);
  const programStart = r.offset + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction: 1 on x86 (no VLIW)
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) throw new DwarfError("bad-line-program", "line_range is 0", ".debug_line", offset);
  const opLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) opLengths.push(r.u8());

  const files: (string | undefined)[] = [];
  if (version >= 5) {
    const dirs = readEntries(r, is64, sections).map((d) => joinPath(compDir, d.path));
    for (const f of readEntries(r, is64, sections)) files.push(joinPath(dirs[f.dir] ?? compDir, f.path));
  } else {
    const dirs: string[] = [compDir ?? ""];
    for (;;) {
      const d = r.cstring();
      if (!d) break;
      dirs.push(joinPath(compDir, d));
    }
    files.push(undefined); // file numbers start at 1
    for (;;) {
      const name = r.cstring();
      if (!name) break;
      const dir = r.uleb();
      r.uleb(); // mtime
      r.uleb(); // length
      files.push(joinPath(dirs[dir] ?? compDir, name));
    }
  }

  r.offset = programStart;
  const rows: LineRow[] = [];
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = defaultIsStmt;
  let prologueEnd = false;
  const reset = () => {
    address = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = defaultIsStmt;
    prologueEnd = false;
  };
  const emit = (endSequence: boolean) => {
    rows.push({ address, file, line, column, isStmt, endSequence, prologueEnd });
    prologueEnd = false;
  };
  while (r.remaining > 0) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      address += Math.floor(adj / lineRange) * minInstLength;
      line += lineBase + (adj % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        if (len === 0) break;
        const ext = r.sub(len);
        const sub = ext.u8();
        if (sub === DW_LNE.end_sequence) {
          emit(true);
          reset();
        } else if (sub === DW_LNE.set_address) {
          address = ext.address(Math.min(ext.remaining, 8) || addressSize);
        } else if (sub === DW_LNE.define_file) {
          const name = ext.cstring();
          files.push(joinPath(compDir, name));
        }
        // set_discriminator and vendor extensions: length-delimited, safe to skip
        break;
      }
      case DW_LNS.copy:
        emit(false);
        break;
      case DW_LNS.advance_pc:
        address += r.uleb() * minInstLength;
        break;
      case DW_LNS.advance_line:
        line += r.sleb();
        break;
      case DW_LNS.set_file:
        file = r.uleb();
        break;
      case DW_LNS.set_column:
        column = r.uleb();
        break;
      case DW_LNS.negate_stmt:
        isStmt = !isStmt;
        break;
      case DW_LNS.set_basic_block:
        break;
      case DW_LNS.const_add_pc:
        address += Math.floor((255 - opcodeBase) / lineRange) * minInstLength;
        break;
      case DW_LNS.fixed_advance_pc:
        address += r.u16();
        break;
      case DW_LNS.set_prologue_end:
        prologueEnd = true;
        break;
      case DW_LNS.set_epilogue_begin:
        break;
      case DW_LNS.set_isa:
        r.uleb();
        break;
      default:
        // Unknown standard opcode: the header says how many ULEB operands to skip.
        for (let i = 0; i < (opLengths[op] ?? 0); i++) r.uleb();
    }
  }
  return { offset, version, files, rows };
}
