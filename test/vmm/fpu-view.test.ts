// The FPU/SSE view (what gdb's st, x87 control, xmm and mxcsr registers show) against v86's own
// reading of the same state: the byte layout of its 80-bit registers and its stack top.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Machine } from "../../src/vmm/machine";
import { kernel } from "../helpers/guest";

/** 1.5 as an x87 80-bit value: mantissa 0xC000000000000000, exponent 0x3fff. */
const ONE_AND_A_HALF = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f);
const u32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
const le32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);

test("st registers follow the stack top, in the layout v86 computes with", async () => {
  const m = await Machine.create({ kernel: kernel(), nic: false });
  try {
    m.run({ untilNs: 1e6 });
    const fpu = m.cpu.fpu;
    const v86 = m.internals.vm.cpu as unknown as { fpu_get_sti_f64(i: number): number };
    assert.equal(u32(fpu.read("fctrl")), 0x37f, "the power-on control word");
    assert.equal(u32(fpu.read("ftag")), 0xffff, "all empty");
    assert.ok(fpu.write("st0", ONE_AND_A_HALF));
    assert.equal(v86.fpu_get_sti_f64(0), 1.5, "v86 reads ST(0) as 1.5");
    assert.deepEqual(fpu.read("st0"), ONE_AND_A_HALF);
    // Moving the stack top (fstat bits 11-13) renames the registers: ST(0) becomes ST(1).
    assert.ok(fpu.write("fstat", le32(7 << 11)));
    assert.equal(u32(fpu.read("fstat")) >> 11, 7);
    assert.deepEqual(fpu.read("st1"), ONE_AND_A_HALF);
    assert.equal(v86.fpu_get_sti_f64(1), 1.5);
    // Tags: physical register 0 valid (00), the rest empty.
    assert.ok(fpu.write("ftag", le32(0xfffc)));
    assert.equal(u32(fpu.read("ftag")) & 3, 0);
    const xmm = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    assert.ok(fpu.write("xmm7", xmm));
    assert.deepEqual(fpu.read("xmm7"), xmm);
    assert.equal(fpu.write("xmm7", xmm.subarray(0, 4)), false, "a wrong size is refused");
  } finally {
    m.destroy();
  }
});
