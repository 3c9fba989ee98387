// DebugInfo: what the debug adapter asks of a kernel's ELF/DWARF. Source lines, functions,
// scopes and variables, globals, types, variable locations and stack unwinding, with each
// compilation unit parsed only when a query needs it.
import { ElfFile, ElfError } from "../../vmm/elf.js";
import { I386 } from "./constants.js";
import { DwarfError } from "./errors.js";
import { evaluateLocation, evaluateValue, type Location, type MemoryReader } from "./expr.js";
import { CallFrameInfo } from "./frame.js";
import { readUnitHeaders, Unit } from "./info.js";
import { LineIndex, type LineRange, type SourceLocation } from "./line-index.js";
import { expressionAt } from "./locations.js";
import { scopeChain, UnitModelBuilder, type FunctionInfo, type GlobalVariable, type InlinedCall, type Scope, type UnitModel, type Variable } from "./program.js";
import { dieRanges, rangesContain, type PcRange } from "./ranges.js";
import type { DwarfSections } from "./sections.js";
import { TypeTable } from "./types.js";
import { cfaFromRow, unwindStack, type Frame, type RegisterValues, type UnwindOptions } from "./unwind.js";
import type { AbbrevTable } from "./abbrev.js";

export interface LoadOptions {
  /** Parse every unit, line table and CFI now (validates everything; slower load). */
  eager?: boolean;
}

export interface BreakpointResolution {
  /** The file as the line table names it (may differ from the requested spelling). */
  file: string;
  requestedLine: number;
  /** The line actually used: the first line at or after the request that has code. */
  line: number;
  /** One address per function or inlined copy that has code for `line`. */
  addresses: number[];
}

export interface BreakpointLocation {
  line: number;
  column: number;
}

export interface InlineFrame {
  /** Function name shown in the call stack. */
  name: string;
  function: FunctionInfo;
  /** Set for frames that exist only because code was inlined. */
  inlined: InlinedCall | undefined;
  /** Source position in this frame: the pc's line for the innermost, the call site for outer ones. */
  file: string | undefined;
  line: number | undefined;
  column: number | undefined;
  /** Scopes of this frame that contain the pc, innermost first. */
  scopes: Scope[];
}

/** Registers and CFA of one frame, as returned by unwind(). */
export interface FrameState {
  /** pc for lookups (Frame.lookupPc for caller frames). */
  pc: number;
  regs: RegisterValues;
  cfa?: number;
}

export class DebugInfo {
  readonly warnings: string[] = [];
  readonly units: Unit[];
  private readonly models = new Map<Unit, UnitModel>();
  private readonly builders = new Map<Unit, UnitModelBuilder>();
  private readonly types = new TypeTable();
  private unitRanges: (PcRange[] | undefined)[];
  private lineIndex: LineIndex | undefined;
  private cfiCache: CallFrameInfo | undefined;
  private allFunctions: FunctionInfo[] | undefined;
  private allGlobals: GlobalVariable[] | undefined;

  private constructor(
    readonly elf: ElfFile,
    readonly sections: DwarfSections,
  ) {
    const abbrevCache = new Map<number, AbbrevTable>();
    this.units = readUnitHeaders(sections).map((h) => new Unit(h, sections, abbrevCache, (off) => this.dieAtOffset(off)));
    this.unitRanges = this.units.map(() => undefined);
    if (!sections.info) this.warnings.push("no .debug_info: the ELF is stripped or built without -g; rebuild with -g to debug at source level");
    else if (!sections.abbrev) throw new DwarfError("missing-section", ".debug_abbrev is missing but .debug_info needs it; rebuild the ELF with -g");
    if (!sections.line) this.warnings.push("no .debug_line: no source line information; breakpoints by line are unavailable");
    if (!sections.frame && !sections.ehFrame) this.warnings.push("no .debug_frame or .eh_frame: unwinding falls back to the EBP chain");
  }

  /** Reads an ELF image (bytes or an already parsed ElfFile). Throws ElfError or DwarfError. */
  static load(elf: Uint8Array | ElfFile, options: LoadOptions = {}): DebugInfo {
    const file = elf instanceof ElfFile ? elf : ElfFile.parse(elf);
    const eh = file.section(".eh_frame");
    const sections: DwarfSections = {
      info: file.sectionData(".debug_info"),
      abbrev: file.sectionData(".debug_abbrev"),
      str: file.sectionData(".debug_str"),
      lineStr: file.sectionData(".debug_line_str"),
      strOffsets: file.sectionData(".debug_str_offsets"),
      addr: file.sectionData(".debug_addr"),
      rnglists: file.sectionData(".debug_rnglists"),
      ranges: file.sectionData(".debug_ranges"),
      loclists: file.sectionData(".debug_loclists"),
      loc: file.sectionData(".debug_loc"),
      line: file.sectionData(".debug_line"),
      frame: file.sectionData(".debug_frame"),
      ehFrame: file.sectionData(".eh_frame"),
      ehFrameAddr: eh?.addr,
    };
    const di = new DebugInfo(file, sections);
    if (options.eager) {
      di.functions();
      di.globals();
      di.lines();
      di.cfi();
    }
    return di;
  }

  get hasDebugInfo(): boolean {
    return this.units.length > 0;
  }
  get hasLineInfo(): boolean {
    return !!this.sections.line && this.lines().rowCount > 0;
  }
  get hasCallFrameInfo(): boolean {
    return !this.cfi().empty;
  }

  // ---------------------------------------------------------------- units

  private dieAtOffset(offset: number) {
    const u = this.units.find((x) => x.contains(offset));
    return u?.dieAt(offset);
  }

  private builder(u: Unit): UnitModelBuilder {
    let b = this.builders.get(u);
    if (!b) this.builders.set(u, (b = new UnitModelBuilder(u, this.types)));
    return b;
  }

  private model(u: Unit): UnitModel {
    let m = this.models.get(u);
    if (!m) this.models.set(u, (m = this.builder(u).build()));
    return m;
  }

  private rangesOf(i: number): PcRange[] {
    let r = this.unitRanges[i];
    if (!r) this.unitRanges[i] = r = dieRanges(this.units[i]!, this.units[i]!.root);
    return r;
  }

  /** Units whose pc ranges contain addr (all units without ranges are candidates too). */
  private unitsAt(addr: number): Unit[] {
    return this.units.filter((u, i) => {
      const r = this.rangesOf(i);
      return r.length === 0 || rangesContain(r, addr);
    });
  }

  // ---------------------------------------------------------------- lines

  private lines(): LineIndex {
    if (!this.lineIndex) {
      const programs = this.units.map((u) => this.builder(u).lines()).filter((p) => p !== undefined);
      this.lineIndex = new LineIndex(programs);
    }
    return this.lineIndex;
  }

  /** Every unit's line rows, grouped into sequences (for tools and cross-checks). */
  lineTable(): LineIndex {
    return this.lines();
  }

  /** Absolute paths of every source file that has line rows. */
  sourceFiles(): string[] {
    return this.lines().files;
  }

  addressToLine(addr: number): SourceLocation | undefined {
    const e = this.lines().entryAt(addr);
    return e && { file: e.file, line: e.line, column: e.column, address: e.address };
  }

  lineRangeAt(addr: number): LineRange | undefined {
    return this.lines().lineRangeAt(addr);
  }

  /**
   * Addresses for a breakpoint at file:line. Snaps to the nearest following line of the same
   * file that has a statement row; `line` in the result is the line actually used.
   */
  lineToAddresses(file: string, line: number): BreakpointResolution | undefined {
    const found = this.lines().entriesForFile(file);
    if (!found) return undefined;
    let best: number | undefined;
    for (const e of found.entries) if (e.isStmt && e.line >= line && (best === undefined || e.line < best)) best = e.line;
    if (best === undefined) return undefined;
    // One address per function/inlined copy: the lowest statement row of that line in it.
    const perScope = new Map<string, number>();
    for (const e of found.entries) {
      if (!e.isStmt || e.line !== best) continue;
      const key = this.codeOwnerKey(e.address, e.sequence);
      const prev = perScope.get(key);
      if (prev === undefined || e.address < prev) perScope.set(key, e.address);
    }
    return { file: found.file, requestedLine: line, line: best, addresses: [...new Set(perScope.values())].sort((a, b) => a - b) };
  }

  private codeOwnerKey(addr: number, sequence: number): string {
    const fn = this.functionAt(addr);
    if (!fn) return `seq${sequence}`;
    const chain = scopeChain(fn, addr);
    const inl = [...chain].reverse().find((s) => s.kind === "inlined");
    return `${fn.dieOffset}:${inl?.dieOffset ?? ""}`;
  }

  /** Lines in [startLine, endLine] of `file` where a breakpoint can be placed. */
  breakpointLocations(file: string, startLine: number, endLine = startLine): BreakpointLocation[] {
    const found = this.lines().entriesForFile(file);
    if (!found) return [];
    const byLine = new Map<number, number>();
    for (const e of found.entries) {
      if (!e.isStmt || e.line < startLine || e.line > endLine) continue;
      const col = byLine.get(e.line);
      if (col === undefined || (e.column > 0 && (col === 0 || e.column < col))) byLine.set(e.line, e.column);
    }
    return [...byLine.entries()].sort((a, b) => a[0] - b[0]).map(([line, column]) => ({ line, column }));
  }

  // ---------------------------------------------------------------- functions and scopes

  functions(): FunctionInfo[] {
    if (!this.allFunctions) this.allFunctions = this.units.flatMap((u) => this.model(u).functions).sort((a, b) => a.lowPc - b.lowPc);
    return this.allFunctions;
  }

  functionAt(addr: number): FunctionInfo | undefined {
    const candidates = this.allFunctions ? [this.allFunctions] : this.unitsAt(addr).map((u) => this.model(u).functions);
    for (const list of candidates) for (const f of list) if (rangesContain(f.ranges, addr)) return f;
    return undefined;
  }

  functionByName(name: string): FunctionInfo | undefined {
    const all = this.functions();
    return all.find((f) => f.name === name && f.external) ?? all.find((f) => f.name === name || f.linkageName === name);
  }

  /**
   * The frames at `addr` created by inlining, innermost first; the last is the real function.
   * A stack view shows each as its own frame.
   */
  inlineFramesAt(addr: number): InlineFrame[] {
    const fn = this.functionAt(addr);
    if (!fn) return [];
    const chain = scopeChain(fn, addr);
    const here = this.addressToLine(addr);
    const frames: InlineFrame[] = [];
    let pos: { file: string | undefined; line: number | undefined; column: number | undefined } = {
      file: here?.file,
      line: here?.line,
      column: here?.column,
    };
    let scopes: Scope[] = [];
    for (let i = chain.length - 1; i >= 0; i--) {
      const s = chain[i]!;
      scopes.push(s);
      if (s.kind === "inlined" || s.kind === "function") {
        const inl = s.kind === "inlined" ? (s as InlinedCall) : undefined;
        frames.push({ name: inl ? inl.name : fn.name, function: fn, inlined: inl, ...pos, scopes });
        scopes = [];
        if (inl) pos = { file: inl.callFile, line: inl.callLine, column: inl.callColumn };
      }
    }
    return frames;
  }

  /** Variables visible at `addr` in the innermost (possibly inlined) frame, innermost scope first. */
  scopeAt(addr: number): Variable[] {
    const frame = this.inlineFramesAt(addr)[0];
    if (!frame) return [];
    const seen = new Set<string>();
    const out: Variable[] = [];
    for (const s of frame.scopes) {
      for (const v of s.variables) {
        if (seen.has(v.name)) continue; // shadowed by an inner declaration
        seen.add(v.name);
        out.push(v);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- globals

  /** Global and file-static variables, and static locals (functionName set). */
  globals(): GlobalVariable[] {
    if (!this.allGlobals) this.allGlobals = this.units.flatMap((u) => this.model(u).globals);
    return this.allGlobals;
  }

  globalByName(name: string, functionName?: string): GlobalVariable | undefined {
    const all = this.globals();
    return all.find((g) => g.name === name && g.functionName === functionName) ?? all.find((g) => g.name === name);
  }

  // ---------------------------------------------------------------- locations and unwinding

  private cfi(): CallFrameInfo {
    if (!this.cfiCache) this.cfiCache = CallFrameInfo.parse(this.sections, 4);
    return this.cfiCache;
  }

  /** CFA of the frame whose registers are `regs` at `pc`, from CFI or the EBP convention. */
  cfaAt(pc: number, regs: RegisterValues, readMemory: MemoryReader): number | undefined {
    const row = this.cfi().rowAt(pc);
    if (row) return cfaFromRow(row, regs, readMemory);
    const ebp = regs[I386.ebp];
    return ebp === undefined ? undefined : (ebp + 8) >>> 0;
  }

  /** Value of the function's DW_AT_frame_base in the given frame. */
  frameBase(fn: FunctionInfo, frame: FrameState, readMemory: MemoryReader): number | undefined {
    const expr = expressionAt(fn.frameBase, frame.pc);
    if (!expr) return undefined;
    return evaluateValue(expr, {
      readRegister: (r) => frame.regs[r],
      readMemory,
      cfa: () => frame.cfa ?? this.cfaAt(frame.pc, frame.regs, readMemory),
    });
  }

  /** Where a variable lives in a frame: memory, register, a computed value, or optimized out. */
  locate(variable: Variable, frame: FrameState, readMemory: MemoryReader): Location {
    const loc = variable.location;
    if (loc.kind === "const") {
      if (typeof loc.value === "number") return { kind: "value", value: loc.value >>> 0 };
      return { kind: "implicit", bytes: loc.value };
    }
    const expr = expressionAt(loc, frame.pc);
    if (!expr) return { kind: "optimized-out" };
    const fn = this.functionAt(frame.pc);
    return evaluateLocation(expr, {
      readRegister: (r) => frame.regs[r],
      readMemory,
      frameBase: () => (fn ? this.frameBase(fn, frame, readMemory) : undefined),
      cfa: () => frame.cfa ?? this.cfaAt(frame.pc, frame.regs, readMemory),
    });
  }

  /**
   * Walks the stack from the current registers (indexed by DWARF number; eip is 8). Uses CFI
   * where an FDE covers the pc, else the EBP chain; stops at a zero or non-code return address.
   */
  unwind(regs: RegisterValues, readMemory: MemoryReader, options: UnwindOptions = {}): Frame[] {
    const isCode = options.isCode ?? ((pc: number) => this.isExecutable(pc));
    return unwindStack(this.cfi(), regs, readMemory, { ...options, isCode });
  }

  /** Whether pc lies in an executable PT_LOAD segment (or a SHF_EXECINSTR section). */
  isExecutable(pc: number): boolean {
    const segs = this.elf.loadSegments;
    if (segs.length) return segs.some((p) => (p.flags & 1) !== 0 && pc >= p.vaddr && pc < p.vaddr + p.memsz);
    return this.elf.sections.some((s) => (s.flags & 4) !== 0 && pc >= s.addr && pc < s.addr + s.size);
  }
}

export { DwarfError, ElfError };
