// Parser for the C-like expressions of the Watch view, hovers, the debug console and breakpoint
// conditions: literals, identifiers, $registers, member access, indexing, unary and binary
// operators with C precedence, casts to type names and sizeof.

export type TypeSpec = { base: string; pointers: number };

export type Expr =
  | { kind: "number"; value: bigint; unsigned: boolean; long: boolean; isChar?: boolean }
  | { kind: "ident"; name: string }
  | { kind: "register"; name: string }
  | { kind: "unary"; op: "-" | "+" | "!" | "~" | "*" | "&"; operand: Expr }
  | { kind: "cast"; type: TypeSpec; operand: Expr }
  | { kind: "sizeof"; type?: TypeSpec; operand?: Expr }
  | { kind: "binary"; op: string; left: Expr; right: Expr }
  | { kind: "ternary"; cond: Expr; then: Expr; else: Expr }
  | { kind: "member"; object: Expr; name: string; arrow: boolean }
  | { kind: "index"; object: Expr; index: Expr };

export class ExpressionSyntaxError extends Error {
  override readonly name = "ExpressionSyntaxError";
}

type Token = { kind: "num" | "char" | "ident" | "reg" | "op" | "eof"; text: string; pos: number };

const OPERATORS = ["<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "!", "~", "(", ")", "[", "]", ".", "?", ":", ","];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)/.exec(src.slice(i))!;
      i += m[0].length;
      if (/[A-Za-z0-9_]/.test(src[i] ?? "")) throw new ExpressionSyntaxError(`bad number "${src.slice(start, i + 1)}" at column ${start + 1}`);
      out.push({ kind: "num", text: m[0], pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      out.push({ kind: "ident", text: src.slice(start, i), pos: start });
    } else if (c === "$") {
      i++;
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      if (i === start + 1) throw new ExpressionSyntaxError(`expected a register name after $ at column ${start + 1}`);
      out.push({ kind: "reg", text: src.slice(start + 1, i).toLowerCase(), pos: start });
    } else if (c === "'") {
      const m = /^'(\\x[0-9a-fA-F]{1,2}|\\[0-7]{1,3}|\\.|[^'\\])'/.exec(src.slice(i));
      if (!m) throw new ExpressionSyntaxError(`bad character literal at column ${start + 1}`);
      i += m[0].length;
      out.push({ kind: "char", text: m[1]!, pos: start });
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) throw new ExpressionSyntaxError(`unexpected "${c}" at column ${i + 1}`);
      i += op.length;
      out.push({ kind: "op", text: op, pos: start });
    }
  }
  out.push({ kind: "eof", text: "", pos: src.length });
  return out;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, "0": 0, a: 7, b: 8, f: 12, v: 11, "\\": 92, "'": 39, '"': 34 };

function charValue(text: string): bigint {
  if (text.length === 1) return BigInt(text.charCodeAt(0));
  if (text.startsWith("\\x")) return BigInt(parseInt(text.slice(2), 16));
  if (/^\\[0-7]+$/.test(text)) return BigInt(parseInt(text.slice(1), 8));
  const e = ESCAPES[text[1]!];
  if (e === undefined) throw new ExpressionSyntaxError(`unknown escape ${text}`);
  return BigInt(e);
}

const BINARY_PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "|": 3,
  "^": 4,
  "&": 5,
  "==": 6,
  "!=": 6,
  "<": 7,
  ">": 7,
  "<=": 7,
  ">=": 7,
  "<<": 8,
  ">>": 8,
  "+": 9,
  "-": 9,
  "*": 10,
  "/": 10,
  "%": 10,
};

const TYPE_KEYWORDS = new Set(["struct", "union", "enum", "unsigned", "signed", "int", "char", "short", "long", "void", "_Bool", "float", "double", "const", "volatile"]);

export class Parser {
  private readonly tokens: Token[];
  private i = 0;

  /** `isTypeName` tells typedef names apart from variables for casts like `(uint32_t*)p`. */
  constructor(
    private readonly src: string,
    private readonly isTypeName: (name: string) => boolean,
  ) {
    this.tokens = tokenize(src);
  }

  static parse(src: string, isTypeName: (name: string) => boolean): Expr {
    const p = new Parser(src, isTypeName);
    const e = p.expression(0);
    const t = p.peek();
    if (t.kind !== "eof") throw new ExpressionSyntaxError(`unexpected "${t.text}" at column ${t.pos + 1}`);
    return e;
  }

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  private next(): Token {
    return this.tokens[this.i++] ?? this.tokens[this.tokens.length - 1]!;
  }

  private isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "op" && t.text === text;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.kind !== "op" || t.text !== text)
      throw new ExpressionSyntaxError(t.kind === "eof" ? `expected "${text}" at the end of "${this.src}"` : `expected "${text}" at column ${t.pos + 1}, found "${t.text}"`);
  }

  private expression(minPrec: number): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && t.text === "?" && minPrec === 0) {
        this.next();
        const then = this.expression(0);
        this.expect(":");
        const els = this.expression(0);
        left = { kind: "ternary", cond: left, then, else: els };
        continue;
      }
      const prec = t.kind === "op" ? BINARY_PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec <= minPrec - 1 || prec < minPrec) return left;
      this.next();
      const right = this.expression(prec + 1);
      left = { kind: "binary", op: t.text, left, right };
    }
  }

  private startsType(k: number): boolean {
    const t = this.peek(k);
    return t.kind === "ident" && (TYPE_KEYWORDS.has(t.text) || this.isTypeName(t.text));
  }

  private typeSpec(): TypeSpec {
    const words: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== "ident") break;
      if (t.text === "const" || t.text === "volatile") {
        this.next();
        continue;
      }
      if (t.text === "struct" || t.text === "union" || t.text === "enum") {
        this.next();
        const tag = this.next();
        if (tag.kind !== "ident") throw new ExpressionSyntaxError(`expected a ${t.text} tag at column ${tag.pos + 1}`);
        words.push(`${t.text} ${tag.text}`);
        break;
      }
      if (words.length > 0 && !TYPE_KEYWORDS.has(t.text)) break;
      if (words.length > 0 && !TYPE_KEYWORDS.has(words[words.length - 1]!)) break;
      words.push(this.next().text);
    }
    if (!words.length) throw new ExpressionSyntaxError(`expected a type name at column ${this.peek().pos + 1}`);
    let pointers = 0;
    while (this.isOp("*") || (this.peek().kind === "ident" && (this.peek().text === "const" || this.peek().text === "volatile"))) {
      if (this.next().text === "*") pointers++;
    }
    return { base: words.join(" "), pointers };
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === "op" && ["-", "+", "!", "~", "*", "&"].includes(t.text)) {
      this.next();
      return { kind: "unary", op: t.text as "-", operand: this.unary() };
    }
    if (t.kind === "ident" && t.text === "sizeof") {
      this.next();
      if (this.isOp("(") && this.startsType(1)) {
        this.next();
        const type = this.typeSpec();
        this.expect(")");
        return { kind: "sizeof", type };
      }
      return { kind: "sizeof", operand: this.unary() };
    }
    if (t.kind === "op" && t.text === "(" && this.startsType(1)) {
      this.next();
      const type = this.typeSpec();
      this.expect(")");
      return { kind: "cast", type, operand: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp(".") || this.isOp("->")) {
        const arrow = this.next().text === "->";
        const name = this.next();
        if (name.kind !== "ident") throw new ExpressionSyntaxError(`expected a member name at column ${name.pos + 1}`);
        e = { kind: "member", object: e, name: name.text, arrow };
      } else if (this.isOp("[")) {
        this.next();
        const index = this.expression(0);
        this.expect("]");
        e = { kind: "index", object: e, index };
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "num": {
        const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$/.exec(t.text)!;
        const digits = m[1]!;
        const value = digits.length > 1 && digits[0] === "0" && /^[0-9]+$/.test(digits) ? BigInt("0o" + digits.slice(1)) : BigInt(digits);
        const suffix = m[2]!.toLowerCase();
        return { kind: "number", value, unsigned: suffix.includes("u") || (/^0[xb]/i.test(digits) && value > 0x7fffffffn), long: suffix.includes("ll") };
      }
      case "char":
        return { kind: "number", value: charValue(t.text), unsigned: false, long: false, isChar: true };
      case "ident":
        return { kind: "ident", name: t.text };
      case "reg":
        return { kind: "register", name: t.text };
      case "op":
        if (t.text === "(") {
          const e = this.expression(0);
          this.expect(")");
          return e;
        }
        throw new ExpressionSyntaxError(`unexpected "${t.text}" at column ${t.pos + 1}`);
      case "eof":
        throw new ExpressionSyntaxError(this.src.trim() ? `"${this.src}" ends too early` : "empty expression");
    }
  }
}
