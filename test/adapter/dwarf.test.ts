// DWARF reader tests on gcc's real output (DWARF 4 and 5, -O0 and -O2), cross-checked with
// objdump/nm, and with gdb stopped in the running fixture for unwinding and variable values
// (the fixture runs under qemu-i386's gdbstub, so the host kernel needs no 32-bit support).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { qemuUserAvailable, startGdbstub } from "../helpers/qemu-gdbstub.js";
import { ElfError, ElfFile } from "../../src/vmm/elf.js";
import { DebugInfo, DwarfError, evaluateLocation, I386, membersOf, resolveType, sizeOf, typeName, type DwarfType, type Frame, type MemoryReader } from "../../src/adapter/dwarf/index.js";

const FIXTURES = new URL("../fixtures/dwarf/", import.meta.url).pathname;
const FLOW = join(FIXTURES, "flow.c");
const BASE_FLAGS = ["-m32", "-ffreestanding", "-fno-pie", "-fno-omit-frame-pointer", "-nostdlib", "-g"];

interface Build {
  name: string;
  path: string;
  bytes: Uint8Array;
  di: DebugInfo;
  optimized: boolean;
}

const CONFIGS = [
  { name: "dwarf4-O0", flags: ["-gdwarf-4", "-O0"] },
  { name: "dwarf5-O0", flags: ["-gdwarf-5", "-O0"] },
  { name: "dwarf4-O2", flags: ["-gdwarf-4", "-O2"] },
  { name: "dwarf5-O2", flags: ["-gdwarf-5", "-O2"] },
  // -fno-asynchronous-unwind-tables makes gcc emit .debug_frame instead of .eh_frame.
  { name: "dwarf5-O0-debug_frame", flags: ["-gdwarf-5", "-O0", "-fno-asynchronous-unwind-tables"] },
  { name: "dwarf4-O2-debug_frame", flags: ["-gdwarf-4", "-O2", "-fno-asynchronous-unwind-tables"] },
];

let dir: string;
const builds: Build[] = [];
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });

before(() => {
  dir = mkdtempSync(join(tmpdir(), "dwarf-test-"));
  for (const c of CONFIGS) {
    const objs = ["flow", "types"].map((f) => {
      const o = join(dir, `${f}-${c.name}.o`);
      run("gcc", [...BASE_FLAGS, ...c.flags, "-c", join(FIXTURES, `${f}.c`), "-o", o]);
      return o;
    });
    const path = join(dir, c.name);
    run("ld", ["-m", "elf_i386", "-e", "_start", ...objs, "-o", path]);
    const bytes = readFileSync(path);
    builds.push({ name: c.name, path, bytes, di: DebugInfo.load(bytes), optimized: c.flags.includes("-O2") });
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

const O0 = () => builds.filter((b) => !b.optimized);
const O2 = () => builds.filter((b) => b.optimized);
const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);

function nmSymbols(path: string): Map<string, { addr: number; size: number; kind: string }> {
  const out = new Map<string, { addr: number; size: number; kind: string }>();
  for (const line of run("nm", ["-S", path]).trim().split("\n")) {
    const p = line.split(/\s+/);
    if (p.length === 4) out.set(p[3]!, { addr: parseInt(p[0]!, 16), size: parseInt(p[1]!, 16), kind: p[2]! });
  }
  return out;
}

/** Line of flow.c containing `text` (1-based), so tests do not hard-code line numbers. */
function flowLine(text: string): number {
  const i = readFileSync(FLOW, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text));
  assert.ok(i >= 0, text);
  return i + 1;
}

/** Memory of the linked image: loadable segments (code, data, initial globals). */
function imageMemory(bytes: Uint8Array, extra: { base: number; data: Uint8Array }[] = []): MemoryReader {
  const elf = ElfFile.parse(bytes);
  const regions = [
    ...extra,
    ...elf.loadSegments.map((p) => {
      const data = new Uint8Array(p.memsz);
      data.set(bytes.subarray(p.offset, p.offset + p.filesz));
      return { base: p.vaddr, data };
    }),
  ];
  return (addr, len) => {
    for (const r of regions) if (addr >= r.base && addr + len <= r.base + r.data.length) return r.data.subarray(addr - r.base, addr - r.base + len);
    return undefined;
  };
}

describe("line table", () => {
  it("matches objdump --dwarf=decodedline row for row", () => {
    for (const b of builds) {
      const expected: string[] = [];
      for (const line of run("objdump", ["--dwarf=decodedline", b.path]).split("\n")) {
        const m = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+\d+)?\s*(x)?\s*$/.exec(line);
        if (m) expected.push(m[2] === "-" ? `end ${Number(m[3])}` : `${m[1]} ${m[2]} ${Number(m[3])} ${m[4] ? "stmt" : ""}`);
      }
      const actual: string[] = [];
      for (const seq of b.di.lineTable().sequences) {
        for (const e of seq) actual.push(`${base(e.file)} ${e.line} ${e.address} ${e.isStmt ? "stmt" : ""}`);
        actual.push(`end ${seq[seq.length - 1]!.end}`);
      }
      assert.ok(expected.length > 50, `${b.name}: objdump rows`);
      assert.deepEqual(actual, expected, b.name);
    }
  });

  it("maps addresses to absolute paths joined from comp_dir and the directory table", () => {
    for (const b of builds) {
      const fact = b.di.functionByName("fact")!;
      const loc = b.di.addressToLine(fact.lowPc)!;
      assert.equal(loc.file, FLOW, b.name);
      assert.ok([fact.declLine, fact.declLine! + 1].includes(loc.line), b.name); // declarator or "{" line
      assert.ok(b.di.sourceFiles().includes(join(FIXTURES, "types.c")));
    }
  });

  it("snaps a breakpoint on a line without code to the next line with code", () => {
    for (const b of builds) {
      const brace = flowLine("int shadow = sq + 1;") - 1; // the block's "{" has no code
      const res = b.di.lineToAddresses("flow.c", brace)!;
      assert.equal(res.file, FLOW);
      assert.equal(res.requestedLine, brace);
      assert.equal(res.line, brace + 1, b.name);
      assert.ok(res.addresses.length >= 1);
      // At -O2 a zero-length row of the line may share its address with the next line's row.
      if (!b.optimized) for (const a of res.addresses) assert.equal(b.di.addressToLine(a)!.line, res.line, b.name);
      const rows = b.di.lineTable().sequences.flat();
      for (const a of res.addresses) assert.ok(rows.some((r) => r.address === a && r.line === res.line && r.isStmt));
      // The same query by absolute path and by a path with a different prefix.
      assert.deepEqual(b.di.lineToAddresses(FLOW, brace), res);
      assert.deepEqual(b.di.lineToAddresses("/elsewhere/dwarf/flow.c", brace), res);
      assert.equal(b.di.lineToAddresses("nonexistent.c", 3), undefined);
    }
    // At -O2 sum_squares is also inlined into main: one address per copy.
    for (const b of O2()) assert.ok(b.di.lineToAddresses("flow.c", flowLine("int shadow = sq + 1;"))!.addresses.length >= 2, b.name);
  });

  it("lists breakpoint locations only on lines with statements", () => {
    for (const b of builds) {
      const start = flowLine("int sum_squares(int n)");
      const end = flowLine("return total;") + 1;
      const locs = b.di.breakpointLocations("flow.c", start, end);
      const lines = locs.map((l) => l.line);
      assert.ok(lines.includes(flowLine("g_sink = shadow;")), b.name);
      assert.ok(!lines.includes(flowLine("int shadow = sq + 1;") - 1), `${b.name}: "{" line`);
      assert.deepEqual(
        lines,
        [...lines].sort((x, y) => x - y),
      );
    }
  });

  it("gives the address range of the current line for stepping", () => {
    for (const b of builds) {
      const fn = b.di.functionByName("sum_squares")!;
      for (let pc = fn.lowPc; pc < fn.highPc; pc++) {
        const r = b.di.lineRangeAt(pc)!;
        assert.ok(r.start <= pc && pc < r.end, `${b.name} ${pc.toString(16)}`);
        assert.equal(b.di.addressToLine(r.start)!.line, r.line);
        assert.equal(b.di.addressToLine(r.end - 1)!.line, r.line);
        const after = b.di.addressToLine(r.end);
        if (after) assert.ok(after.line !== r.line || after.file !== r.file || b.di.lineRangeAt(r.end)!.start === r.end);
      }
    }
  });
});

describe("functions", () => {
  it("have the names, ranges and sizes nm reports", () => {
    for (const b of builds) {
      const nm = nmSymbols(b.path);
      for (const name of ["fact", "sum_squares", "counter_next", "main", "_start", "add", "use_types"]) {
        const f = b.di.functionByName(name)!;
        const s = nm.get(name)!;
        assert.ok(f, `${b.name}: ${name}`);
        assert.equal(f.lowPc, s.addr, `${b.name}: ${name} low`);
        assert.equal(f.highPc - f.lowPc, s.size, `${b.name}: ${name} size`);
        assert.equal(b.di.functionAt(s.addr + s.size - 1)?.name, name);
        assert.equal(f.declFile?.endsWith(name === "add" || name === "use_types" ? "types.c" : "flow.c"), true);
      }
      assert.equal(b.di.functionByName("fact")!.declLine, flowLine("int fact(int n)"));
      assert.deepEqual(
        b.di.functionByName("add")!.parameters.map((p) => `${typeName(p.type)} ${p.name}`),
        ["int a", "int b"],
      );
      assert.equal(typeName(b.di.functionByName("use_types")!.parameters[0]!.type), "struct device *");
    }
  });

  it("match the subprogram ranges in readelf --debug-dump=info", () => {
    for (const b of builds) {
      let checked = 0;
      for (const die of run("readelf", ["--debug-dump=info", b.path]).split(/\n(?= <\d+><)/)) {
        if (!die.includes("(DW_TAG_subprogram)")) continue;
        const low = /DW_AT_low_pc\s*: (0x[0-9a-f]+)/.exec(die);
        const high = /DW_AT_high_pc\s*: (0x[0-9a-f]+)/.exec(die);
        if (!low || !high) continue;
        const f = b.di.functionAt(Number(low[1]))!;
        assert.equal(f.lowPc, Number(low[1]), b.name);
        assert.equal(f.highPc, Number(low[1]) + Number(high[1]), b.name); // gcc emits high_pc as a length
        const name = /DW_AT_name\s*:(?: \(indirect string, offset: 0x\w+\):)? (\w+)/.exec(die);
        if (name) assert.equal(f.name, name[1], b.name);
        checked++;
      }
      assert.ok(checked >= 6, `${b.name}: ${checked} subprograms`);
    }
  });

  it("expose nested blocks and shadowing in scopeAt, innermost first", () => {
    for (const b of O0()) {
      const line = flowLine("g_sink = shadow;");
      const pc = b.di.lineToAddresses("flow.c", line)!.addresses[0]!;
      const names = b.di.scopeAt(pc).map((v) => v.name);
      assert.deepEqual(names, ["shadow", "sq", "i", "n", "total"], b.name);
      assert.equal(
        b.di.scopeAt(b.di.functionByName("sum_squares")!.lowPc).some((v) => v.name === "shadow"),
        false,
      );
    }
  });

  it("show inlined calls as frames with the call site", () => {
    for (const b of builds) {
      const line = flowLine("g_sink = x;");
      const res = b.di.lineToAddresses("flow.c", line)!;
      assert.equal(res.line, line, b.name);
      for (const pc of res.addresses) {
        const frames = b.di.inlineFramesAt(pc);
        assert.equal(frames[0]!.name, "square", b.name);
        assert.ok(frames[0]!.line! >= line && frames[0]!.line! <= line + 1, `${b.name}: line in square's body`);
        assert.equal(frames[0]!.inlined!.callLine, flowLine("int sq = square(i);"));
        assert.equal(frames[0]!.inlined!.callFile, FLOW);
        assert.equal(frames[1]!.name, "sum_squares", b.name);
        assert.equal(frames[1]!.line, flowLine("int sq = square(i);"));
        assert.equal(frames[frames.length - 1]!.inlined, undefined);
        assert.deepEqual(
          b.di.scopeAt(pc).map((v) => v.name),
          ["x"],
        );
      }
    }
  });

  it("return location lists with pc ranges for optimized code", () => {
    for (const b of O2()) {
      const vars = b.di.functions().flatMap((f) => f.variables.map((v) => ({ f, v })));
      const lists = vars.filter(({ v }) => v.location.kind === "list");
      assert.ok(lists.length >= 2, b.name);
      for (const { v } of lists) {
        if (v.location.kind !== "list") continue;
        assert.ok(v.location.entries.length >= 1);
        for (const e of v.location.entries) assert.ok(e.isDefault || e.high > e.low, `${b.name} ${v.name}`);
      }
    }
  });
});

describe("globals and types", () => {
  it("have the addresses nm reports, including static locals", () => {
    for (const b of builds) {
      const nm = nmSymbols(b.path);
      for (const name of ["g_packet", "g_word", "g_matrix", "s_counter", "g_name", "g_color", "g_device", "g_op", "g_sink"]) {
        assert.equal(b.di.globalByName(name)?.address, nm.get(name)!.addr, `${b.name}: ${name}`);
        assert.equal(sizeOf(b.di.globalByName(name)!.type), nm.get(name)!.size, `${b.name}: sizeof ${name}`);
      }
      const calls = b.di.globalByName("calls")!;
      assert.equal(calls.address, nm.get("calls.0")!.addr);
      assert.equal(calls.functionName, "counter_next", b.name);
      assert.equal(calls.external, false);
    }
  });

  it("render C type names", () => {
    for (const b of builds) {
      const t = (n: string) => b.di.globalByName(n)!.type;
      assert.equal(typeName(t("g_packet")), "struct packet");
      assert.equal(typeName(t("g_word")), "union word");
      assert.equal(typeName(t("g_matrix")), "int [3][4]");
      assert.equal(typeName(t("g_name")), "const char *");
      assert.equal(typeName(t("g_color")), "enum color");
      assert.equal(typeName(t("g_op")), "binop_fn");
      assert.equal(typeName(resolveType(t("g_op"))), "int (*)(int, int)");
      assert.equal(typeName(t("g_sink")), "volatile int");
    }
  });

  it("describe structs, bit fields, unions, enums and arrays", () => {
    for (const b of builds) {
      const packet = b.di.globalByName("g_packet")!.type;
      const m = Object.fromEntries(membersOf(packet).map((x) => [x.name, x]));
      assert.equal(sizeOf(packet), 28);
      assert.equal(typeName(m.id!.type), "u32");
      assert.equal(m.id!.offset, 0);
      assert.deepEqual([m.flags!.bitSize, m.flags!.bitOffset, m.flags!.offset], [3, 32, 4], b.name);
      assert.deepEqual([m.kind!.bitSize, m.kind!.bitOffset, m.kind!.offset], [5, 35, 4], b.name);
      assert.equal(m.len!.offset, 6);
      assert.equal(typeName(m.payload!.type), "char [16]");
      assert.equal(m.payload!.offset, 8);
      assert.equal(typeName(m.next!.type), "struct packet *");
      const next = resolveType(m.next!.type);
      assert.ok(next.kind === "pointer" && next.target === resolveType(packet), "self-reference is the same object");

      const device = b.di.globalByName("g_device")!.type;
      const d = Object.fromEntries(membersOf(device).map((x) => [x.name, x]));
      assert.equal(sizeOf(device), 68);
      assert.equal(typeName(d.regs!.type), "volatile u32 *");
      assert.equal(typeName(d.op!.type), "binop_fn");
      assert.equal(d.matrix!.offset, 20);
      assert.equal(
        membersOf(d.w!.type)
          .map((x) => `${typeName(x.type)} ${x.name}`)
          .join(", "),
        "u32 value, unsigned char [4] bytes",
      );

      const color = resolveType(b.di.globalByName("g_color")!.type) as Extract<DwarfType, { kind: "enum" }>;
      assert.deepEqual(color.enumerators, [
        { name: "RED", value: 0 },
        { name: "GREEN", value: 5 },
        { name: "BLUE", value: -1 },
      ]);
      const matrix = resolveType(b.di.globalByName("g_matrix")!.type);
      assert.ok(matrix.kind === "array");
      assert.deepEqual(
        matrix.dimensions.map((x) => x.count),
        [3, 4],
      );
    }
  });

  it("evaluate DW_OP_addr locations of globals against the image", () => {
    for (const b of builds) {
      const mem = imageMemory(b.bytes);
      const g = b.di.globalByName("g_matrix")!;
      const loc = b.di.locate(g, { pc: 0, regs: [] }, mem);
      assert.deepEqual(loc, { kind: "memory", address: g.address });
      const cell = mem(g.address! + (2 * 4 + 3) * 4, 4)!;
      const v = new DataView(cell.buffer, cell.byteOffset, 4).getInt32(0, true);
      assert.equal(v, 12);
    }
  });
});

describe("location expressions", () => {
  const regs = [10, 20, 30, 40, 0x1000, 0x2000, 60, 70, 0x8049000, 0x202];
  const ctx = {
    readRegister: (r: number) => regs[r],
    readMemory: (a: number, n: number) => (a === 0x1ffc && n === 4 ? Uint8Array.of(0x78, 0x56, 0x34, 0x12) : undefined),
    frameBase: () => 0x2008,
    cfa: () => 0x2008,
  };
  const ev = (...bytes: number[]) => evaluateLocation(Uint8Array.from(bytes), ctx);
  it("covers the operations gcc emits for i386", () => {
    assert.deepEqual(ev(0x91, 0x6c), { kind: "memory", address: 0x2008 - 20 }); // fbreg -20
    assert.deepEqual(ev(0x75, 0x08), { kind: "memory", address: 0x2008 }); // breg5 +8
    assert.deepEqual(ev(0x50), { kind: "register", reg: I386.eax }); // reg0
    assert.deepEqual(ev(0x90, 0x07), { kind: "register", reg: I386.edi }); // regx 7
    assert.deepEqual(ev(0x03, 0x00, 0xb0, 0x04, 0x08), { kind: "memory", address: 0x804b000 }); // addr
    assert.deepEqual(ev(0x9c, 0x23, 0x04), { kind: "memory", address: 0x200c }); // call_frame_cfa; plus_uconst 4
    assert.deepEqual(ev(0x35, 0x9f), { kind: "value", value: 5 }); // lit5; stack_value
    assert.deepEqual(ev(0x11, 0x7f, 0x9f), { kind: "value", value: 0xffffffff }); // consts -1
    assert.deepEqual(ev(0x75, 0x7c, 0x06, 0x9f), { kind: "value", value: 0x12345678 }); // breg5 -4; deref
    assert.deepEqual(ev(0x75, 0x00, 0x06), { kind: "unavailable", reason: "memory at 0x2000 is not readable" });
    assert.deepEqual(ev(), { kind: "optimized-out" });
    assert.deepEqual(ev(0x50, 0x93, 0x02, 0x51, 0x93, 0x02), {
      kind: "pieces",
      pieces: [
        { bitSize: 16, bitOffset: 0, location: { kind: "register", reg: 0 } },
        { bitSize: 16, bitOffset: 16, location: { kind: "register", reg: 1 } },
      ],
    });
    assert.equal(ev(0xa3, 0x01, 0x50, 0x9f).kind, "unavailable"); // entry_value
    assert.throws(() => ev(0x22), DwarfError); // plus on an empty stack
  });
});

// ------------------------------------------------------------------ gdb cross-check

interface GdbStop {
  name: string;
  regs: number[];
  bt: { pc: number | undefined; name: string }[];
  prints: string[];
  stack: Uint8Array;
  esp: number;
}

async function gdbStops(b: Build): Promise<GdbStop[]> {
  const stops = b.optimized ? ["add"] : ["fact", "add"];
  const stub = await startGdbstub(b.path);
  let out: string;
  try {
    // gdb never runs the fixture itself (no `run`, and no native target to run it on): it attaches
    // to qemu-i386's gdbstub, which holds the fixture at _start.
    const script = ["set pagination off", "set confirm off", "set print frame-arguments scalars", "set auto-connect-native-target off"];
    script.push(`target remote ${stub.target}`);
    for (const s of stops) {
      script.push(s === "fact" ? "break fact if n == 1" : `break ${s}`, "commands", "silent", `echo @@STOP ${s}\\n`);
      script.push("info registers eax ecx edx ebx esp ebp esi edi eip eflags", "echo @@BT\\n", "bt", "echo @@ENDBT\\n", `dump binary memory ${join(dir, b.name)}-${s}.stack $esp $esp+768`);
      script.push(...(s === "fact" ? ["print n", "up", "print n"] : ["print a", "print b", "up", "print d", "print s_counter"]), "continue", "end");
    }
    script.push("continue", "quit");
    writeFileSync(join(dir, `${b.name}.gdb`), script.join("\n") + "\n");
    const args = ["-nx", "-batch", "-x", join(dir, `${b.name}.gdb`), b.path];
    out = execFileSync("gdb", args, { encoding: "utf8", maxBuffer: 64 << 20, timeout: 60_000, killSignal: "SIGKILL" });
  } finally {
    await stub.stop();
  }
  const result: GdbStop[] = [];
  for (const chunk of out.split("@@STOP ").slice(1)) {
    const name = chunk.slice(0, chunk.indexOf("\n"));
    const regs = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags"].map((r) => Number(new RegExp(`^${r}\\s+(0x[0-9a-f]+)`, "m").exec(chunk)![1]));
    const btText = chunk.slice(chunk.indexOf("@@BT"), chunk.indexOf("@@ENDBT"));
    const bt = [...btText.matchAll(/^#\d+\s+(?:(0x[0-9a-f]+) in )?(\w+)/gm)].map((m) => ({ pc: m[1] ? Number(m[1]) : undefined, name: m[2]! }));
    const prints = [...chunk.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!);
    result.push({ name, regs, bt, prints, stack: readFileSync(`${join(dir, b.name)}-${name}.stack`), esp: regs[I386.esp]! });
  }
  return result;
}

function readInt(mem: MemoryReader, loc: ReturnType<typeof evaluateLocation>, frame: Frame): number | undefined {
  if (loc.kind === "memory") {
    const bytes = mem(loc.address, 4);
    return bytes && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
  }
  if (loc.kind === "register") return frame.regs[loc.reg]! | 0;
  if (loc.kind === "value") return loc.value | 0;
  return undefined;
}

describe("against gdb stopped in the running fixture", () => {
  it("unwinds the same frames and reads the same variable values", async () => {
    assert.equal(spawnSync("gdb", ["--version"]).status, 0, "gdb is missing: run scripts/setup.sh (apt-get install gdb)");
    assert.ok(qemuUserAvailable(), "qemu-i386 is missing: run scripts/setup.sh (apt-get install qemu-user)");
    let checked = 0;
    for (const b of builds) {
      const stops = await gdbStops(b);
      assert.equal(stops.length, b.optimized ? 1 : 2, `${b.name}: gdb stops`);
      for (const stop of stops) {
        const mem = imageMemory(b.bytes, [{ base: stop.esp, data: stop.stack }]);
        const frames = b.di.unwind(stop.regs, mem);
        // gdb lists inlined frames separately; expand ours the same way.
        // gdb stops at main ("backtrace past-main" is off); we continue to _start.
        const names = frames.flatMap((f) => b.di.inlineFramesAt(f.lookupPc).map((x) => x.name));
        assert.equal(names.pop(), "_start");
        assert.deepEqual(
          names,
          stop.bt.map((x) => x.name),
          `${b.name} @${stop.name}`,
        );
        // Each real caller frame's return address is the pc gdb shows on its first (innermost) row.
        let row = 0;
        for (const [i, f] of frames.slice(0, -1).entries()) {
          if (i > 0) assert.equal(stop.bt[row]!.pc, f.pc, `${b.name} frame ${i} pc`);
          row += b.di.inlineFramesAt(f.lookupPc).length;
        }
        if (!b.optimized) {
          // Without .eh_frame/.debug_frame the EBP chain must give the same frames. (Not the same
          // CFA for main: gcc realigns its stack, so ebp+8 is a copy of the return address slot.)
          const noCfi = join(dir, `${b.name}-nocfi`);
          run("objcopy", ["-R", ".eh_frame", "-R", ".debug_frame", b.path, noCfi]);
          const plain = DebugInfo.load(readFileSync(noCfi));
          assert.equal(plain.hasCallFrameInfo, false);
          const fp = plain.unwind(stop.regs, mem);
          assert.deepEqual(
            fp.map((f) => f.pc),
            frames.map((f) => f.pc),
            `${b.name}: EBP chain`,
          );
          assert.ok(fp.slice(1).every((f) => f.method === "frame-pointer" || f.method === "prologue"));
        }
        assert.ok(
          frames.slice(1).every((f) => f.method === "cfi"),
          `${b.name}: CFI used`,
        );
        const value = (frameIndex: number, name: string) => {
          const f = frames[frameIndex]!;
          const v = b.di.scopeAt(f.lookupPc).find((x) => x.name === name) ?? b.di.globalByName(name);
          assert.ok(v, `${b.name}: variable ${name}`);
          const loc = b.di.locate(v, { pc: f.lookupPc, regs: f.regs, cfa: f.cfa }, mem);
          return loc.kind === "optimized-out" || loc.kind === "unavailable" ? "<optimized out>" : String(readInt(mem, loc, f));
        };
        if (stop.name === "fact") {
          assert.deepEqual([value(0, "n"), value(1, "n")], stop.prints, b.name);
        } else {
          assert.deepEqual([value(0, "a"), value(0, "b")], stop.prints.slice(0, 2), b.name);
          const d = value(1, "d");
          if (d !== "<optimized out>") assert.equal(`(struct device *) 0x${(Number(d) >>> 0).toString(16)} <g_device>`, stop.prints[2], b.name);
        }
        checked++;
      }
    }
    assert.ok(checked >= 8);
  });
});

describe("malformed input", () => {
  const expectTyped = (fn: () => unknown, what: string) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof DwarfError || e instanceof ElfError, `${what}: ${e instanceof Error ? e.stack : String(e)}`);
    }
  };
  const exercise = (di: DebugInfo) => {
    for (const f of di.functions()) {
      di.inlineFramesAt(f.lowPc);
      di.scopeAt(f.lowPc).forEach((v) => typeName(v.type) + sizeOf(v.type));
      di.addressToLine(f.lowPc);
      di.lineRangeAt(f.lowPc);
    }
    di.globals().forEach((g) => typeName(g.type) + sizeOf(g.type) + membersOf(g.type).length);
    di.breakpointLocations("flow.c", 1, 100);
    di.unwind([0, 0, 0, 0, 0x1000, 0x1000, 0, 0, di.functions()[0]?.lowPc ?? 0, 0], () => undefined);
  };

  it("loads a stripped ELF with no line info and says so", () => {
    const stripped = join(dir, "stripped");
    run("strip", ["-o", stripped, builds[0]!.path]);
    const di = DebugInfo.load(readFileSync(stripped));
    assert.equal(di.hasDebugInfo, false);
    assert.equal(di.hasLineInfo, false);
    assert.match(di.warnings.join("\n"), /stripped/);
    assert.equal(di.addressToLine(0x8049000), undefined);
    assert.deepEqual(di.functions(), []);
    const frames = di.unwind([0, 0, 0, 0, 0x1000, 0, 0, 0, 0x8049000, 0], () => undefined);
    assert.equal(frames.length, 1);
  });

  it("reports a missing .debug_abbrev as a typed error", () => {
    const b = Uint8Array.from(builds[0]!.bytes);
    const elf = ElfFile.parse(b);
    const sec = elf.section(".debug_abbrev")!;
    // Rename the section so it is no longer found (".debug_abbrev" -> ".xebug_abbrev").
    const shstr = elf.sections[elf.header.shstrndx]!;
    const nameOff = shstr.offset + new TextDecoder("latin1").decode(b.subarray(shstr.offset, shstr.offset + shstr.size)).indexOf(".debug_abbrev");
    b[nameOff + 1] = "x".charCodeAt(0);
    assert.ok(sec);
    assert.throws(
      () => DebugInfo.load(b),
      (e) => e instanceof DwarfError && e.code === "missing-section",
    );
  });

  it("gives typed errors, never crashes, on truncation and bit flips in debug sections", () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    let errors = 0;
    for (const b of [builds[1]!, builds[2]!]) {
      const elf = ElfFile.parse(b.bytes);
      for (const name of [".debug_info", ".debug_abbrev", ".debug_line", ".debug_loclists", ".debug_loc", ".debug_rnglists", ".eh_frame", ".debug_str_offsets"]) {
        const sec = elf.section(name);
        if (!sec) continue;
        for (let i = 0; i < 60; i++) {
          const bytes = Uint8Array.from(b.bytes);
          for (let k = 0; k < 1 + (i % 4); k++) bytes[sec.offset + Math.floor(rand() * sec.size)]! ^= 1 << Math.floor(rand() * 8);
          try {
            exercise(DebugInfo.load(bytes, { eager: true }));
          } catch (e) {
            errors++;
            expectTyped(() => {
              throw e;
            }, `${b.name} ${name} flip ${i}`);
          }
        }
      }
      // Truncated debug info: shrink .debug_info's size in its section header.
      const bytes = Uint8Array.from(b.bytes);
      const info = elf.section(".debug_info")!;
      new DataView(bytes.buffer).setUint32(elf.header.shoff + info.index * 40 + 20, Math.floor(info.size / 2), true);
      expectTyped(() => exercise(DebugInfo.load(bytes, { eager: true })), "truncated .debug_info");
    }
    assert.ok(errors > 0, "some corruptions must be detected");
  });
});
