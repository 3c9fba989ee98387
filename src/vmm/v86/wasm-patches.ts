// The load-time, in-memory adaptation of v86's release wasm that gives the LVMM exact control
// (../shared/docs/v86-notes.md, "Execution control"). The shipped binary is never modified.
// Every patch matches a byte pattern an exact number of times inside a named function and
// fails loudly otherwise, so a different v86 build cannot be adapted silently.
import { WasmModule, findAll, replaceInBody, sleb, uleb, readUleb, WasmFormatError } from "./wasm-binary";

/** Addresses of v86's global_pointers.rs statics that the patches touch; checked at start-up. */
export const V86_STATIC = {
  instructionPointer: 556,
  inHlt: 616,
  instructionCounter: 664,
  jitBlockBoundary: 37376,
} as const;

/**
 * v86's read_tsc statics (cpu.rs), all u64. Between two changes of microtick (for us: between
 * two sync points) read_tsc extrapolates from how many times the guest read it, a browser
 * workaround whose counters are not in save_state, and which save_state (store_current_tsc)
 * and restore_state (set_tsc) themselves advance. Snapshots save and put back these five, so a
 * restored machine reads the same TSC values the original did. Checked in read_tsc's code.
 */
export const V86_TSC_STATIC = {
  offset: 37352,
  lastValue: 37360,
  resolution: 35464,
  sameReadings: 49152,
  speed: 35480,
} as const;

/**
 * Instructions a compiled JIT module may run before it checks its loop budget at a loop head,
 * near a target: small, so a fast slice overshoots its budget by little. Each check that fails
 * is an exit to main_loop and a re-entry (a few percent of a compute loop at 1,000), so far
 * from a target the executor lets modules run FAR_JIT_LOOP_BUDGET instead (as stock v86's
 * 100,003 does) and stops its slice that much earlier.
 */
export const JIT_LOOP_BUDGET = 1000;
export const FAR_JIT_LOOP_BUDGET = 100_000;

/**
 * What the code generator emits as the compiled loop budget: not a budget but a marker (a 5-byte
 * LEB128 constant) that rewriteJitModule turns into a load of the budget cell, so that the
 * executor can change the budget per slice.
 */
export const JIT_BUDGET_MARKER = 0x4c564d4d;
/** The loop-safety check as v86 generates it: local.get <instruction counter>; i32.const <budget>; i32.ge_u; br_if. */
const COUNTER_LOCAL = 9;

export interface PatchedV86 {
  bytes: Uint8Array<ArrayBuffer>;
  /** Export names of the control globals the patches added. */
  globals: {
    /** do_many_cycles_native's budget: instructions per main_loop call (was LOOP_COUNTER). */
    budget: string;
    /** The interpreter's iteration limit (was INTERPRETER_ITERATION_LIMIT). */
    interpLimit: string;
    /** 1: the interpreter stops at interpLimit even without a backward jump (exact counting). */
    exact: string;
    /** 0: never enter JIT-compiled code (exact mode), 1: use it. */
    jitOn: string;
    /** 1: 0xCC stops the machine (debugger breakpoints); 0: INT3 goes to the guest IDT. */
    bpArmed: string;
    /** Set to 1 by a breakpoint stop. */
    bpHit: string;
    /**
     * Address (in v86's memory) of a byte per 128 KiB block of the physical address space: 1 if
     * the block is served by JS handlers (v86's memory_map_*), as the VGA window always is.
     */
    mappedBlocks: string;
    /** Set to 1 by a rep string instruction that took the fast path with an operand in a block under a read watchpoint. */
    repLoad: string;
    /** Rust's shadow stack pointer, restored after a wasm trap (a guest fault v86 cannot model). */
    stackPointer: string;
    /** Bit n set: stop after delivering CPU exception vector n to the guest. */
    excMask: string;
    /** Set to 1 when a masked exception was delivered; excVector/excError describe it. */
    excHit: string;
    excVector: string;
    /** The exception's error code, or -1 when it has none. */
    excError: string;
  };
}

const OP = {
  i32load: 0x28,
  i32store: 0x36,
  i32store8: 0x3a,
  i32const: 0x41,
  i64const: 0x42,
  f64const: 0x44,
  globalGet: 0x23,
  globalSet: 0x24,
  localGet: 0x20,
  localTee: 0x22,
  call: 0x10,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  void: 0x40,
  i32sub: 0x6b,
  i32mul: 0x6c,
  i32or: 0x72,
  i32ltU: 0x49,
  i32geU: 0x4f,
  brIf: 0x0d,
} as const;

const LOOP_COUNTER = 100_003;
const INTERPRETER_ITERATION_LIMIT = 100_001;
const TLB_CODE = 49_180;

function i32const(v: number): number[] {
  return [OP.i32const, ...sleb(v)];
}
function mem(op: number, align: number, offset: number): number[] {
  return [op, align, ...uleb(offset)];
}
/** LLVM encodes addresses of statics as 5-byte padded LEB128 (relocatable form). */
function leb5(v: number): number[] {
  return [0, 7, 14, 21, 28].map((sh, i) => ((v >>> sh) & 0x7f) | (i < 4 ? 0x80 : 0));
}
function f64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [OP.f64const, ...b];
}

/** Splits a function body into its local declarations and its expression (ending in `end`). */
function splitBody(body: Uint8Array): [locals: Uint8Array, expr: Uint8Array] {
  let [groups, pos] = readUleb(body, 0);
  for (let i = 0; i < groups; i++) {
    pos = readUleb(body, pos)[1] + 1;
  }
  if (body[body.length - 1] !== OP.end) throw new WasmFormatError("function body does not end with `end`");
  return [body.subarray(0, pos), body.subarray(pos)];
}

export function patchV86Wasm(original: Uint8Array): PatchedV86 {
  const m = new WasmModule(original);
  const g = {
    budget: m.addMutableI32("lvmm_budget", LOOP_COUNTER),
    interpLimit: m.addMutableI32("lvmm_interp_limit", INTERPRETER_ITERATION_LIMIT),
    exact: m.addMutableI32("lvmm_exact", 0),
    jitOn: m.addMutableI32("lvmm_jit_on", 1),
    bpArmed: m.addMutableI32("lvmm_bp_armed", 0),
    bpHit: m.addMutableI32("lvmm_bp_hit", 0),
    excMask: m.addMutableI32("lvmm_exc_mask", 0),
    excHit: m.addMutableI32("lvmm_exc_hit", 0),
    excVector: m.addMutableI32("lvmm_exc_vector", 0),
    excError: m.addMutableI32("lvmm_exc_error", 0),
    mappedBlocks: m.addMutableI32("lvmm_mapped_blocks", 0),
    repLoad: m.addMutableI32("lvmm_rep_load", 0),
    scratch: m.addMutableI32("lvmm_scratch", 0),
  };
  // __stack_pointer is the module's first defined global (index 0: it imports no globals).
  m.exportGlobal("lvmm_stack_pointer", 0);

  checkTscStatics(m);

  // main_loop inlines do_many_cycles_native, cycle_internal and jit_run_interpreted.
  const mainLoop = m.funcIndex("main_loop");
  let body = m.body(mainLoop);
  body = replaceInBody(body, i32const(LOOP_COUNTER), [OP.globalGet, ...uleb(g.budget)], 1, "LOOP_COUNTER");
  // `if i >= LIMIT && start_eip >= eip { break }` becomes `if i >= limit && (start_eip >= eip || exact)`.
  body = replaceInBody(
    body,
    [OP.localGet, 11, ...i32const(INTERPRETER_ITERATION_LIMIT), OP.i32ltU, OP.brIf, 0, OP.localGet, 9, OP.localGet, 3, OP.i32geU],
    [OP.localGet, 11, OP.globalGet, ...uleb(g.interpLimit), OP.i32ltU, OP.brIf, 0, OP.localGet, 9, OP.localGet, 3, OP.i32geU, OP.globalGet, ...uleb(g.exact), OP.i32or],
    1,
    "INTERPRETER_ITERATION_LIMIT",
  );
  // TIME_PER_FRAME 1.0 -> -1.0: main_loop returns after one budget of instructions; the host
  // decides when the next one runs.
  body = replaceInBody(body, f64(1.0), f64(-1.0), 1, "TIME_PER_FRAME");
  // Both tlb_code look-ups yield "no compiled code" while jit_on is 0.
  const tlbLoad = [OP.i32load, 2, ...leb5(TLB_CODE)];
  body = replaceInBody(body, tlbLoad, [...tlbLoad, OP.globalGet, ...uleb(g.jitOn), OP.i32mul], 1, "tlb_code entry");
  const tlbRecheck = [OP.i32const, ...leb5(TLB_CODE), 0x6a /* i32.add */, ...mem(OP.i32load, 2, 0)];
  body = replaceInBody(body, tlbRecheck, [...tlbRecheck, OP.globalGet, ...uleb(g.jitOn), OP.i32mul], 1, "tlb_code re-check");
  // v86 notes where each interpreted run began as an entry point of its page (unless it is in
  // the page's last 16 bytes) and recompiles the page once it is hot and has a new entry. An STI
  // at offset 0xFEF is never compiled: its block would end right after it, in those 16 bytes,
  // so v86 leaves it to the interpreter. Noted as an entry all the same, it stayed "new" for
  // good, and the page was compiled again, to the same module, every 200,000 interpreted
  // instructions: every ~1.5 s under load for the guest's e1000_transmit (10-30 ms each on
  // the engine's thread, compile and first runs). Entry points now end at 0xFEE.
  body = replaceInBody(
    body,
    [OP.localGet, 13, ...i32const(0xff0), 0x71 /* i32.and */, ...i32const(0xff0), 0x46 /* i32.eq */, OP.brIf, 0],
    [OP.localGet, 13, ...i32const(0xfff), 0x71, ...i32const(0xfef), OP.i32geU, OP.brIf, 0],
    1,
    "entry point at the end of a page",
  );
  m.setBody(mainLoop, body);

  // in_mapped_range, inlined wherever v86 touches memory (a page walk marks a TLB entry "mapped"
  // from it, so compiled code takes the slow path there too), asks "is this the VGA block?"
  // ((addr & ~0x1FFFF) == 0xA0000). It now reads a byte per 128 KiB block from a table the
  // LVMM fills: the VGA block, and the blocks of RAM under a read watchpoint, whose accesses
  // then reach JS handlers (read-watch.ts).
  patchMappedRange(m, g);
  // read64s of a mapped address sign-extends its low half before it ORs in the high one, so a
  // low word with bit 31 set filled the high word with ones (a GDT entry read so made `ltr` fail
  // with "not a system entry"). Stock v86 never reads descriptors from mapped memory; read
  // watchpoints do.
  const read64s = m.funcIndexEndingWith("6memory7read64s");
  m.setBody(read64s, replaceInBody(m.body(read64s), [OP.localGet, 1, 0xac /* i64.extend_i32_s */, 0x21, 2], [OP.localGet, 1, 0xad /* i64.extend_i32_u */, 0x21, 2], 1, "read64s's low half"));

  // Compiled modules check a baked-in loop budget at loop heads (i64 in the code generator): the
  // marker, which rewriteJitModule turns into a load of the budget cell.
  const gen = m.funcIndexEndingWith("3jit19jit_generate_module");
  m.setBody(gen, replaceInBody(m.body(gen), [OP.i64const, ...sleb(LOOP_COUNTER)], [OP.i64const, ...sleb(JIT_BUDGET_MARKER)], 2, "JIT LOOP_COUNTER"));

  // INT3: while breakpoints are armed, a 0xCC rewinds EIP onto itself, uncounts itself, marks
  // a hit and halts the loop instead of entering the guest's IDT.
  const cc = m.funcIndex("instr_CC");
  const [locals, expr] = splitBody(m.body(cc));
  const hit = [
    OP.globalGet,
    ...uleb(g.bpArmed),
    OP.if,
    OP.void,
    ...i32const(0),
    ...i32const(0),
    ...mem(OP.i32load, 2, V86_STATIC.instructionPointer),
    ...i32const(1),
    OP.i32sub,
    ...mem(OP.i32store, 2, V86_STATIC.instructionPointer),
    ...i32const(0),
    ...i32const(0),
    ...mem(OP.i32load, 2, V86_STATIC.instructionCounter),
    ...i32const(1),
    OP.i32sub,
    ...mem(OP.i32store, 2, V86_STATIC.instructionCounter),
    ...i32const(0),
    ...i32const(1),
    ...mem(OP.i32store8, 0, V86_STATIC.inHlt),
    ...i32const(0),
    ...i32const(1),
    ...mem(OP.i32store8, 0, V86_STATIC.jitBlockBoundary),
    ...i32const(1),
    OP.globalSet,
    ...uleb(g.bpHit),
    OP.else,
  ];
  const ccBody = new Uint8Array(locals.length + hit.length + expr.length + 1);
  ccBody.set(locals, 0);
  ccBody.set(hit, locals.length);
  ccBody.set(expr.subarray(0, expr.length - 1), locals.length + hit.length);
  ccBody.set([OP.end, OP.end], locals.length + hit.length + expr.length - 1);
  m.setBody(cc, ccBody);

  // The interpreter inlines INT3 as call_interrupt_vector(3, true, None): route it to instr_CC.
  const interp = m.funcIndexEndingWith("3gen11interpreter3run");
  const civ = m.funcIndexEndingWith("3cpu21call_interrupt_vector");
  m.setBody(interp, replaceInBody(m.body(interp), [...i32const(3), ...i32const(1), ...i32const(0), OP.localGet, 1, OP.call, ...leb5(civ)], [OP.call, ...uleb(cc)], 1, "interpreter INT3"));

  // CPU exceptions: call_interrupt_vector(nr, is_software, has_error, error) notes the first
  // masked exception and halts the loop, then delivers it as usual. The stop lands on the
  // guest's handler, so stopping never changes what the guest computes.
  const [civLocals, civExpr] = splitBody(m.body(civ));
  const lget = (n: number): number[] => [OP.localGet, n];
  const note = [
    OP.globalGet,
    ...uleb(g.excMask),
    ...lget(0),
    0x76 /* i32.shr_u */,
    ...i32const(1),
    0x71 /* i32.and */,
    ...lget(1),
    0x45 /* i32.eqz */,
    0x71,
    ...lget(0),
    ...i32const(32),
    OP.i32ltU,
    0x71,
    OP.globalGet,
    ...uleb(g.excHit),
    0x45,
    0x71,
    OP.if,
    OP.void,
    ...lget(0),
    OP.globalSet,
    ...uleb(g.excVector),
    ...lget(3),
    ...i32const(-1),
    ...lget(2),
    0x1b /* select */,
    OP.globalSet,
    ...uleb(g.excError),
    ...i32const(0),
    ...i32const(1),
    ...mem(OP.i32store8, 0, V86_STATIC.inHlt),
    ...i32const(0),
    ...i32const(1),
    ...mem(OP.i32store8, 0, V86_STATIC.jitBlockBoundary),
    ...i32const(1),
    OP.globalSet,
    ...uleb(g.excHit),
    OP.end,
  ];
  const civBody = new Uint8Array(civLocals.length + note.length + civExpr.length);
  civBody.set(civLocals, 0);
  civBody.set(note, civLocals.length);
  civBody.set(civExpr, civLocals.length + note.length);
  m.setBody(civ, civBody);

  return {
    bytes: m.encode(),
    globals: {
      budget: "lvmm_budget",
      interpLimit: "lvmm_interp_limit",
      exact: "lvmm_exact",
      jitOn: "lvmm_jit_on",
      bpArmed: "lvmm_bp_armed",
      bpHit: "lvmm_bp_hit",
      stackPointer: "lvmm_stack_pointer",
      excMask: "lvmm_exc_mask",
      excHit: "lvmm_exc_hit",
      excVector: "lvmm_exc_vector",
      excError: "lvmm_exc_error",
      mappedBlocks: "lvmm_mapped_blocks",
      repLoad: "lvmm_rep_load",
    },
  };
}

/** Occurrences of each form of the inlined VGA-block test in the pinned build (all functions). */
const MAPPED_RANGE_TESTS = { eq: 168, teeEq: 95, ne: 2 };
/**
 * The block-table test for a masked address on the stack: its byte (addr >> 17, plus the table's
 * address), as a boolean. Outside rep string instructions any non-zero byte counts (the VGA
 * window: 1; a block under a read watchpoint: 2); inside them only the VGA window's, so a rep
 * string instruction takes v86's fast path over watched RAM as over any RAM. Its slow path
 * counts a whole rep as one instruction where the fast path counts one per page: with watched
 * blocks "mapped" there, re-executing with a read watchpoint set diverged from the run it
 * re-executes. The fast path's loads reach no handler, so a rep string instruction that may load
 * from a watched block (movs, cmps, lods, scas, outs) sets `repLoad` instead; which bytes it
 * loaded, the watchpoints work out from its registers (watchpoints.ts).
 */
function blockTest(g: { mappedBlocks: number; repLoad: number; scratch: number }, kind: "any" | "rep" | "rep-load"): number[] {
  const load = [...i32const(17), 0x76 /* i32.shr_u */, OP.globalGet, ...uleb(g.mappedBlocks), 0x6a /* i32.add */, 0x2d /* i32.load8_u */, 0, 0];
  const vgaOnly = [...i32const(1), 0x71 /* i32.and */];
  if (kind === "any") return [...load, ...i32const(0), 0x47 /* i32.ne */];
  if (kind === "rep") return [...load, ...vgaOnly];
  const get = [OP.globalGet, ...uleb(g.scratch)];
  return [...load, OP.globalSet, ...uleb(g.scratch), ...get, ...i32const(2), 0x46 /* i32.eq */, OP.if, OP.void, ...i32const(1), OP.globalSet, ...uleb(g.repLoad), OP.end, ...get, ...vgaOnly];
}
/** v86's rep string instructions (string.rs's string_instruction, inlined in each), and those of them that load. */
const REP_STRING = /(movs|cmps|stos|lods|scas|ins|outs)[bwd]_rep(n?z)?$/;
const REP_LOADS = /(movs|cmps|lods|scas|outs)[bwd]_rep(n?z)?$/;

function patchMappedRange(m: WasmModule, g: { mappedBlocks: number; repLoad: number; scratch: number }): void {
  const mask = [...i32const(-131072), 0x71 /* i32.and */];
  const vga = i32const(0xa0000);
  const counts = { eq: 0, teeEq: 0, ne: 0 };
  const nameOf = new Map([...m.funcNames].map(([n, i]) => [i, n]));
  for (const f of m.definedFunctions()) {
    let body = m.body(f);
    const name = nameOf.get(f) ?? "";
    const test = blockTest(g, REP_LOADS.test(name) ? "rep-load" : REP_STRING.test(name) ? "rep" : "any");
    const eq = findAll(body, [...mask, ...vga, 0x46]).length;
    const ne = findAll(body, [...mask, ...vga, 0x47]).length;
    const tees = new Set<number>();
    for (const at of findAll(body, [...mask, OP.localTee])) {
      const local = body[at + mask.length + 1]!;
      if (local < 0x80 && findAll(body.subarray(at, at + mask.length + 2 + vga.length + 1), [...mask, OP.localTee, local, ...vga, 0x46]).length) tees.add(local);
    }
    if (!eq && !ne && !tees.size) continue;
    if (eq) body = replaceInBody(body, [...mask, ...vga, 0x46], [...mask, ...test], eq, "in_mapped_range");
    if (ne) body = replaceInBody(body, [...mask, ...vga, 0x47], [...mask, ...test, 0x45 /* i32.eqz */], ne, "in_mapped_range (negated)");
    for (const local of tees) {
      const pattern = [...mask, OP.localTee, local, ...vga, 0x46];
      const n = findAll(body, pattern).length;
      body = replaceInBody(body, pattern, [...mask, OP.localTee, local, ...test], n, "in_mapped_range (kept)");
      counts.teeEq += n;
    }
    counts.eq += eq;
    counts.ne += ne;
    m.setBody(f, body);
  }
  if (counts.eq !== MAPPED_RANGE_TESTS.eq || counts.teeEq !== MAPPED_RANGE_TESTS.teeEq || counts.ne !== MAPPED_RANGE_TESTS.ne) {
    throw new WasmFormatError(`in_mapped_range's inlined VGA-block test: found ${JSON.stringify(counts)}, expected ${JSON.stringify(MAPPED_RANGE_TESTS)}: this v86 build is not the pinned one`);
  }
}

/** Fails loudly unless read_tsc loads each V86_TSC_STATIC address (a different build moved them). */
function checkTscStatics(m: WasmModule): void {
  const body = m.body(m.funcIndex("read_tsc"));
  const I64_LOAD = 0x29;
  for (const [name, addr] of Object.entries(V86_TSC_STATIC)) {
    const pattern = [OP.i32const, 0, I64_LOAD, 3, ...leb5(addr)];
    const found = body.some((_, i) => pattern.every((b, k) => body[i + k] === b));
    if (!found) throw new WasmFormatError(`read_tsc does not load the TSC static "${name}" at ${addr}: this v86 build is not the pinned one`);
  }
}

/**
 * A module v86's code generator produced, made to read its loop budget from the 4-byte cell at
 * `budgetAddr` in v86's memory (which generated modules import) at each loop-safety check:
 * `local.get 9; i32.const MARKER; i32.ge_u; br_if` becomes `local.get 9; i32.const ADDR;
 * i32.load; i32.ge_u; br_if`. Local 9 is the module's instruction counter (its parameter, then
 * the eight register locals, then the counter, set to 0 in the prologue); the marker is a 5-byte
 * constant, and a guest compare never uses that local. A module whose checks look otherwise is
 * refused (WasmFormatError): the pinned v86 build has changed.
 */
export function rewriteJitModule(code: Uint8Array<ArrayBuffer>, budgetAddr: number): Uint8Array<ArrayBuffer> {
  const marker = [OP.i32const, ...sleb(JIT_BUDGET_MARKER)];
  const check = [OP.localGet, COUNTER_LOCAL, ...marker, OP.i32geU, OP.brIf];
  const load = Uint8Array.from([OP.i32const, ...sleb(budgetAddr), OP.i32load, 2, 0]);
  if (code.length < 8 || code[0] !== 0 || code[1] !== 0x61) return code;
  let pos = 8;
  while (pos < code.length) {
    const id = code[pos]!;
    const [size, start] = readUleb(code, pos + 1);
    if (id !== 10) {
      pos = start + size;
      continue;
    }
    // The code section: each body rewritten, the sections around it as they are.
    const payload = code.subarray(start, start + size);
    const [count, first] = readUleb(payload, 0);
    const parts: Uint8Array[] = [Uint8Array.from(uleb(count))];
    let q = first;
    for (let i = 0; i < count; i++) {
      const [len, b] = readUleb(payload, q);
      const body = payload.subarray(b, b + len);
      q = b + len;
      const checks = findAll(body, check).map((at) => at + 2);
      if (!checks.length) {
        parts.push(Uint8Array.from(uleb(len)), body);
        continue;
      }
      // Every module checks at its top, after the prologue zeroed the counter; a marker
      // elsewhere (a guest constant that happens to equal it) is left alone.
      if (findAll(body, [OP.localGet, COUNTER_LOCAL, ...marker]).length !== checks.length || !findAll(body.subarray(0, checks[0]), [OP.i32const, 0, 0x21 /* local.set */, COUNTER_LOCAL]).length) {
        throw new WasmFormatError(
          "a generated JIT module's loop-safety checks are not the expected local.get 9 / i32.const budget / i32.ge_u / br_if after the counter's zeroing: the pinned v86 build has changed",
        );
      }
      const pieces: Uint8Array[] = [];
      let last = 0;
      for (const m of checks) {
        pieces.push(body.subarray(last, m), load);
        last = m + marker.length;
      }
      pieces.push(body.subarray(last));
      const rewritten = concat(pieces);
      parts.push(Uint8Array.from(uleb(rewritten.length)), rewritten);
    }
    const newPayload = concat(parts);
    return concat([code.subarray(0, pos + 1), Uint8Array.from(uleb(newPayload.length)), newPayload, code.subarray(start + size)]);
  }
  return code;
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
