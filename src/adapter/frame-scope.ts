// Names as an expression in one stack frame sees them: the frame's locals and parameters,
// then globals and statics, functions, ELF symbols; and $registers. Used by evaluate, hovers,
// watches, breakpoint conditions, log points and the Debug Console's completions.
import { membersOf, resolveType, sizeOf, typeName, type DwarfType } from "./dwarf";
import { variableValue, type CallFrame } from "./call-stack";
import { evaluate, isTruthy, type EvaluationScope } from "./expression/evaluator";
import type { CompletionCandidate, CompletionScope } from "./expression/completions";
import { render } from "./values/render";
import { C_TYPES, UINT, pointerTo, readBytes, valueOf, type GuestMemory, type TypedValue } from "./values/typed-value";
import type { Target } from "./target";

const GPR_DWARF: Record<string, number> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7, eip: 8, eflags: 9 };
const ALIASES: Record<string, string> = { pc: "eip", sp: "esp", fp: "ebp", flags: "eflags" };
const CPU_ONLY = ["cs", "ds", "es", "fs", "gs", "ss", "cr0", "cr2", "cr3", "cr4"] as const;
const VOID_PTR = pointerTo({ kind: "void" });

export class FrameScope implements EvaluationScope, CompletionScope {
  readonly mem: GuestMemory;

  constructor(
    private readonly target: Target,
    readonly frame: CallFrame | undefined,
  ) {
    this.mem = target.memory;
  }

  lookup(name: string): TypedValue | undefined {
    const di = this.target.debugInfo;
    const local = this.frame?.variables.find((v) => v.name === name);
    if (local) return variableValue(di, local, this.frame, this.mem);
    const g = this.global(name);
    if (g) return variableValue(di, g, this.frame, this.mem);
    const fn = di.functionByName(name);
    if (fn) return { type: { kind: "function", returnType: fn.returnType, params: fn.parameters.map((p) => p.type), variadic: false, prototyped: true }, place: { kind: "memory", address: fn.lowPc } };
    const sym = di.elf.symbolByName(name);
    if (sym) {
      // No DWARF type: code labels act as functions, data as an unsigned int (cast for more).
      const t: DwarfType = sym.type === "func" ? { kind: "function", returnType: { kind: "void" }, params: [], variadic: false, prototyped: false } : UINT;
      return { type: t, place: { kind: "memory", address: sym.value >>> 0 } };
    }
    return undefined;
  }

  /** The defining global (a sized type and an address) over `extern` declarations; statics of this function first. */
  private global(name: string) {
    const all = this.target.debugInfo.globals().filter((g) => g.name === name && (g.functionName === undefined || g.functionName === this.frame?.fn?.name));
    const score = (g: (typeof all)[number]) => (g.functionName ? 4 : 0) + (g.address !== undefined ? 2 : 0) + (sizeOf(g.type) ? 1 : 0);
    return all.sort((a, b) => score(b) - score(a))[0];
  }

  register(name: string): TypedValue | undefined {
    const n = ALIASES[name] ?? name;
    const dw = GPR_DWARF[n];
    if (dw !== undefined && this.frame) {
      const type = n === "eip" || n === "esp" || n === "ebp" ? VOID_PTR : UINT;
      return { type, place: { kind: "register", reg: dw, frame: this.frame.regs } };
    }
    if ((CPU_ONLY as readonly string[]).includes(n)) {
      const regs = this.target.machine.cpu.registers() as unknown as Record<string, number>;
      return valueOf(UINT, regs[n]!);
    }
    return undefined;
  }

  identifiers(): CompletionCandidate[] {
    const di = this.target.debugInfo;
    const fn = this.frame?.fn?.name;
    return [
      ...(this.frame?.variables ?? []).map((v): CompletionCandidate => ({ label: v.name, type: "variable", detail: typeName(v.type) })),
      ...di
        .globals()
        .filter((g) => g.functionName === undefined || g.functionName === fn)
        .map((g): CompletionCandidate => ({ label: g.name, type: "variable", detail: typeName(g.type) })),
      ...di
        .functions()
        .filter((f) => f.name)
        .map((f): CompletionCandidate => ({ label: f.name!, type: "function" })),
    ];
  }

  registerNames(): readonly string[] {
    return [...Object.keys(GPR_DWARF), ...CPU_ONLY, ...Object.keys(ALIASES)];
  }

  members(expression: string): CompletionCandidate[] {
    // Only the type matters: values that cannot be read (optimized out, unmapped) read as zeros.
    const zeros = (v: TypedValue | undefined): TypedValue | undefined =>
      v && (v.place.kind === "unavailable" || v.place.kind === "register") && readBytes(v, this.mem) === undefined
        ? { type: v.type, place: { kind: "value", bytes: new Uint8Array(Math.max(1, sizeOf(v.type) ?? 4)) } }
        : v;
    const typing: EvaluationScope = {
      mem: { read: (a, n) => this.mem.read(a, n) ?? new Uint8Array(n), write: () => undefined },
      lookup: (n) => zeros(this.lookup(n)),
      register: (n) => zeros(this.register(n)),
      type: (n) => this.type(n),
    };
    let t: DwarfType;
    try {
      t = evaluate(expression, typing).type;
    } catch {
      return [];
    }
    const r = resolveType(t);
    const out: CompletionCandidate[] = [];
    const add = (ty: DwarfType) => {
      for (const m of membersOf(ty)) {
        if (m.name === undefined)
          add(m.type); // anonymous struct/union: its members are the parent's
        else out.push({ label: m.name, type: "field", detail: typeName(m.type) });
      }
    };
    add(r.kind === "pointer" ? r.target : t);
    return out;
  }

  type(name: string): DwarfType | undefined {
    return this.target.names.type(name) ?? C_TYPES[name];
  }

  evaluate(expr: string): TypedValue {
    return evaluate(expr, this);
  }

  truthy(expr: string): boolean {
    return isTruthy(this.evaluate(expr), this.mem);
  }

  /** Expands `{expr}` in a log point message; a failing expression shows its error in place. */
  interpolate(message: string): string {
    return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
      try {
        return render(this.evaluate(expr), { mem: this.mem, symbolize: (a) => this.target.names.symbolize(a) });
      } catch (e) {
        return `<${e instanceof Error ? e.message : String(e)}>`;
      }
    });
  }
}
