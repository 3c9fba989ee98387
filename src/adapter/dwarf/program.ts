// The source-level program model of one compilation unit: functions with their parameters,
// locals, lexical blocks and inlined calls, and global/static variables. Built from the DIE
// tree on first use of the unit.
import { DW_AT, DW_TAG } from "./constants.js";
import type { Die, Unit } from "./info.js";
import { parseLineProgram, joinPath, type LineProgram } from "./line.js";
import { readLocation, type LocationDescription } from "./locations.js";
import { dieRanges, rangesContain, type PcRange } from "./ranges.js";
import type { DwarfType, TypeTable } from "./types.js";

export interface Variable {
  name: string;
  type: DwarfType;
  location: LocationDescription;
  isParameter: boolean;
  /** Visible outside its unit (DW_AT_external). */
  external: boolean;
  declFile: string | undefined;
  declLine: number | undefined;
  /** Fixed address for globals and static locals (a lone DW_OP_addr). */
  address: number | undefined;
  dieOffset: number;
}

export interface GlobalVariable extends Variable {
  address: number | undefined;
  /** For static locals: the function that declares them. */
  functionName: string | undefined;
  unitName: string | undefined;
}

export type ScopeKind = "function" | "block" | "inlined";

export interface Scope {
  kind: ScopeKind;
  ranges: PcRange[];
  /** Parameters first (in declaration order), then locals. */
  variables: Variable[];
  children: Scope[];
  dieOffset: number;
}

export interface InlinedCall extends Scope {
  kind: "inlined";
  /** Name of the inlined function (from its abstract origin). */
  name: string;
  callFile: string | undefined;
  callLine: number | undefined;
  callColumn: number | undefined;
  declFile: string | undefined;
  declLine: number | undefined;
}

export interface FunctionInfo extends Scope {
  kind: "function";
  name: string;
  linkageName: string | undefined;
  /** Lowest and one-past-highest pc over all ranges. */
  lowPc: number;
  highPc: number;
  external: boolean;
  declFile: string | undefined;
  declLine: number | undefined;
  returnType: DwarfType;
  frameBase: LocationDescription;
  parameters: Variable[];
  unitName: string | undefined;
}

export interface UnitModel {
  unit: Unit;
  name: string | undefined;
  compDir: string | undefined;
  producer: string | undefined;
  ranges: PcRange[];
  functions: FunctionInfo[];
  globals: GlobalVariable[];
}

/** Reads `name` from the DIE, or from its DW_AT_abstract_origin / DW_AT_specification chain. */
function viaOrigin<T>(die: Die, read: (d: Die) => T | undefined): T | undefined {
  let d: Die | undefined = die;
  for (let i = 0; d && i < 8; i++) {
    const v = read(d);
    if (v !== undefined) return v;
    d = d.unit.ref(d, DW_AT.abstract_origin) ?? d.unit.ref(d, DW_AT.specification);
  }
  return undefined;
}

/** The DIE that carries the declaration (name, type) for a concrete/out-of-line DIE. */
function declarationDie(die: Die): Die {
  let d = die;
  for (let i = 0; i < 8; i++) {
    if (d.has(DW_AT.name) || d.has(DW_AT.type)) return d;
    const next = d.unit.ref(d, DW_AT.abstract_origin) ?? d.unit.ref(d, DW_AT.specification);
    if (!next) return d;
    d = next;
  }
  return d;
}

/** A location expression that is just DW_OP_addr <u32>. */
function fixedAddress(loc: LocationDescription): number | undefined {
  if (loc.kind !== "expr" || loc.expr.length !== 5 || loc.expr[0] !== 0x03) return undefined;
  const e = loc.expr;
  return (e[1]! | (e[2]! << 8) | (e[3]! << 16) | (e[4]! << 24)) >>> 0;
}

export class UnitModelBuilder {
  private lineProgram: LineProgram | undefined | null = null;

  constructor(
    private readonly unit: Unit,
    private readonly types: TypeTable,
  ) {}

  get compDir(): string | undefined {
    return this.unit.str(this.unit.root, DW_AT.comp_dir);
  }

  /** The unit's line program (lazily parsed), or undefined if it has none. */
  lines(): LineProgram | undefined {
    if (this.lineProgram === null) {
      const off = this.unit.num(this.unit.root, DW_AT.stmt_list);
      this.lineProgram = off === undefined || !this.unit.sections.line ? undefined : parseLineProgram(this.unit.sections, off, this.compDir);
    }
    return this.lineProgram;
  }

  private file(die: Die, attr: number): string | undefined {
    const idx = viaOrigin(die, (d) => d.unit.num(d, attr));
    if (idx === undefined) return undefined;
    return this.lines()?.files[idx];
  }

  build(): UnitModel {
    const u = this.unit;
    const root = u.tree;
    const name = u.str(root, DW_AT.name);
    const model: UnitModel = {
      unit: u,
      name: name !== undefined ? joinPath(this.compDir, name) : undefined,
      compDir: this.compDir,
      producer: u.str(root, DW_AT.producer),
      ranges: dieRanges(u, root),
      functions: [],
      globals: [],
    };
    this.walk(root, model, undefined);
    model.functions.sort((a, b) => a.lowPc - b.lowPc);
    return model;
  }

  private walk(die: Die, model: UnitModel, functionName: string | undefined): void {
    for (const c of die.children) {
      if (c.tag === DW_TAG.subprogram) {
        const f = this.func(c, model);
        if (f) model.functions.push(f);
        else this.walk(c, model, this.unit.str(c, DW_AT.name)); // abstract instance: may hold static locals
      } else if (c.tag === DW_TAG.variable) {
        const v = this.variable(c, false);
        if (v && (v.address !== undefined || v.location.kind === "const") && !this.unit.flag(c, DW_AT.declaration)) {
          model.globals.push({ ...v, functionName, unitName: model.name });
        }
      } else if (c.tag === DW_TAG.lexical_block && functionName !== undefined) {
        this.walk(c, model, functionName);
      }
    }
  }

  private func(die: Die, model: UnitModel): FunctionInfo | undefined {
    const u = this.unit;
    const ranges = dieRanges(u, die);
    if (ranges.length === 0) return undefined;
    const decl = declarationDie(die);
    const name = viaOrigin(die, (d) => d.unit.str(d, DW_AT.name)) ?? `<fn@0x${ranges[0]!.low.toString(16)}>`;
    const f: FunctionInfo = {
      kind: "function",
      name,
      linkageName: viaOrigin(die, (d) => d.unit.str(d, DW_AT.linkage_name) ?? d.unit.str(d, DW_AT.MIPS_linkage_name)),
      lowPc: Math.min(...ranges.map((r) => r.low)),
      highPc: Math.max(...ranges.map((r) => r.high)),
      ranges,
      external: viaOrigin(die, (d) => (d.unit.flag(d, DW_AT.external) ? true : undefined)) ?? false,
      declFile: this.file(die, DW_AT.decl_file),
      declLine: viaOrigin(die, (d) => d.unit.num(d, DW_AT.decl_line)),
      returnType: this.types.typeOf(decl.unit, decl),
      frameBase: readLocation(u, die.attr(DW_AT.frame_base)),
      parameters: [],
      variables: [],
      children: [],
      dieOffset: die.offset,
      unitName: model.name,
    };
    this.fillScope(die, f, model, f);
    f.parameters = f.variables.filter((v) => v.isParameter);
    return f;
  }

  private fillScope(die: Die, scope: Scope, model: UnitModel, fn: FunctionInfo): void {
    const u = this.unit;
    for (const c of die.children) {
      switch (c.tag) {
        case DW_TAG.formal_parameter:
        case DW_TAG.variable: {
          const v = this.variable(c, c.tag === DW_TAG.formal_parameter);
          if (!v) break;
          if (v.address !== undefined && !v.isParameter) model.globals.push({ ...v, functionName: fn.name, unitName: model.name });
          scope.variables.push(v);
          break;
        }
        case DW_TAG.lexical_block: {
          const ranges = dieRanges(u, c);
          if (ranges.length === 0) {
            this.fillScope(c, scope, model, fn); // no pc range: its variables belong to the parent
            break;
          }
          const b: Scope = { kind: "block", ranges, variables: [], children: [], dieOffset: c.offset };
          this.fillScope(c, b, model, fn);
          scope.children.push(b);
          break;
        }
        case DW_TAG.inlined_subroutine: {
          const ranges = dieRanges(u, c);
          const callFileIdx = u.num(c, DW_AT.call_file);
          const call: InlinedCall = {
            kind: "inlined",
            name: viaOrigin(c, (d) => d.unit.str(d, DW_AT.name)) ?? "<inlined>",
            ranges,
            variables: [],
            children: [],
            dieOffset: c.offset,
            callFile: callFileIdx !== undefined ? this.lines()?.files[callFileIdx] : undefined,
            callLine: u.num(c, DW_AT.call_line),
            callColumn: u.num(c, DW_AT.call_column),
            declFile: this.file(c, DW_AT.decl_file),
            declLine: viaOrigin(c, (d) => d.unit.num(d, DW_AT.decl_line)),
          };
          this.fillScope(c, call, model, fn);
          scope.children.push(call);
          break;
        }
        default:
          break;
      }
    }
    // Parameters first, as a stack view shows them.
    scope.variables.sort((a, b) => Number(b.isParameter) - Number(a.isParameter));
  }

  private variable(die: Die, isParameter: boolean): Variable | undefined {
    const u = this.unit;
    const name = viaOrigin(die, (d) => d.unit.str(d, DW_AT.name));
    if (name === undefined) return undefined;
    const decl = declarationDie(die);
    let location: LocationDescription;
    const constValue = die.attr(DW_AT.const_value);
    if (die.has(DW_AT.location)) location = readLocation(u, die.attr(DW_AT.location));
    else if (constValue) {
      location = constValue.kind === "block" ? { kind: "const", value: constValue.bytes } : { kind: "const", value: u.signedNum(die, DW_AT.const_value) ?? 0 };
    } else location = { kind: "none" };
    return {
      name,
      type: this.types.typeOf(decl.unit, decl),
      location,
      isParameter,
      external: viaOrigin(die, (d) => (d.unit.flag(d, DW_AT.external) ? true : undefined)) ?? false,
      declFile: this.file(die, DW_AT.decl_file),
      declLine: viaOrigin(die, (d) => d.unit.num(d, DW_AT.decl_line)),
      address: fixedAddress(location),
      dieOffset: die.offset,
    };
  }
}

/** Scopes from outermost to innermost that contain `pc`, starting at `scope`. */
export function scopeChain(scope: Scope, pc: number): Scope[] {
  const chain: Scope[] = [scope];
  let cur: Scope | undefined = scope;
  while (cur) {
    const next: Scope | undefined = cur.children.find((c) => rangesContain(c.ranges, pc));
    if (next) chain.push(next);
    cur = next;
  }
  return chain;
}
