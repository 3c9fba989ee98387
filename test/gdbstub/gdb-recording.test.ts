// gdb on a recording of the race demo (`lvmm record --race`): stop where the guest reports the
// corrupted frame, watch the corrupted bytes in the receive buffer, reverse-continue, and land
// on the culprit: the NIC's DMA into a buffer the driver had handed back before copying it out.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "../helpers/guest";
import { gdb, hasGdb, icounts, startGdbServer, type StubProcess } from "./gdb-helpers";

let dir: string;
let server: StubProcess | undefined;
let report: { seq: number; byte: number; buffer: number } | undefined;

before(async () => {
  if (!hasGdb) return;
  dir = mkdtempSync(join(tmpdir(), "lvmm-gdb-rec-"));
  const file = join(dir, "race.lvmmrec");
  const r = spawnSync(process.execPath, [CLI, "record", "--out", file, "--race", "--seconds", "0.5", "--quiet"], { encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = /race: corrupted frame seq=(\d+) at byte (\d+) \(rx buffer 0x([0-9a-f]+)\)/.exec(r.stdout + r.stderr);
  assert.ok(m, `the race hit in the recording: ${r.stdout}${r.stderr}`);
  report = { seq: Number(m[1]), byte: Number(m[2]), buffer: parseInt(m[3]!, 16) };
  // No --kernel: gdb gets the kernel the recording embeds.
  server = await startGdbServer(["--recording", file]);
});

after(() => {
  server?.proc.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a watchpoint and reverse-continue on the race recording find the corrupting DMA", { skip: !hasGdb && "gdb is not installed" }, async () => {
  const { byte, buffer } = report!;
  // The report gives the offset in the UDP payload, 42 bytes into the frame (Ethernet, IPv4, UDP).
  const address = buffer + 42 + byte;
  const out = await gdb(
    server!.port,
    [
      "break echo.c:25", // the kprintf of the corruption report
      "continue",
      "monitor icount", // [0] the report
      "bt 2",
      "delete",
      `watch -l *(unsigned char (*)[4])0x${address.toString(16)}`,
      "reverse-continue",
      "monitor icount", // [1] the corrupting write
      "monitor timeline",
    ],
    server!.elf,
  );
  assert.match(out, /Breakpoint 1, check_sequence \(/, out);
  assert.match(out, /^#1 +(0x[0-9a-f]+ in )?echo \(/m, out);
  const n = icounts(out);
  assert.equal(n.length, 2, out);
  assert.ok(n[1]! < n[0]!, "the write is before the report");
  assert.match(out, /Hardware watchpoint 2: -location/, out);
  assert.match(out, /Old value = [^\n]+\nNew value = [^\n]+/, out);
  // The write gdb stopped at is the NIC's, not the CPU's.
  assert.match(out, new RegExp(`^lvmm: backwards: before the NIC's DMA into the watched range at instruction ${n[1]}$`, "m"), out);
  assert.match(out, /replaying the past/);
  // ...while the driver was still copying that buffer out: the rdt-early race.
  assert.match(out, /^copy_out \(.*src=0x[0-9a-f]+ <e1000_rx_buffers\+\d+>.*\) at drivers\/e1000\.c:\d+$/m, out);
});
