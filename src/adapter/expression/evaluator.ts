// Evaluates parsed C expressions against the stopped guest: names resolve to DWARF variables
// of the selected frame, then globals, functions and ELF symbols; arithmetic follows C's
// conversions closely enough for a debugger (32-bit int, unsigned wins, pointer scaling).
import { resolveType, sizeOf, typeName, type DwarfType } from "../dwarf";
import { C_TYPES, INT, UINT, isFloat, isScalar, pointerTo, toNumber, valueOf, ValueError, type GuestMemory, type TypedValue } from "../values/typed-value";
import { deref, elementAt, memberValue } from "../values/render";
import { Parser, type Expr, type TypeSpec } from "./parser";

export interface EvaluationScope {
  mem: GuestMemory;
  /** A variable, function or symbol visible from the selected frame. */
  lookup(name: string): TypedValue | undefined;
  /** `$eax`, `$pc`, ... of the selected frame. */
  register(name: string): TypedValue | undefined;
  /** A DWARF type by C spelling ("struct e1000_rx_desc", "uint32_t"). */
  type(name: string): DwarfType | undefined;
}

export class EvaluationError extends Error {
  override readonly name = "EvaluationError";
}

const LONG_LONG = C_TYPES["long long"]!;
const ULONG_LONG = C_TYPES["unsigned long long"]!;
const DOUBLE = C_TYPES.double!;

export function parseExpression(src: string, scope: Pick<EvaluationScope, "type">): Expr {
  return Parser.parse(src, (n) => C_TYPES[n] !== undefined || scope.type(n) !== undefined);
}

export function evaluate(src: string, scope: EvaluationScope): TypedValue {
  return new Evaluator(scope).eval(parseExpression(src, scope));
}

/** C truthiness of an expression's value (for breakpoint conditions). */
export function isTruthy(v: TypedValue, mem: GuestMemory): boolean {
  return toNumber(v, mem) !== 0;
}

function isUnsigned(t: DwarfType): boolean {
  const r = resolveType(t);
  return r.kind === "pointer" || (r.kind === "base" && (r.encoding === "unsigned" || r.encoding === "unsigned-char" || r.encoding === "boolean" || r.encoding === "address"));
}

function isPointer(t: DwarfType): boolean {
  return resolveType(t).kind === "pointer";
}

class Evaluator {
  constructor(private readonly s: EvaluationScope) {}

  private num(v: TypedValue): number {
    try {
      return toNumber(v, this.s.mem);
    } catch (e) {
      if (e instanceof ValueError) throw new EvaluationError(e.message);
      throw e;
    }
  }

  resolveTypeSpec(spec: TypeSpec): DwarfType {
    let t = this.s.type(spec.base) ?? C_TYPES[spec.base];
    if (!t) throw new EvaluationError(`unknown type "${spec.base}"`);
    for (let i = 0; i < spec.pointers; i++) t = pointerTo(t);
    return t;
  }

  eval(e: Expr): TypedValue {
    switch (e.kind) {
      case "number": {
        const fits32 = e.value <= 0x7fffffffn;
        const t = e.isChar ? C_TYPES.char! : e.long || e.value > 0xffffffffn ? (e.unsigned ? ULONG_LONG : LONG_LONG) : e.unsigned || !fits32 ? UINT : INT;
        return valueOf(t, Number(e.value));
      }
      case "ident": {
        const v = this.s.lookup(e.name);
        if (!v) throw new EvaluationError(`no symbol "${e.name}" in the current context`);
        return v;
      }
      case "register": {
        const v = this.s.register(e.name);
        if (!v) throw new EvaluationError(`no register $${e.name}`);
        return v;
      }
      case "member": {
        let obj = this.eval(e.object);
        if (isPointer(obj.type)) obj = deref(obj, this.s.mem);
        const r = resolveType(obj.type);
        if (r.kind !== "struct" && r.kind !== "union") throw new EvaluationError(`"${e.name}": left side has type ${typeName(obj.type)}, not a struct or union`);
        const m = memberValue(obj, e.name);
        if (!m) throw new EvaluationError(`${typeName(obj.type)} has no member "${e.name}"`);
        return m;
      }
      case "index": {
        const obj = this.eval(e.object);
        const i = this.num(this.eval(e.index));
        const r = resolveType(obj.type);
        if (r.kind === "array") {
          const n = r.dimensions[0]?.count;
          if (obj.place.kind !== "memory" && n !== undefined && (i < 0 || i >= n)) throw new EvaluationError(`index ${i} is outside [0, ${n})`);
          return elementAt(obj, i);
        }
        if (r.kind === "pointer") return this.pointerElement(obj, i);
        throw new EvaluationError(`cannot index a value of type ${typeName(obj.type)}`);
      }
      case "unary":
        return this.unary(e.op, e.operand);
      case "cast":
        return this.cast(this.eval(e.operand), this.resolveTypeSpec(e.type));
      case "sizeof": {
        const t = e.type ? this.resolveTypeSpec(e.type) : this.eval(e.operand!).type;
        const n = sizeOf(t);
        if (n === undefined) throw new EvaluationError(`sizeof ${typeName(t)} is not known`);
        return valueOf(UINT, n);
      }
      case "ternary":
        return this.num(this.eval(e.cond)) !== 0 ? this.eval(e.then) : this.eval(e.else);
      case "binary":
        return this.binary(e.op, e.left, e.right);
    }
  }

  private pointerElement(ptr: TypedValue, i: number): TypedValue {
    const target = resolveType(ptr.type).kind === "pointer" ? (resolveType(ptr.type) as { target: DwarfType }).target : INT;
    const size = sizeOf(target);
    if (size === undefined) throw new EvaluationError(`cannot index through a pointer to ${typeName(target)}`);
    return { type: target, place: { kind: "memory", address: (this.num(ptr) + i * size) >>> 0 } };
  }

  private unary(op: string, operand: Expr): TypedValue {
    const v = this.eval(operand);
    switch (op) {
      case "*": {
        const r = resolveType(v.type);
        if (r.kind === "pointer" && resolveType(r.target).kind === "void") throw new EvaluationError("cannot dereference a void pointer; cast it first, e.g. *(uint32_t *)p");
        if (r.kind === "pointer" || r.kind === "array") return deref(v, this.s.mem);
        if (r.kind === "base" && r.encoding !== "float") return { type: INT, place: { kind: "memory", address: this.num(v) >>> 0 } };
        throw new EvaluationError(`cannot dereference a value of type ${typeName(v.type)}`);
      }
      case "&": {
        if (v.place.kind !== "memory" || v.bits) throw new EvaluationError("cannot take the address of a value that is not in memory");
        return valueOf(pointerTo(v.type), v.place.address);
      }
      case "!":
        return valueOf(INT, this.num(v) === 0 ? 1 : 0);
      case "~":
        return this.arith(v, valueOf(INT, 0), (a) => ~a);
      case "-":
        if (isFloat(v.type)) return valueOf(DOUBLE, -this.num(v));
        return this.arith(v, valueOf(INT, 0), (a) => -a);
      default:
        return this.arith(v, valueOf(INT, 0), (a) => a);
    }
  }

  private cast(v: TypedValue, to: DwarfType): TypedValue {
    const r = resolveType(to);
    const from = resolveType(v.type);
    if (r.kind === "struct" || r.kind === "union" || r.kind === "array") {
      // Reinterpret the object in memory, as gdb does for `(struct x)var`.
      if (v.place.kind === "memory") return { type: to, place: v.place };
      throw new EvaluationError(`cannot cast to ${typeName(to)}`);
    }
    if (from.kind === "array" || from.kind === "function") {
      if (v.place.kind !== "memory") throw new EvaluationError(`cannot cast a ${from.kind} without an address`);
      return valueOf(to, v.place.address);
    }
    if (!isScalar(v.type)) throw new EvaluationError(`cannot cast a value of type ${typeName(v.type)} to ${typeName(to)}`);
    return valueOf(to, this.num(v));
  }

  private resultType(a: TypedValue, b: TypedValue): DwarfType {
    const sa = sizeOf(a.type) ?? 4;
    const sb = sizeOf(b.type) ?? 4;
    if (sa > 4 || sb > 4) return isUnsigned(a.type) || isUnsigned(b.type) ? ULONG_LONG : LONG_LONG;
    return (isUnsigned(a.type) && sa === 4) || (isUnsigned(b.type) && sb === 4) ? UINT : INT;
  }

  private arith(a: TypedValue, b: TypedValue, fn: (x: bigint, y: bigint) => bigint): TypedValue {
    const t = this.resultType(a, b);
    const bits = (sizeOf(t) ?? 4) * 8;
    const unsigned = isUnsigned(t);
    const conv = (v: TypedValue): bigint => {
      const n = BigInt(Math.trunc(this.num(v)));
      return unsigned ? BigInt.asUintN(bits, n) : BigInt.asIntN(bits, n);
    };
    const r = fn(conv(a), conv(b));
    return valueOf(t, Number(unsigned ? BigInt.asUintN(bits, r) : BigInt.asIntN(bits, r)));
  }

  private binary(op: string, le: Expr, re: Expr): TypedValue {
    if (op === "&&") return valueOf(INT, this.num(this.eval(le)) !== 0 && this.num(this.eval(re)) !== 0 ? 1 : 0);
    if (op === "||") return valueOf(INT, this.num(this.eval(le)) !== 0 || this.num(this.eval(re)) !== 0 ? 1 : 0);
    let a = this.eval(le);
    let b = this.eval(re);
    // Arrays decay to pointers in arithmetic and comparisons.
    const decay = (v: TypedValue): TypedValue => {
      const r = resolveType(v.type);
      if (r.kind === "array" && v.place.kind === "memory") return valueOf(pointerTo(r.element), v.place.address);
      return v;
    };
    a = decay(a);
    b = decay(b);
    if (!isScalar(a.type) || !isScalar(b.type)) throw new EvaluationError(`operator ${op} needs numbers or pointers, got ${typeName(a.type)} and ${typeName(b.type)}`);
    const pa = isPointer(a.type);
    const pb = isPointer(b.type);
    if ((op === "+" || op === "-") && (pa || pb)) {
      if (pa && pb && op === "-") {
        const size = sizeOf((resolveType(a.type) as { target: DwarfType }).target) || 1;
        return valueOf(INT, Math.trunc(((this.num(a) - this.num(b)) | 0) / size));
      }
      if (pa && pb) throw new EvaluationError("cannot add two pointers");
      const [p, n] = pa ? [a, b] : [b, a];
      const size = sizeOf((resolveType(p.type) as { target: DwarfType }).target) ?? 1;
      const delta = this.num(n) * (size || 1);
      return valueOf(p.type, (this.num(p) + (op === "+" ? delta : -delta)) >>> 0);
    }
    const cmp: Record<string, (x: number, y: number) => boolean> = {
      "==": (x, y) => x === y,
      "!=": (x, y) => x !== y,
      "<": (x, y) => x < y,
      ">": (x, y) => x > y,
      "<=": (x, y) => x <= y,
      ">=": (x, y) => x >= y,
    };
    if (cmp[op]) {
      if (isFloat(a.type) || isFloat(b.type)) return valueOf(INT, cmp[op]!(this.num(a), this.num(b)) ? 1 : 0);
      const t = this.resultType(a, b);
      const bits = (sizeOf(t) ?? 4) * 8;
      const conv = (v: TypedValue) => (isUnsigned(t) ? BigInt.asUintN(bits, BigInt(Math.trunc(this.num(v)))) : BigInt.asIntN(bits, BigInt(Math.trunc(this.num(v)))));
      const x = conv(a);
      const y = conv(b);
      return valueOf(INT, cmp[op]!(Number(x), Number(y)) ? 1 : 0);
    }
    if (isFloat(a.type) || isFloat(b.type)) {
      const x = this.num(a);
      const y = this.num(b);
      const f: Record<string, number> = { "+": x + y, "-": x - y, "*": x * y, "/": x / y };
      if (f[op] === undefined) throw new EvaluationError(`operator ${op} needs integers`);
      return valueOf(DOUBLE, f[op]!);
    }
    const ops: Record<string, (x: bigint, y: bigint) => bigint> = {
      "+": (x, y) => x + y,
      "-": (x, y) => x - y,
      "*": (x, y) => x * y,
      "/": (x, y) => {
        if (y === 0n) throw new EvaluationError("division by zero");
        return x / y;
      },
      "%": (x, y) => {
        if (y === 0n) throw new EvaluationError("division by zero");
        return x % y;
      },
      "<<": (x, y) => x << (y & 63n),
      ">>": (x, y) => x >> (y & 63n),
      "&": (x, y) => x & y,
      "|": (x, y) => x | y,
      "^": (x, y) => x ^ y,
    };
    const fn = ops[op];
    if (!fn) throw new EvaluationError(`unknown operator ${op}`);
    return this.arith(a, b, fn);
  }
}
