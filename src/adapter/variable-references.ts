// DAP variable references for one stop: the scopes of each frame (Locals, Globals, Registers,
// Devices), typed values that expand, and decoded register/device fields; reading them as DAP
// variables and writing them back (setVariable).
import { Handles } from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { resolveType, sizeOf, typeName } from "./dwarf";
import { variableValue } from "./call-stack";
import { arrayLength, children, hasChildren, render } from "./values/render";
import { addressOf, toNumber, writeNumber, type TypedValue } from "./values/typed-value";
import { registerNodes, hex32, type ViewNode } from "./views/register-view";
import { deviceNodes } from "./views/device-view";
import type { Target } from "./target";

type Container =
  | { kind: "locals"; frame: number }
  | { kind: "globals"; frame: number }
  | { kind: "registers" }
  | { kind: "devices" }
  | { kind: "nodes"; nodes: ViewNode[] }
  | { kind: "value"; value: TypedValue; frame: number; evaluateName?: string };

/** Arrays longer than this are paged by the client (indexedVariables). */
const PAGE_ARRAYS_OVER = 100;

export class VariableReferences {
  private handles = new Handles<Container>();

  constructor(private readonly target: Target) {}

  /** Forget every reference (at each stop, as DAP's lifetime rules require). */
  reset(): void {
    this.handles.reset();
  }

  scopes(frame: number): DebugProtocol.Scope[] {
    const f = this.target.callStack()[frame];
    return [
      { name: "Locals", presentationHint: "locals", variablesReference: this.handles.create({ kind: "locals", frame }), expensive: false, namedVariables: f?.variables.length },
      { name: "Globals", variablesReference: this.handles.create({ kind: "globals", frame }), expensive: true },
      { name: "Registers", presentationHint: "registers", variablesReference: this.handles.create({ kind: "registers" }), expensive: false },
      { name: "Devices", variablesReference: this.handles.create({ kind: "devices" }), expensive: false },
    ];
  }

  private ctx(hex: boolean) {
    return { mem: this.target.memory, symbolize: (a: number) => this.target.names.symbolize(a), hex };
  }

  /** A typed value as a DAP variable (expandable when it has members, elements or a target). */
  valueVariable(name: string, v: TypedValue, frame: number, hex = false, evaluateName?: string): DebugProtocol.Variable {
    const mem = this.target.memory;
    const expandable = hasChildren(v, mem);
    const out: DebugProtocol.Variable = {
      name,
      value: render(v, this.ctx(hex)),
      type: typeName(v.type),
      variablesReference: expandable ? this.handles.create({ kind: "value", value: v, frame, evaluateName }) : 0,
    };
    if (evaluateName) out.evaluateName = evaluateName;
    const len = arrayLength(v.type);
    if (len !== undefined && len > PAGE_ARRAYS_OVER) out.indexedVariables = len;
    const addr = addressOf(v);
    if (addr !== undefined) out.memoryReference = hex32(addr);
    else if (resolveType(v.type).kind === "pointer") {
      try {
        out.memoryReference = hex32(toNumber(v, mem));
      } catch {
        /* unreadable pointer: no memory reference */
      }
    }
    return out;
  }

  private nodeVariable(n: ViewNode): DebugProtocol.Variable {
    return {
      name: n.name,
      value: n.value,
      ...(n.type ? { type: n.type } : {}),
      variablesReference: n.children?.length ? this.handles.create({ kind: "nodes", nodes: n.children }) : 0,
      ...(n.memoryReference ? { memoryReference: n.memoryReference } : {}),
    };
  }

  private values(c: Container): { name: string; value: TypedValue; frame: number; evaluateName?: string }[] {
    const di = this.target.debugInfo;
    const mem = this.target.memory;
    const stack = this.target.callStack();
    if (c.kind === "locals") {
      const f = stack[c.frame];
      return (f?.variables ?? []).map((v) => ({ name: v.name, value: variableValue(di, v, f, mem), frame: c.frame, evaluateName: v.name }));
    }
    if (c.kind === "globals") {
      // One entry per defined object: extern declarations of it in other units are left out.
      const defined = new Map<string, ReturnType<typeof di.globals>[number]>();
      for (const g of di.globals()) {
        if (g.address === undefined) continue;
        const key = `${g.functionName ?? ""}::${g.name}@${g.address}`;
        const prev = defined.get(key);
        if (!prev || (sizeOf(g.type) ?? 0) > (sizeOf(prev.type) ?? 0)) defined.set(key, g);
      }
      return [...defined.values()]
        .map((g) => {
          const name = g.functionName ? `${g.functionName}::${g.name}` : g.name;
          return { name, value: variableValue(di, g, stack[c.frame], mem), frame: c.frame, evaluateName: g.functionName ? undefined : g.name };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    }
    return [];
  }

  variables(ref: number, start?: number, count?: number, hex = false): DebugProtocol.Variable[] {
    const c = this.handles.get(ref);
    if (!c) throw new Error(`variables reference ${ref} is not valid at this stop`);
    switch (c.kind) {
      case "locals":
      case "globals":
        return this.values(c).map((x) => this.valueVariable(x.name, x.value, x.frame, hex, x.evaluateName));
      case "registers":
        return registerNodes(this.target.machine.cpu.registers()).map((n) => this.nodeVariable(n));
      case "devices":
        return deviceNodes(this.target.devices()).map((n) => this.nodeVariable(n));
      case "nodes":
        return c.nodes.map((n) => this.nodeVariable(n));
      case "value":
        return children(c.value, { mem: this.target.memory }, start ?? 0, count || undefined).map((ch) => {
          const evalName = c.evaluateName ? childExpression(c.evaluateName, ch.name, c.value) : undefined;
          return this.valueVariable(ch.name, ch.value, c.frame, hex, evalName);
        });
    }
  }

  /** The typed value behind `name` in container `ref` (for setVariable and data breakpoints). */
  valueIn(ref: number, name: string): { value: TypedValue; frame: number } | undefined {
    const c = this.handles.get(ref);
    if (!c) return undefined;
    if (c.kind === "locals" || c.kind === "globals") {
      const x = this.values(c).find((v) => v.name === name);
      return x && { value: x.value, frame: x.frame };
    }
    if (c.kind === "value") {
      const ch = children(c.value, { mem: this.target.memory }).find((x) => x.name === name);
      return ch && { value: ch.value, frame: c.frame };
    }
    return undefined;
  }

  /** The NIC register (datasheet name) that `name` in container `ref` shows, if it is one (Devices > e1000). */
  nicRegisterIn(ref: number, name: string): string | undefined {
    const c = this.handles.get(ref);
    return c?.kind === "nodes" ? c.nodes.find((n) => n.name === name)?.nicRegister : undefined;
  }

  /** Assigns `text` (a C expression) to the variable or register `name` in container `ref`. */
  setVariable(ref: number, name: string, text: string, hex = false): DebugProtocol.Variable {
    const c = this.handles.get(ref);
    if (!c) throw new Error(`variables reference ${ref} is not valid at this stop`);
    if (c.kind === "registers" || c.kind === "nodes") {
      const nodes = c.kind === "registers" ? registerNodes(this.target.machine.cpu.registers()) : c.nodes;
      const node = nodes.find((n) => n.name === name);
      const n = this.number(text, 0);
      if (node?.register) {
        this.target.setRegister(node.register, n);
      } else if (node?.flag) {
        const cur = this.target.machine.cpu.registers()[node.flag.register];
        this.target.setRegister(node.flag.register, n ? cur | node.flag.mask : cur & ~node.flag.mask);
      } else {
        throw new Error(`${name} cannot be changed here (only general registers, EIP, EFLAGS and its flags, and CR2 are writable)`);
      }
      const updated = (c.kind === "registers" ? registerNodes(this.target.machine.cpu.registers()) : []).find((x) => x.name === name);
      return { name, value: updated?.value ?? String(n), variablesReference: 0 };
    }
    const found = this.valueIn(ref, name);
    if (!found) throw new Error(`no variable "${name}" here`);
    writeNumber(found.value, this.number(text, found.frame), this.target.memory);
    return this.valueVariable(name, found.value, found.frame, hex);
  }

  /** Assigns `text` (a C expression) to the C lvalue `expression` in `frame`; the value as re-read after. */
  setExpression(expression: string, text: string, frame: number, hex = false): DebugProtocol.Variable {
    const lvalue = this.target.scope(frame).evaluate(expression);
    writeNumber(lvalue, this.number(text, frame), this.target.memory);
    // A fresh scope: a register write moved the frames, a memory write may change what the expression names.
    return this.valueVariable(expression, this.target.scope(frame).evaluate(expression), frame, hex, expression);
  }

  private number(text: string, frame: number): number {
    const scope = this.target.scope(frame);
    return toNumber(scope.evaluate(text), this.target.memory);
  }
}

/** The C expression for a child, so "Add to Watch" and data breakpoints on it work. */
function childExpression(parent: string, child: string, parentValue: TypedValue): string | undefined {
  const p = /^[A-Za-z_][A-Za-z0-9_]*$/.test(parent) ? parent : `(${parent})`;
  if (child.startsWith("[")) return `${p}${child}`;
  if (child === "*") return `*${p}`;
  if (child.startsWith("<")) return undefined;
  return typeName(parentValue.type).endsWith("*") ? `${p}->${child}` : `${p}.${child}`;
}
