// The load-time adaptation of v86's wasm: it applies to the pinned build, and any other build
// (or a corrupted file) is refused loudly instead of being half-patched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { patchV86Wasm } from "../../src/vmm/v86/wasm-patches";
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
  assert.throws(() => patchV86Wasm(changed), (e: unknown) => e instanceof WasmFormatError && /LOOP_COUNTER/.test(e.message));
});

test("a different wasm file or package version is refused before anything runs", () => {
  const other = original.slice();
  other[other.length - 1] ^= 0xff;
  assert.throws(() => checkPinnedWasm(other), V86PinError);
  assert.throws(() => checkPinnedVersion("0.5.461"), /pinned to v86 0\.5\.462\+g5f9a90f/);
  assert.throws(() => new WasmModule(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), WasmFormatError);
});
