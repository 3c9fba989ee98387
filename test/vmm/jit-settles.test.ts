// v86's JIT compiles a page again only for an entry point it has not compiled yet. An STI 17
// bytes before a page's end is never compiled, so before the LVMM's fix (wasm-patches.ts, "entry
// point at the end of a page") it counted as new for good and its page was compiled again every
// 200,000 interpreted instructions: on the I/O engine that was a 10-30 ms stall every ~1.5 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElfFile } from "../../src/vmm/elf";
import { Machine } from "../../src/vmm/machine";
import { kernel, runUntilLine } from "../helpers/guest";

test("a page whose STI v86 cannot compile is compiled once, not again and again", async () => {
  const run = ElfFile.parse(kernel()).symbols.find((s) => s.name === "sti_edge_run");
  assert.ok(run, "the guest has workload=sti-edge");
  const page = run.value & ~0xfff;
  const m = await Machine.create({ kernel: kernel(), cmdline: "workload=sti-edge quiet", nic: false });
  try {
    const cpu = m.internals.vm.cpu as unknown as { codegen_finalize: (...a: number[]) => void };
    const install = cpu.codegen_finalize;
    let compiles = 0;
    cpu.codegen_finalize = (...a: number[]) => {
      if (a[1]! >>> 0 === page) compiles++;
      install(...a);
    };
    const { line } = runUntilLine(m, /sti-edge done/, 30e9);
    assert.ok(line, "the workload ran to its end");
    // 4,000,000 calls interpret 8,000,000 instructions at the STI: 9 compiles without the fix, 2 with it
    assert.ok(compiles <= 2, `the page was compiled ${compiles} times`);
  } finally {
    m.destroy();
  }
});
