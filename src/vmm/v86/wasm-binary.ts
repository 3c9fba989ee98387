// A minimal reader/writer for the WebAssembly binary format, just enough to adapt v86's
// release wasm in memory at load time: find functions by the name section, rewrite their
// bodies, and append mutable globals with exports. Spec: WebAssembly Core 1.0, section 5.
//
// Rewriting a body never breaks branches: wasm control flow is structured (labels, not byte
// offsets), so only the body size and the code section size must be re-encoded.

export class WasmFormatError extends Error {
  constructor(message: string) {
    super(`v86.wasm: ${message}`);
    this.name = "WasmFormatError";
  }
}

const SECTION = { custom: 0, type: 1, import: 2, function: 3, global: 6, export: 7, code: 10 } as const;
const EXTERN = { func: 0, table: 1, memory: 2, global: 3 } as const;

export function readUleb(buf: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new WasmFormatError("LEB128 runs past the end");
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
    if (shift > 35) throw new WasmFormatError("LEB128 too long");
  }
}

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

interface Section {
  id: number;
  payload: Uint8Array;
}

/** A parsed module whose code bodies can be replaced and to which globals can be added. */
export class WasmModule {
  private sections: Section[] = [];
  /** Function bodies (defined functions only), indexed by defined-function index. */
  private bodies: Uint8Array[] = [];
  private importedFuncs = 0;
  private importedGlobals = 0;
  private definedGlobals = 0;
  private newGlobals: { name: string; type: number; init: number[] }[] = [];
  readonly funcNames = new Map<string, number>();

  constructor(bytes: Uint8Array) {
    if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
      throw new WasmFormatError("not a WebAssembly module");
    }
    let pos = 8;
    while (pos < bytes.length) {
      const id = bytes[pos++]!;
      const [size, start] = readUleb(bytes, pos);
      if (start + size > bytes.length) throw new WasmFormatError(`section ${id} runs past the end`);
      this.sections.push({ id, payload: bytes.subarray(start, start + size) });
      pos = start + size;
    }
    this.readImports();
    this.readGlobals();
    this.readCode();
    this.readNames();
  }

  private section(id: number): Section | undefined {
    return this.sections.find((s) => s.id === id);
  }

  private readImports(): void {
    const s = this.section(SECTION.import);
    if (!s) return;
    const p = s.payload;
    let [count, pos] = readUleb(p, 0);
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < 2; k++) {
        const [len, next] = readUleb(p, pos);
        pos = next + len;
      }
      const kind = p[pos++]!;
      if (kind === EXTERN.func) {
        pos = readUleb(p, pos)[1];
        this.importedFuncs++;
      } else if (kind === EXTERN.table) {
        pos++; // reftype
        const flags = p[pos++]!;
        pos = readUleb(p, pos)[1];
        if (flags & 1) pos = readUleb(p, pos)[1];
      } else if (kind === EXTERN.memory) {
        const flags = p[pos++]!;
        pos = readUleb(p, pos)[1];
        if (flags & 1) pos = readUleb(p, pos)[1];
      } else if (kind === EXTERN.global) {
        pos += 2;
        this.importedGlobals++;
      } else {
        throw new WasmFormatError(`unknown import kind ${kind}`);
      }
    }
  }

  private readGlobals(): void {
    const s = this.section(SECTION.global);
    this.definedGlobals = s ? readUleb(s.payload, 0)[0] : 0;
  }

  private readCode(): void {
    const s = this.section(SECTION.code);
    if (!s) throw new WasmFormatError("no code section");
    const p = s.payload;
    let [count, pos] = readUleb(p, 0);
    for (let i = 0; i < count; i++) {
      const [size, start] = readUleb(p, pos);
      this.bodies.push(p.subarray(start, start + size));
      pos = start + size;
    }
  }

  private readNames(): void {
    for (const s of this.sections) {
      if (s.id !== SECTION.custom) continue;
      const p = s.payload;
      const [nlen, npos] = readUleb(p, 0);
      if (new TextDecoder().decode(p.subarray(npos, npos + nlen)) !== "name") continue;
      let pos = npos + nlen;
      while (pos < p.length) {
        const sub = p[pos++]!;
        const [size, start] = readUleb(p, pos);
        if (sub === 1) {
          let [count, q] = readUleb(p, start);
          for (let i = 0; i < count; i++) {
            const [idx, q1] = readUleb(p, q);
            const [len, q2] = readUleb(p, q1);
            this.funcNames.set(new TextDecoder().decode(p.subarray(q2, q2 + len)), idx);
            q = q2 + len;
          }
        }
        pos = start + size;
      }
    }
    if (this.funcNames.size === 0) throw new WasmFormatError("no function name section (a stripped build?)");
  }

  /** Function index of a named function; throws when the name is absent. */
  funcIndex(name: string): number {
    const idx = this.funcNames.get(name);
    if (idx === undefined) throw new WasmFormatError(`function ${name} not found`);
    return idx;
  }

  /** The one function whose name ends with `fragment` (Rust mangled names embed the path and a crate hash). */
  funcIndexEndingWith(fragment: string): number {
    const hits = [...this.funcNames].filter(([n]) => n.endsWith(fragment));
    if (hits.length !== 1) throw new WasmFormatError(`expected one function matching ${fragment}, found ${hits.length}`);
    return hits[0]![1];
  }

  body(funcIndex: number): Uint8Array {
    const b = this.bodies[funcIndex - this.importedFuncs];
    if (!b) throw new WasmFormatError(`function ${funcIndex} has no body`);
    return b;
  }

  /** Indices of every function the module defines (not its imports). */
  definedFunctions(): number[] {
    return this.bodies.map((_, i) => i + this.importedFuncs);
  }

  setBody(funcIndex: number, body: Uint8Array): void {
    this.body(funcIndex);
    this.bodies[funcIndex - this.importedFuncs] = body;
  }

  /** Appends an exported mutable i32 global and returns its index. */
  addMutableI32(exportName: string, initial: number): number {
    this.newGlobals.push({ name: exportName, type: 0x7f, init: [0x41, ...sleb(initial)] });
    return this.importedGlobals + this.definedGlobals + this.newGlobals.length - 1;
  }

  /** Exports an existing global (e.g. the Rust shadow stack pointer) under a new name. */
  private extraExports: { name: string; kind: number; index: number }[] = [];
  exportGlobal(exportName: string, globalIndex: number): void {
    this.extraExports.push({ name: exportName, kind: EXTERN.global, index: globalIndex });
  }

  encode(): Uint8Array<ArrayBuffer> {
    const out = new ByteSink();
    out.bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const enc = new TextEncoder();
    let sawGlobal = false;
    const section = (id: number, parts: ArrayLike<number>[]): void => {
      const size = parts.reduce((n, p) => n + p.length, 0);
      out.bytes([id, ...uleb(size)]);
      for (const p of parts) out.bytes(p);
    };
    const globalSection = (old?: Uint8Array): ArrayLike<number>[] => {
      const [count, pos] = old ? readUleb(old, 0) : [0, 0];
      const tail: number[] = [];
      for (const g of this.newGlobals) tail.push(g.type, 1, ...g.init, 0x0b);
      return [uleb(count + this.newGlobals.length), old ? old.subarray(pos) : [], tail];
    };
    for (const s of this.sections) {
      if (s.id === SECTION.export && !sawGlobal && this.newGlobals.length) {
        section(SECTION.global, globalSection());
        sawGlobal = true;
      }
      if (s.id === SECTION.global) {
        section(SECTION.global, globalSection(s.payload));
        sawGlobal = true;
      } else if (s.id === SECTION.export) {
        const [count, pos] = readUleb(s.payload, 0);
        const exports = [
          ...this.newGlobals.map((g, i) => ({
            name: g.name,
            kind: EXTERN.global as number,
            index: this.importedGlobals + this.definedGlobals + i,
          })),
          ...this.extraExports,
        ];
        const tail: number[] = [];
        for (const e of exports) {
          const n = enc.encode(e.name);
          tail.push(...uleb(n.length), ...n, e.kind, ...uleb(e.index));
        }
        section(SECTION.export, [uleb(count + exports.length), s.payload.subarray(pos), tail]);
      } else if (s.id === SECTION.code) {
        const parts: ArrayLike<number>[] = [uleb(this.bodies.length)];
        for (const b of this.bodies) parts.push(uleb(b.length), b);
        section(SECTION.code, parts);
      } else {
        section(s.id, [s.payload]);
      }
    }
    return out.finish();
  }
}

/** An append-only byte buffer (spreading megabytes into an array would overflow the stack). */
class ByteSink {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(1 << 20);
  private len = 0;
  bytes(data: ArrayLike<number>): void {
    if (this.len + data.length > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + data.length));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(data, this.len);
    this.len += data.length;
  }
  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

/** Finds every occurrence of `pattern` in `hay`. */
export function findAll(hay: Uint8Array, pattern: readonly number[]): number[] {
  const hits: number[] = [];
  if (pattern.length === 0) return hits;
  // Buffer.indexOf is a native search, ~10x faster than a loop over the bytes: every JIT module
  // v86 generates (up to ~220 KiB) is searched on the thread that runs the guest.
  const h = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength);
  const p = Buffer.from(pattern);
  for (let i = h.indexOf(p); i !== -1; i = h.indexOf(p, i + 1)) hits.push(i);
  return hits;
}

/** Replaces the occurrences of `pattern` in a body; `expect` is the exact count that must match. */
export function replaceInBody(body: Uint8Array, pattern: readonly number[], replacement: readonly number[], expect: number, what: string): Uint8Array {
  const hits = findAll(body, pattern);
  if (hits.length !== expect) {
    throw new WasmFormatError(`patch "${what}": expected ${expect} match(es) of its byte pattern, found ${hits.length}; ` + `the pinned v86 build has changed`);
  }
  const out = new ByteSink();
  let last = 0;
  for (const h of hits) {
    out.bytes(body.subarray(last, h));
    out.bytes(replacement);
    last = h + pattern.length;
  }
  out.bytes(body.subarray(last));
  return out.finish();
}
