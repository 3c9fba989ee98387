// Debian's gdb against `lvmm gdbserver` and the guest kernel: target remote, a breakpoint on a C
// function, bt with source lines, registers, memory; a watchpoint on a receive buffer the NIC's
// DMA fills, stopping right after the DMA; a read watchpoint; reverse-stepi, reverse-continue to
// the previous hit and reverse-finish. Instruction counts come from `monitor icount`, so every position is
// checked exactly.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KERNEL_PATH } from "../helpers/guest";
import { gdb as runGdb, hasGdb, icounts, startGdbServer, type StubProcess } from "./gdb-helpers";

let server: StubProcess | undefined;
/** Where the watchpoint test saw the first frame's DMA. */
let firstDma: number | undefined;

before(async () => {
  // 200 echo requests per virtual second: the 64-buffer receive ring wraps after 0.32 s.
  if (hasGdb) server = await startGdbServer(["--echo-load", "200", "--kernel", KERNEL_PATH]);
});

after(() => {
  server?.proc.kill();
});

const gdb = (commands: string[]): Promise<string> => runGdb(server!.port, commands);

test("break, continue, bt, registers, memory; reverse-stepi, reverse-continue, reverse-finish", { skip: !hasGdb && "gdb is not installed" }, async () => {
  const out = await gdb([
    "break echo",
    "continue",
    "monitor icount", // [0] the first hit
    "bt",
    "info registers",
    "x/16xb $esp",
    "stepi",
    "monitor icount", // [1] one further
    "reverse-stepi",
    "monitor icount", // [2] back at the hit
    "continue",
    "monitor icount", // [3] the second hit
    "reverse-continue",
    "monitor icount", // [4] the first hit again
    "reverse-finish",
    "monitor icount", // [5] the call
    "reverse-stepi",
    "monitor icount", // [6] one before the call
    "delete",
    "monitor goto 1000",
    "maintenance flush register-cache",
    "monitor icount", // [7]
  ]);
  assert.match(out, /Breakpoint 1 at 0x[0-9a-f]+: file net\/echo\.c, line \d+\./, out);
  assert.match(out, /Breakpoint 1, echo \(d=0x[0-9a-f]+\) at net\/echo\.c:\d+/, out);
  // bt: echo, called by the UDP layer, from the driver's receive path in the NIC's interrupt.
  assert.match(out, /^#0 {2}echo \(d=0x[0-9a-f]+\) at net\/echo\.c:\d+$/m, out);
  assert.match(out, /^#1 {2}0x[0-9a-f]+ in udp_input \(.*\) at net\/udp\.c:\d+$/m, out);
  assert.match(out, /^#\d+ +(0x[0-9a-f]+ in )?receive_batch \(\) at drivers\/e1000\.c:\d+$/m, out);
  assert.match(out, /^#\d+ +0x[0-9a-f]+ in e1000_irq \(\) at drivers\/e1000\.c:\d+$/m, out);
  assert.match(out, /^eip +0x[0-9a-f]+ +0x[0-9a-f]+ <echo>$/m, out);
  assert.match(out, /^cs +0x8 +8$/m, out);
  assert.match(out, /^cr0 +0x[0-9a-f]+/m, out);
  const dump = [...out.matchAll(/^0x[0-9a-f]+:((?:\t0x[0-9a-f]{2}){8})$/gm)];
  assert.equal(dump.length, 2, "x/16xb: two lines of eight bytes");
  const n = icounts(out);
  assert.equal(n.length, 8, out);
  const [hit, stepped, back, second, again, call, beforeCall, gone] = n as [number, number, number, number, number, number, number, number];
  assert.equal(stepped, hit + 1, "stepi: one instruction");
  assert.equal(back, hit, "reverse-stepi: one back");
  assert.ok(second > hit, "the second hit is later");
  assert.equal(again, hit, "reverse-continue: the previous hit, exactly");
  // reverse-finish lands in the caller, on the call (gdb prints the frame without a #).
  assert.match(out, /^0x[0-9a-f]+ in udp_input \(.*\) at net\/udp\.c:\d+$/m);
  assert.equal(call, hit - 1, "reverse-finish: the call instruction, one before the entry");
  assert.equal(beforeCall, call - 1);
  assert.equal(gone, 1000, "monitor goto");
  assert.doesNotMatch(out, /Remote communication error|Remote connection closed|protocol error/i);
});

test("a watchpoint on a receive buffer stops right after the NIC's DMA; reverse-continue finds the earlier DMA", { skip: !hasGdb && "gdb is not installed" }, async () => {
  // The payload's "seq=NNNNNNNNNN:" (42 bytes into the frame) of the buffer the NIC fills next,
  // from the start of history: the first frame, and the one 64 later when the ring wraps.
  const out = await gdb([
    "monitor goto 0",
    "maintenance flush register-cache",
    "watch -l *(char (*)[15])(e1000_rx_buffers[0] + 42)",
    "continue",
    "monitor icount", // [0] the first DMA
    "continue",
    "monitor icount", // [1] the ring wrapped: seq 64
    "x/s e1000_rx_buffers[0] + 42",
    "reverse-continue",
    "monitor icount", // [2] before the DMA of seq 64
    "reverse-continue",
    "monitor icount", // [3] before the first DMA
    "delete",
    "break echo",
    "continue",
    "monitor dma",
  ]);
  const dmaAt = [...out.matchAll(/^lvmm: the NIC's DMA wrote the watched range at instruction (\d+)$/gm)].map((m) => Number(m[1]));
  const n = icounts(out);
  assert.equal(n.length, 4, out);
  assert.match(out, /Hardware watchpoint 1: -location/, out);
  assert.match(out, /Old value = '\\000' <repeats 14 times>\nNew value = "seq=0000000000:"/, out);
  assert.match(out, /Old value = "seq=0000000000:"\nNew value = "seq=0000000064:"/, out);
  assert.match(out, /"seq=0000000064:/);
  assert.equal(dmaAt[0], n[0], "stopped at the DMA's sync point");
  assert.equal(dmaAt[1], n[1]);
  // Backwards, gdb sees each write undone, newest first: the DMA it stopped after, then the
  // first one (the state right before each, at the DMA's instruction count).
  assert.match(out, /Old value = "seq=0000000064:"\nNew value = "seq=0000000000:"/, out);
  assert.match(out, /Old value = "seq=0000000000:"\nNew value = '\\000' <repeats 14 times>/, out);
  for (const k of [1, 0]) assert.match(out, new RegExp(`^lvmm: backwards: before the NIC's DMA into the watched range at instruction ${n[k]}$`, "m"), out);
  assert.equal(n[2], n[1], "reverse-continue: the DMA it stopped after, undone");
  assert.equal(n[3], n[0], "reverse-continue again: the first DMA, exactly");
  firstDma = n[0];
  // The DMA log names the descriptors of the receive interrupts.
  assert.match(out, /^#\d+: ICR 0x[0-9a-f]{8} at icount \d+, [1-9]\d* descriptor\(s\)/m, out);
});

test("a read watchpoint stops right after the load; reverse-continue stops right before it", { skip: !hasGdb && "gdb is not installed" }, async () => {
  const out = await gdb([
    "monitor goto 0",
    "maintenance flush register-cache",
    "break echo",
    "continue",
    "delete",
    "rwatch -l ticks", // the PIT driver's tick count: each timer interrupt loads it (incl)
    "continue",
    "monitor icount", // [0] after the load
    "continue",
    "monitor icount", // [1] after the next one
    "reverse-continue",
    "monitor icount", // [2] before it
    "reverse-continue",
    "monitor icount", // [3] before the first
    "stepi",
    "monitor icount", // [4] the load again, reported by the step
    "reverse-stepi",
    "monitor icount", // [5] and back over it
    "delete",
  ]);
  const n = icounts(out);
  assert.equal(n.length, 6, out);
  assert.match(out, /Hardware read watchpoint 2: -location ticks/, out);
  assert.equal((out.match(/^Value = \d+$/gm) ?? []).length, 6, out);
  assert.ok(n[1]! > n[0]!, "a later load");
  assert.equal(n[2], n[1]! - 1, "backwards: right before the loading instruction");
  assert.equal(n[3], n[0]! - 1, "and right before the one before, found by searching the past");
  assert.equal(n[4], n[0], "a stepi that loads reports the watchpoint too");
  assert.equal(n[5], n[3], "so does a reverse-stepi back over it");
  assert.doesNotMatch(out, /Remote communication error|Remote connection closed|protocol error/i);
});

test("a watchpoint on a CPU store stops right after it; reverse-continue stops right before it", { skip: !hasGdb && "gdb is not installed" }, async () => {
  const out = await gdb([
    "monitor goto 0",
    "maintenance flush register-cache",
    "break echo",
    "continue",
    "delete",
    "watch -l stats.rx_frames", // the driver counts each received frame
    "continue",
    "monitor icount", // [0] after the store
    "continue",
    "monitor icount", // [1] after the next one
    "reverse-continue",
    "monitor icount", // [2] before it
    "reverse-continue",
    "monitor icount", // [3] before the first
    "stepi",
    "monitor icount", // [4] the store again
    "print stats.rx_frames",
    "reverse-stepi",
    "monitor icount", // [5] and back over it
  ]);
  const n = icounts(out);
  assert.equal(n.length, 6, out);
  const values = [...out.matchAll(/^Old value = (\d+)\nNew value = (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(values.length, 6, out);
  const [a, b, c, d, e, f] = values as [number[], number[], number[], number[], number[], number[]];
  assert.equal(a[1], a[0]! + 1, "forward: one more frame");
  assert.deepEqual(b, [a[1], a[1]! + 1]);
  assert.deepEqual(c, [b[1], b[0]], "backwards: the last store undone");
  assert.deepEqual(d, [a[1], a[0]], "and the one before");
  assert.equal(n[2], n[1]! - 1, "right before the storing instruction");
  assert.equal(n[3], n[0]! - 1);
  assert.equal(n[4], n[0], "stepping the store again");
  assert.deepEqual(e, a, "a stepi that stores reports the watchpoint too");
  assert.deepEqual(f, d, "so does a reverse-stepi back over it");
  assert.equal(n[5], n[3]);
  assert.match(out, new RegExp(`^\\$1 = ${a[1]}$`, "m"), out);
  assert.doesNotMatch(out, /the NIC's DMA/);
});

test("a second gdb attaches to the same machine; monitor dma K shows that DMA's descriptor", { skip: !hasGdb && "gdb is not installed" }, async (t) => {
  if (firstDma === undefined) return t.skip("the watchpoint test did not run");
  const out = await gdb(["monitor dma 2", "monitor dma 3", "monitor timeline", "info symbol $pc"]);
  assert.match(out, new RegExp(`^ {2}desc \\[0\\] addr 0x[0-9a-f]{8} len \\d+ status .*DMA at icount ${firstDma}, handed back at icount \\d+$`, "m"), out);
  assert.match(out, /^interrupt #2: ICR 0x[0-9a-f]{8} read at icount \d+/m, out);
  assert.match(out, /^checkpoints: \d+ /m, out);
});

test("the x87 and SSE registers read as the machine holds them and can be written", { skip: !hasGdb && "gdb is not installed" }, async () => {
  const out = await gdb([
    "p/x $fctrl", // the power-on control word
    "p/x $mxcsr",
    "p/x $ftag", // every register empty
    "set $st0 = 1.5",
    "set $xmm1.v4_int32 = {1, 2, 3, -4}",
    "maintenance flush register-cache",
    "p $st0",
    "p $xmm1.v4_int32",
  ]);
  const values = [...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(values, ["0x37f", "0x1f80", "0xffff", "1.5", "{1, 2, 3, -4}"], out);
});
