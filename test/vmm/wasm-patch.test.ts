// The load-time adaptation of v86's wasm: it applies to the pinned build, and any other build
// (or a corrupted file) is refused loudly instead of being half-patched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FAR_JIT_LOOP_BUDGET, JIT_BUDGET_MARKER, JIT_LOOP_BUDGET, patchV86Wasm, rewriteJitModule } from "../../src/vmm/v86/wasm-patches";
import { Machine } from "../../src/vmm/machine";
import { kernel } from "../helpers/guest";
import { WasmFormatError, WasmModule, findAll, sleb } from "../../src/vmm/v86/wasm-binary";
import { checkPinnedVersion, checkPinnedWasm, V86PinError } from "../../src/vmm/v86/pinned";

const original = new Uint8Array(readFileSync(require.resolve("v86/build/v86.wasm")));

test("the pinned v86.wasm is patched into a valid module exposing the control globals", () => {
  checkPinnedWasm(original);
  const p = patchV86Wasm(original);
  const mod = new WebAssembly.Module(p.bytes);
  const names = WebAssembly.Module.exports(mod).map((e) => e.name);
  for (const g of Object.values(p.globals)) assert.ok(names.includes(g), `export ${g}`);
  assert.ok(names.includes("main_loop"));
});

test("a build whose main loop differs is refused with the name of the patch", () => {
  const m = new WasmModule(original);
  const idx = m.funcIndex("main_loop");
  const body = m.body(idx).slice();
  const hit = findAll(body, [0x41, ...sleb(100_003)]);
  assert.equal(hit.length, 1);
  body[hit[0]! + 1] ^= 1; // a different LOOP_COUNTER
  m.setBody(idx, body);
  const changed = m.encode();
  assert.throws(
    () => patchV86Wasm(changed),
    (e: unknown) => e instanceof WasmFormatError && /LOOP_COUNTER/.test(e.message),
  );
});

test("a different wasm file or package version is refused before anything runs", () => {
  const other = original.slice();
  other[other.length - 1] ^= 0xff;
  assert.throws(() => checkPinnedWasm(other), V86PinError);
  assert.throws(() => checkPinnedVersion("0.5.461"), /pinned to v86 0\.5\.462\+g5f9a90f/);
  assert.throws(() => new WasmModule(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), WasmFormatError);
});

test("generated JIT modules read their loop budget from a cell; far from a target they run long, and stops stay exact", async () => {
  const m = await Machine.create({ kernel: kernel(), cmdline: "workload=compute quiet", nic: false });
  try {
    const cpu = m.internals.vm.cpu as unknown as { codegen_finalize: (...a: number[]) => void; wasm_memory: WebAssembly.Memory };
    const generated: Uint8Array<ArrayBuffer>[] = [];
    const install = cpu.codegen_finalize;
    cpu.codegen_finalize = (...a: number[]) => {
      // As v86 generated it, before the LVMM rewrites it.
      generated.push(new Uint8Array(cpu.wasm_memory.buffer, a[3]! >>> 0, a[4]! >>> 0).slice());
      install(...a);
    };
    m.run({ untilNs: 0.3e9 });
    assert.ok(generated.length > 0);
    const check = [0x20, 9, 0x41, ...sleb(JIT_BUDGET_MARKER), 0x4f, 0x0d];
    const addr = m.internals.vm.jitBudgetAddr;
    const load = [0x20, 9, 0x41, ...sleb(addr), 0x28, 2, 0, 0x4f, 0x0d];
    for (const code of generated) {
      const checks = findAll(code, check).length;
      assert.ok(checks > 0, "every module checks its budget at its top");
      const rewritten = rewriteJitModule(code, addr);
      assert.equal(findAll(rewritten, check).length, 0);
      assert.equal(findAll(rewritten, load).length, checks);
      assert.ok(WebAssembly.validate(rewritten));
    }
    // A module whose counter is not zeroed where expected is refused, not half-rewritten.
    const odd = generated[0]!.slice();
    const zeroing = findAll(odd, [0x41, 0, 0x21, 9]);
    odd[zeroing[0]! + 1] = 1;
    assert.throws(
      () => rewriteJitModule(odd, addr),
      (e: unknown) => e instanceof WasmFormatError && /pinned v86 build has changed/.test(e.message),
    );

    // The compute loop ran with the far budget (slices overshot by more than the near one
    // allows, never past the margin), and an exact stop is still exact.
    m.run({ untilNs: 0.8e9 });
    const stats = m.executorStats;
    assert.ok(stats.maxOvershoot > JIT_LOOP_BUDGET + 4096 && stats.maxOvershoot <= FAR_JIT_LOOP_BUDGET + 4096, `overshoot up to ${stats.maxOvershoot}`);
    assert.equal(stats.lateLandings, 0);
    const at = m.icountNumber;
    assert.equal(m.run({ untilIcount: at + 12_345_679 }).kind, "limit");
    assert.equal(m.icountNumber, at + 12_345_679);
  } finally {
    m.destroy();
  }
});
