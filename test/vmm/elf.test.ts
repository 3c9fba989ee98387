// ELF reader tests on gcc/ld output, cross-checked with readelf and nm, plus malformed input.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ElfError, ElfFile, findMultibootHeader, validateKernel } from "../../src/vmm/elf.js";

const FIXTURES = new URL("../fixtures/dwarf/", import.meta.url).pathname;
const CFLAGS = ["-m32", "-ffreestanding", "-fno-pie", "-fno-omit-frame-pointer", "-nostdlib", "-g", "-O0"];

let dir: string;
let kernel: Uint8Array; // multiboot header within the first 8 KiB
let farHeader: Uint8Array; // multiboot header past 8 KiB (default ld layout)
let noHeader: Uint8Array;
let object: Uint8Array;
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" });

before(() => {
  dir = mkdtempSync(join(tmpdir(), "elf-test-"));
  for (const f of ["flow", "types", "multiboot"]) run("gcc", [...CFLAGS, "-c", join(FIXTURES, `${f}.c`), "-o", join(dir, `${f}.o`)]);
  const objs = ["flow", "types", "multiboot"].map((f) => join(dir, `${f}.o`));
  run("ld", ["-m", "elf_i386", "-z", "noseparate-code", "-e", "_start", ...objs, "-o", join(dir, "kernel")]);
  run("ld", ["-m", "elf_i386", "-e", "_start", ...objs, "-o", join(dir, "far")]);
  run("ld", ["-m", "elf_i386", "-e", "_start", objs[0]!, objs[1]!, "-o", join(dir, "plain")]);
  kernel = readFileSync(join(dir, "kernel"));
  farHeader = readFileSync(join(dir, "far"));
  noHeader = readFileSync(join(dir, "plain"));
  object = readFileSync(objs[0]!);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function expectElfError(fn: () => unknown, code: string): ElfError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ElfError, `expected ElfError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ElfError ${code}`);
}

describe("ELF32 reader on ld output", () => {
  it("reads the header and entry point like readelf", () => {
    const elf = ElfFile.parse(kernel);
    const entry = /Entry point address:\s+(0x[0-9a-f]+)/.exec(run("readelf", ["-h", join(dir, "kernel")]))![1]!;
    assert.equal(elf.entry, Number(entry));
    assert.equal(elf.entry, elf.symbolByName("_start")!.value);
  });

  it("lists the same sections and PT_LOAD segments as readelf", () => {
    const elf = ElfFile.parse(kernel);
    const sections = [...run("readelf", ["-SW", join(dir, "kernel")]).matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s+([0-9a-f]{6})\s+([0-9a-f]{6})/gm)];
    assert.ok(sections.length > 10);
    for (const [, idx, name, addr, off, size] of sections) {
      const s = elf.sections[Number(idx)]!;
      assert.deepEqual([s.name, s.addr, s.offset, s.size], [name, parseInt(addr!, 16), parseInt(off!, 16), parseInt(size!, 16)]);
    }
    const loads = [...run("readelf", ["-lW", join(dir, "kernel")]).matchAll(/^\s*LOAD\s+(0x\w+)\s+(0x\w+)\s+0x\w+\s+(0x\w+)\s+(0x\w+)/gm)];
    assert.deepEqual(
      elf.loadSegments.map((p) => [p.offset, p.vaddr, p.filesz, p.memsz]),
      loads.map((m) => [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]),
    );
  });

  it("reads .symtab functions and objects like nm", () => {
    const elf = ElfFile.parse(kernel);
    const nm = run("nm", ["-S", join(dir, "kernel")])
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/))
      .filter((p) => p.length === 4);
    assert.ok(nm.length >= 15);
    for (const [addr, size, kind, name] of nm) {
      const s = elf.symbols.find((x) => x.name === name);
      assert.ok(s, `symbol ${name}`);
      assert.equal(s.value, parseInt(addr!, 16), name);
      assert.equal(s.size, parseInt(size!, 16), name);
      assert.equal(s.type, "tT".includes(kind!) ? "func" : "object", name);
      assert.equal(s.binding, kind === kind!.toUpperCase() ? "global" : "local", name);
    }
    assert.equal(elf.symbolByName("calls.0")?.section, ".bss");
    assert.equal(elf.symbolAt(elf.symbolByName("fact")!.value + 3)?.name, "fact");
  });

  it("finds the multiboot header and validates the kernel", () => {
    const k = validateKernel(kernel);
    const sec = k.elf.section(".multiboot")!;
    assert.equal(k.multiboot.offset, sec.offset);
    assert.equal(k.multiboot.flags, 1);
    assert.equal(k.entry, k.elf.entry);
    assert.ok(k.segments.length >= 1);
  });
});

describe("ELF errors are typed", () => {
  it("rejects a header past the first 8 KiB and a missing header", () => {
    assert.ok(ElfFile.parse(farHeader).section(".multiboot")!.offset >= 8192);
    expectElfError(() => validateKernel(farHeader), "no-multiboot");
    expectElfError(() => validateKernel(noHeader), "no-multiboot");
  });

  it("rejects a bad multiboot checksum", () => {
    const b = Uint8Array.from(kernel);
    const off = findMultibootHeader(b).offset;
    b[off + 8]! ^= 1;
    const e = expectElfError(() => validateKernel(b), "bad-multiboot");
    assert.match(e.message, /checksum/);
  });

  it("rejects a relocatable object as a kernel", () => {
    ElfFile.parse(object); // fine as ELF
    const e = expectElfError(() => validateKernel(object), "no-load-segment");
    assert.match(e.message, /relocatable/);
  });

  it("names what is wrong with the identification and header", () => {
    expectElfError(() => ElfFile.parse(new TextEncoder().encode("MZ not an elf")), "not-elf");
    expectElfError(() => ElfFile.parse(new Uint8Array(0)), "not-elf");
    expectElfError(() => ElfFile.parse(kernel.subarray(0, 40)), "truncated");
    const patch = (at: number, v: number) => {
      const b = Uint8Array.from(kernel);
      b[at] = v;
      return b;
    };
    expectElfError(() => ElfFile.parse(patch(4, 2)), "elf64");
    expectElfError(() => ElfFile.parse(patch(5, 2)), "big-endian");
    expectElfError(() => ElfFile.parse(patch(18, 62)), "wrong-machine");
    expectElfError(() => ElfFile.parse(patch(35, 0x7f)), "bad-offset"); // e_shoff far past the end
  });

  it("reports truncation at every length instead of crashing", () => {
    for (let len = 0; len < kernel.length; len += 97) {
      try {
        validateKernel(kernel.subarray(0, len));
      } catch (e) {
        assert.ok(e instanceof ElfError, `length ${len}: ${String(e)}`);
      }
    }
  });

  it("survives random bit flips in the headers and tables", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const elf = ElfFile.parse(kernel);
    const hot = [0, 52, elf.header.phoff, elf.header.shoff, elf.section(".symtab")!.offset];
    for (let i = 0; i < 400; i++) {
      const b = Uint8Array.from(kernel);
      const base = hot[i % hot.length]!;
      for (let k = 0; k < 3; k++) b[Math.min(b.length - 1, base + Math.floor(rand() * 320))]! ^= 1 << Math.floor(rand() * 8);
      try {
        const k2 = validateKernel(b);
        void k2.elf.symbols;
        void k2.elf.symbolAt(k2.entry);
      } catch (e) {
        assert.ok(e instanceof ElfError, `flip ${i}: ${String(e)}`);
      }
    }
  });
});
