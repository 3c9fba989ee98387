// Names in the guest program that DWARF queries by address do not answer directly: which
// symbol covers an address ("udp_input+0x12"), where `break NAME` stops (past the prologue),
// and which type a C spelling in a cast names.
import type { DebugInfo, DwarfType, FunctionInfo, Scope } from "./dwarf";

export class ProgramIndex {
  private typesByName: Map<string, DwarfType> | undefined;
  private readonly symbols: { start: number; end: number; name: string }[];

  constructor(private readonly di: DebugInfo) {
    const syms = di.elf.symbols.filter((s) => (s.type === "func" || s.type === "object" || s.type === "notype") && s.name && s.section !== undefined && s.value !== 0);
    // Sized symbols first, so a label inside a function does not hide the function.
    this.symbols = syms.map((s) => ({ start: s.value >>> 0, end: (s.value + Math.max(s.size, 0)) >>> 0, name: s.name })).sort((a, b) => a.start - b.start || b.end - a.end);
  }

  /** "name" or "name+0x1c" for the symbol covering `address`; a sizeless label covers up to the next symbol. */
  symbolize(address: number): string | undefined {
    const a = address >>> 0;
    let lo = 0;
    let hi = this.symbols.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.symbols[mid]!.start <= a) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = idx; i >= 0 && i > idx - 16; i--) {
      const s = this.symbols[i]!;
      const sizeless = s.end === s.start;
      let next = i + 1;
      while (next < this.symbols.length && this.symbols[next]!.start === s.start) next++;
      const nextStart = this.symbols[next]?.start ?? Infinity;
      if ((sizeless && a < nextStart && a - s.start < 0x10000) || a < s.end) {
        return a === s.start ? s.name : `${s.name}+0x${(a - s.start).toString(16)}`;
      }
    }
    return undefined;
  }

  /** Start address of the symbol covering `address` (for decoding forward from a known boundary). */
  symbolStart(address: number): number | undefined {
    const name = this.symbolize(address);
    if (!name) return undefined;
    const plus = name.lastIndexOf("+0x");
    return plus < 0 ? address >>> 0 : (address - parseInt(name.slice(plus + 3), 16)) >>> 0;
  }

  /**
   * Where `break NAME` stops, as gdb's: a function's first line after its prologue, else a
   * symbol's address, or `*ADDR` itself.
   */
  breakAddress(name: string): number | undefined {
    if (name.startsWith("*")) {
      const n = Number(name.slice(1).trim());
      return Number.isInteger(n) ? n >>> 0 : undefined;
    }
    const fn = this.di.functionByName(name);
    if (fn) return this.afterPrologue(fn);
    const sym = this.di.elf.symbolByName(name);
    return sym ? sym.value >>> 0 : undefined;
  }

  /** The first statement row marked prologue_end, else the first of a later line; the entry when neither. */
  private afterPrologue(fn: FunctionInfo): number {
    const rows = this.di
      .lineTable()
      .sequences.flat()
      .filter((e) => e.address >= fn.lowPc && e.address < fn.highPc && e.isStmt)
      .sort((a, b) => a.address - b.address);
    const after = rows.find((e) => e.prologueEnd) ?? rows.find((e) => e.address > fn.lowPc && e.line !== rows[0]?.line);
    return after?.address ?? fn.lowPc;
  }

  /** A named DWARF type: typedef names, "struct x", "union x", "enum x". */
  type(name: string): DwarfType | undefined {
    if (!this.typesByName) this.typesByName = this.collectTypes();
    return this.typesByName.get(name.replace(/\s+/g, " ").trim());
  }

  private collectTypes(): Map<string, DwarfType> {
    const out = new Map<string, DwarfType>();
    const seen = new Set<DwarfType>();
    const visit = (t: DwarfType | undefined): void => {
      if (!t || seen.has(t)) return;
      seen.add(t);
      switch (t.kind) {
        case "typedef":
          if (!out.has(t.name)) out.set(t.name, t);
          visit(t.target);
          break;
        case "base":
          if (!out.has(t.name)) out.set(t.name, t);
          break;
        case "struct":
        case "union": {
          const key = `${t.kind} ${t.name}`;
          if (t.name && (!out.has(key) || (out.get(key) as { declaration?: boolean }).declaration)) out.set(key, t);
          for (const m of t.members) visit(m.type);
          break;
        }
        case "enum":
          if (t.name && !out.has(`enum ${t.name}`)) out.set(`enum ${t.name}`, t);
          break;
        case "pointer":
        case "const":
        case "volatile":
        case "restrict":
        case "atomic":
          visit(t.target);
          break;
        case "array":
          visit(t.element);
          break;
        case "function":
          visit(t.returnType);
          for (const p of t.params) visit(p);
          break;
        case "void":
        case "unknown":
          break; // no name to index, nothing inside
      }
    };
    const visitScope = (s: Scope): void => {
      for (const v of s.variables) visit(v.type);
      for (const c of s.children) visitScope(c);
    };
    for (const g of this.di.globals()) visit(g.type);
    for (const f of this.di.functions()) {
      visit(f.returnType);
      visitScope(f);
    }
    return out;
  }
}
