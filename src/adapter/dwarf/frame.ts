// Call frame information: CIE/FDE parsing for .debug_frame (DWARF 5 section 6.4) and
// .eh_frame (LSB 5.0 "Exception Frames"), and execution of DW_CFA_* instructions to get the
// CFA rule and register rules in effect at a pc.
import { DW_CFA, DW_EH_PE } from "./constants.js";
import { DwarfError } from "./errors.js";
import { ByteReader } from "./reader.js";
import type { DwarfSections } from "./sections.js";

export type CfaRule = { kind: "reg-offset"; reg: number; offset: number } | { kind: "expr"; expr: Uint8Array };

export type RegisterRule =
  | { kind: "undefined" }
  | { kind: "same" }
  /** Saved at address CFA + offset. */
  | { kind: "offset"; offset: number }
  /** Value is CFA + offset. */
  | { kind: "val-offset"; offset: number }
  | { kind: "register"; reg: number }
  | { kind: "expr"; expr: Uint8Array }
  | { kind: "val-expr"; expr: Uint8Array };

export interface UnwindRow {
  /** Where this row starts applying (the FDE's pc after advances). */
  location: number;
  cfa: CfaRule;
  regs: Map<number, RegisterRule>;
  returnAddressRegister: number;
}

export interface Cie {
  offset: number;
  codeAlign: number;
  dataAlign: number;
  returnAddressRegister: number;
  initialInstructions: Uint8Array;
  fdeEncoding: number;
  addressSize: number;
  signalFrame: boolean;
}

export interface Fde {
  offset: number;
  cie: Cie;
  low: number;
  high: number;
  instructions: Uint8Array;
  source: ".debug_frame" | ".eh_frame";
}

export class CallFrameInfo {
  /** Sorted by low pc. */
  readonly fdes: Fde[];

  private constructor(fdes: Fde[]) {
    this.fdes = fdes.sort((a, b) => a.low - b.low);
  }

  /** Reads .debug_frame and .eh_frame (both if present; .debug_frame wins on overlap). */
  static parse(sections: DwarfSections, addressSize = 4): CallFrameInfo {
    const fdes: Fde[] = [];
    if (sections.frame) fdes.push(...parseSection(sections.frame, false, addressSize, 0));
    if (sections.ehFrame) {
      const covered = (pc: number) => fdes.some((f) => f.source === ".debug_frame" && pc >= f.low && pc < f.high);
      for (const f of parseSection(sections.ehFrame, true, addressSize, sections.ehFrameAddr ?? 0)) {
        if (!covered(f.low)) fdes.push(f);
      }
    }
    return new CallFrameInfo(fdes);
  }

  get empty(): boolean {
    return this.fdes.length === 0;
  }

  fdeFor(pc: number): Fde | undefined {
    let lo = 0;
    let hi = this.fdes.length - 1;
    let found: Fde | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = this.fdes[mid]!;
      if (f.low <= pc) {
        if (pc < f.high) found = f;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found) return found;
    // Overlapping FDEs (rare): fall back to a scan.
    return this.fdes.find((f) => pc >= f.low && pc < f.high);
  }

  /** The unwind rules in effect at `pc`, or undefined if no FDE covers it. */
  rowAt(pc: number): UnwindRow | undefined {
    const fde = this.fdeFor(pc);
    return fde ? executeCfa(fde, pc) : undefined;
  }
}

function parseSection(s: Uint8Array, isEh: boolean, addressSize: number, sectionAddr: number): Fde[] {
  const name = isEh ? ".eh_frame" : ".debug_frame";
  const cies = new Map<number, ParsedCie>();
  const fdes: Fde[] = [];
  const r = new ByteReader(s, name);
  while (r.remaining >= 4) {
    const offset = r.offset;
    const { length, is64 } = r.initialLength();
    if (length === 0) {
      if (isEh) break; // .eh_frame terminator
      continue;
    }
    const body = r.sub(length);
    const idPos = body.offset;
    const id = body.sectionOffset(is64);
    const isCie = isEh ? id === 0 : is64 ? id >= 0xffffffff_00000000 : id === 0xffffffff;
    if (isCie) {
      cies.set(offset, parseCie(body, offset, isEh, addressSize, name));
      continue;
    }
    const cieOffset = isEh ? idPos - id : id;
    let cie = cies.get(cieOffset);
    if (!cie) {
      // CIEs normally precede their FDEs; parse out of order if needed.
      const cr = new ByteReader(s, name, cieOffset);
      const h = cr.initialLength();
      const cb = cr.sub(h.length);
      cb.sectionOffset(h.is64);
      cie = parseCie(cb, cieOffset, isEh, addressSize, name);
      cies.set(cieOffset, cie);
    }
    const enc = isEh ? cie.fdeEncoding : DW_EH_PE.absptr;
    const low = readEncoded(body, enc, cie.addressSize, sectionAddr, name);
    const range = readEncoded(body, enc & 0x0f, cie.addressSize, sectionAddr, name);
    if (isEh && cie.hasAugmentationData) body.skip(body.uleb());
    fdes.push({ offset, cie, low, high: low + range, instructions: body.bytesOf(body.remaining), source: isEh ? ".eh_frame" : ".debug_frame" });
  }
  return fdes.filter((f) => f.high > f.low);
}

interface ParsedCie extends Cie {
  hasAugmentationData: boolean;
}

function parseCie(r: ByteReader, offset: number, isEh: boolean, defaultAddressSize: number, name: string): ParsedCie {
  const version = r.u8();
  if (version !== 1 && version !== 3 && version !== 4) {
    throw new DwarfError("bad-cfi", `CIE version ${version}`, name, offset);
  }
  const augmentation = r.cstring();
  let addressSize = defaultAddressSize;
  if (version === 4) {
    addressSize = r.u8();
    r.u8(); // segment_selector_size
  }
  if (augmentation.includes("eh")) r.address(addressSize); // old GCC eh_ptr
  const codeAlign = r.uleb();
  const dataAlign = r.sleb();
  const returnAddressRegister = version === 1 ? r.u8() : r.uleb();
  let fdeEncoding: number = DW_EH_PE.absptr;
  let signalFrame = false;
  const hasAugmentationData = augmentation.startsWith("z");
  if (hasAugmentationData) {
    const aug = r.sub(r.uleb());
    for (const c of augmentation.slice(1)) {
      if (c === "R") fdeEncoding = aug.u8();
      else if (c === "L") aug.u8();
      else if (c === "P") readEncoded(aug, aug.u8() & 0x7f, addressSize, 0, name);
      else if (c === "S") signalFrame = true;
      else break; // unknown augmentation: the rest of the data is opaque but length-delimited
    }
  } else if (augmentation !== "" && !augmentation.includes("eh")) {
    throw new DwarfError("bad-cfi", `unknown CIE augmentation "${augmentation}"`, name, offset);
  }
  return {
    offset,
    codeAlign,
    dataAlign,
    returnAddressRegister,
    initialInstructions: r.bytesOf(r.remaining),
    fdeEncoding,
    addressSize,
    signalFrame,
    hasAugmentationData,
  };
}

function readEncoded(r: ByteReader, enc: number, addressSize: number, sectionAddr: number, name: string): number {
  if (enc === DW_EH_PE.omit) return 0;
  const pos = r.offset;
  let v: number;
  switch (enc & 0x0f) {
    case DW_EH_PE.absptr:
      v = r.address(addressSize);
      break;
    case DW_EH_PE.uleb128:
      v = r.uleb();
      break;
    case DW_EH_PE.udata2:
      v = r.u16();
      break;
    case DW_EH_PE.udata4:
      v = r.u32();
      break;
    case DW_EH_PE.udata8:
      v = r.u64();
      break;
    case DW_EH_PE.sleb128:
      v = r.sleb();
      break;
    case DW_EH_PE.sdata2:
      v = r.i16();
      break;
    case DW_EH_PE.sdata4:
      v = r.i32();
      break;
    case DW_EH_PE.sdata8:
      v = r.i64();
      break;
    default:
      throw new DwarfError("bad-cfi", `unknown pointer encoding 0x${enc.toString(16)}`, name, pos);
  }
  switch (enc & 0x70) {
    case 0:
      break;
    case DW_EH_PE.pcrel:
      v += sectionAddr + pos; // pos is the field's offset within the section
      break;
    default:
      throw new DwarfError("bad-cfi", `unsupported pointer application 0x${(enc & 0x70).toString(16)}`, name, pos);
  }
  return addressSize === 4 ? v >>> 0 : v;
}

/** Runs the CIE's initial instructions, then the FDE's up to `pc`. */
export function executeCfa(fde: Fde, pc: number): UnwindRow {
  const cie = fde.cie;
  const row: UnwindRow = {
    location: fde.low,
    cfa: { kind: "reg-offset", reg: 4, offset: 4 },
    regs: new Map(),
    returnAddressRegister: cie.returnAddressRegister,
  };
  run(cie.initialInstructions, row, fde, Infinity, undefined);
  const initial = new Map(row.regs);
  run(fde.instructions, row, fde, pc, initial);
  return row;
}

function run(code: Uint8Array, row: UnwindRow, fde: Fde, pc: number, initial: Map<number, RegisterRule> | undefined): void {
  const cie = fde.cie;
  const r = new ByteReader(code, fde.source);
  const stack: { cfa: CfaRule; regs: Map<number, RegisterRule> }[] = [];
  const advance = (delta: number): boolean => {
    const next = row.location + delta * cie.codeAlign;
    if (next > pc) return false;
    row.location = next;
    return true;
  };
  const restore = (reg: number) => {
    const rule = initial?.get(reg);
    if (rule) row.regs.set(reg, rule);
    else row.regs.delete(reg);
  };
  const setCfaReg = (reg: number, offset?: number) => {
    const old = row.cfa.kind === "reg-offset" ? row.cfa.offset : 0;
    row.cfa = { kind: "reg-offset", reg, offset: offset ?? old };
  };
  while (r.remaining > 0) {
    const op = r.u8();
    const high = op & 0xc0;
    const low = op & 0x3f;
    if (high === DW_CFA.advance_loc) {
      if (!advance(low)) return;
      continue;
    }
    if (high === DW_CFA.offset) {
      row.regs.set(low, { kind: "offset", offset: r.uleb() * cie.dataAlign });
      continue;
    }
    if (high === DW_CFA.restore) {
      restore(low);
      continue;
    }
    switch (op) {
      case DW_CFA.nop:
        break;
      case DW_CFA.set_loc: {
        const loc = r.address(cie.addressSize);
        if (loc > pc) return;
        row.location = loc;
        break;
      }
      case DW_CFA.advance_loc1:
        if (!advance(r.u8())) return;
        break;
      case DW_CFA.advance_loc2:
        if (!advance(r.u16())) return;
        break;
      case DW_CFA.advance_loc4:
        if (!advance(r.u32())) return;
        break;
      case DW_CFA.offset_extended: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "offset", offset: r.uleb() * cie.dataAlign });
        break;
      }
      case DW_CFA.restore_extended:
        restore(r.uleb());
        break;
      case DW_CFA.undefined:
        row.regs.set(r.uleb(), { kind: "undefined" });
        break;
      case DW_CFA.same_value:
        row.regs.set(r.uleb(), { kind: "same" });
        break;
      case DW_CFA.register: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "register", reg: r.uleb() });
        break;
      }
      case DW_CFA.remember_state:
        stack.push({ cfa: row.cfa, regs: new Map(row.regs) });
        break;
      case DW_CFA.restore_state: {
        const s = stack.pop();
        if (!s) throw new DwarfError("bad-cfi", "DW_CFA_restore_state without remember_state", fde.source, fde.offset);
        row.cfa = s.cfa;
        row.regs = s.regs;
        break;
      }
      case DW_CFA.def_cfa: {
        const reg = r.uleb();
        setCfaReg(reg, r.uleb());
        break;
      }
      case DW_CFA.def_cfa_sf: {
        const reg = r.uleb();
        setCfaReg(reg, r.sleb() * cie.dataAlign);
        break;
      }
      case DW_CFA.def_cfa_register:
        setCfaReg(r.uleb());
        break;
      case DW_CFA.def_cfa_offset:
        if (row.cfa.kind === "reg-offset") row.cfa = { ...row.cfa, offset: r.uleb() };
        else r.uleb();
        break;
      case DW_CFA.def_cfa_offset_sf:
        if (row.cfa.kind === "reg-offset") row.cfa = { ...row.cfa, offset: r.sleb() * cie.dataAlign };
        else r.sleb();
        break;
      case DW_CFA.def_cfa_expression:
        row.cfa = { kind: "expr", expr: r.bytesOf(r.uleb()) };
        break;
      case DW_CFA.expression: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "expr", expr: r.bytesOf(r.uleb()) });
        break;
      }
      case DW_CFA.val_expression: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "val-expr", expr: r.bytesOf(r.uleb()) });
        break;
      }
      case DW_CFA.offset_extended_sf: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "offset", offset: r.sleb() * cie.dataAlign });
        break;
      }
      case DW_CFA.val_offset: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "val-offset", offset: r.uleb() * cie.dataAlign });
        break;
      }
      case DW_CFA.val_offset_sf: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "val-offset", offset: r.sleb() * cie.dataAlign });
        break;
      }
      case DW_CFA.GNU_args_size:
        r.uleb();
        break;
      case DW_CFA.GNU_negative_offset_extended: {
        const reg = r.uleb();
        row.regs.set(reg, { kind: "offset", offset: -r.uleb() * cie.dataAlign });
        break;
      }
      case DW_CFA.GNU_window_save:
        break;
      default:
        throw new DwarfError("bad-cfi", `unknown call frame instruction 0x${op.toString(16)}`, fde.source, fde.offset);
    }
  }
}
