// A guest that dereferences NULL (fault=pagefault): `monitor catch 14` stops gdb on the #PF
// handler's first instruction with SIGSEGV, and reverse-stepi lands on the faulting instruction.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KERNEL_PATH } from "../helpers/guest";
import { gdb, hasGdb, icounts, startGdbServer, type StubProcess } from "./gdb-helpers";

let server: StubProcess | undefined;

before(async () => {
  if (hasGdb) server = await startGdbServer(["--cmdline", "fault=pagefault", "--kernel", KERNEL_PATH]);
});

after(() => {
  server?.proc.kill();
});

test("catch a page fault, then reverse-stepi onto the instruction that faulted", { skip: !hasGdb && "gdb is not installed" }, async () => {
  const out = await gdb(server!.port, ["monitor catch 14", "continue", "monitor icount", "reverse-stepi", "monitor icount", "x/i $pc", "p/x $cr2", "monitor catch none"]);
  assert.match(out, /^stopping on exceptions: #PF page fault$/m, out);
  assert.match(out, /Program received signal SIGSEGV, Segmentation fault\.\nisr_14 \(\) at arch\/isr\.S:\d+/, out);
  const [handler, faulting] = icounts(out) as [number, number];
  assert.equal(faulting, handler - 1);
  assert.match(out, /^fault_pagefault \(\) at kernel\/faults\.c:\d+\n\d+\s+\(void\)\*null;$/m, out);
  assert.match(out, /^=> 0x[0-9a-f]+ <fault_pagefault\+\d+>:\tmov +0x0,%eax$/m, out);
  assert.match(out, /^stopping on no exception$/m, out);
});
