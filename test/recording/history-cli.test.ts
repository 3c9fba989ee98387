// `lvmm history` as a user meets it: a kernel variable's every change over a recording, each
// pinned to the source line of the store; a receive buffer's changes named as the NIC's DMA
// with its descriptor and frame; bad requests rejected with one line and exit code 2.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLvmm } from "../helpers/guest";

const lvmm = (...args: string[]) => runLvmm(args);

describe("lvmm history", () => {
  let dir: string;
  let rec: string;
  let frames: number;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvmm-history-"));
    rec = join(dir, "echo.lvmmrec");
    const r = lvmm("record", "--out", rec, "--seconds", "0.3", "--echo-load", "100", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    frames = lvmm("events", rec, "--kind", "frame-in")
      .stdout.split("\n")
      .filter((l) => / frame-in /.test(l)).length;
    assert.ok(frames >= 10, `${frames} frames`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("follows a driver counter: one store per received frame, at the line that makes it", () => {
    const r = lvmm("history", rec, "--symbol", "stats+4", "--len", "4", "--json");
    assert.equal(r.code, 0, r.stderr);
    const h = JSON.parse(r.stdout) as { range: { length: number }; truncated: boolean; changes: { by: string; old: string; new: string; file?: string; line?: number; icount: number }[] };
    assert.equal(h.range.length, 4);
    assert.equal(h.truncated, false);
    assert.equal(h.changes.length, frames);
    const u32 = (hex: string) => Buffer.from(hex, "hex").readUInt32LE(0);
    h.changes.forEach((c, k) => {
      assert.equal(c.by, "cpu");
      assert.equal(u32(c.new), k + 1);
      assert.equal(u32(c.old), k);
      assert.ok(c.file?.endsWith("e1000.c"), JSON.stringify(c));
      assert.match(readFileSync(join(__dirname, "..", "..", c.file!.replace(/^.*guest\//, "guest/")), "utf8").split("\n")[c.line! - 1]!, /stats\.rx_frames\+\+/);
    });
    // The text form: a header, then a line per change naming the writer.
    const text = lvmm("history", rec, "--symbol", "stats+4", "--len", "4");
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split("\n");
    assert.match(lines[0]!, /^# history of stats\+4 \(0x[0-9a-f]{8}, 4 bytes\) in .*: \d+ changes from icount \d+ to \d+$/);
    assert.equal(lines.filter((l) => !l.startsWith("#")).length, frames);
    // The driver's receive path is inlined into its interrupt service: the line, then the call site.
    assert.match(lines[2]!, /^ +\d+ +0\.\d{9} +cpu +\+0: 00 00 00 00 -> 01 00 00 00 +receive_batch guest\/drivers\/e1000\.c:\d+ < service guest\/drivers\/e1000\.c:\d+$/);
  });

  it("names the NIC's receive DMA into a ring buffer: the descriptor and the frame", () => {
    const r = lvmm("history", rec, "--symbol", "e1000_rx_buffers", "--len", "64");
    assert.equal(r.code, 0, r.stderr);
    const dma = r.stdout.split("\n").filter((l) => / dma /.test(l));
    assert.ok(dma.length >= 1, r.stdout);
    for (const l of dma) assert.match(l, /NIC receive DMA, descriptor 0: 52:54:00:aa:bb:cc > 52:54:00:12:34:56 IPv4 10\.0\.2\.2:40007 > 10\.0\.2\.15:7 UDP \d+ bytes$/);
  });

  it("follows a NIC register: the driver's writes at their lines, the NIC's own moves as such", () => {
    const rdt = lvmm("history", rec, "--register", "rdt", "--json");
    assert.equal(rdt.code, 0, rdt.stderr);
    const w = JSON.parse(rdt.stdout) as { range: { name: string; register?: boolean }; changes: { by: string; frames?: { function: string }[] }[] };
    assert.deepEqual(w.range.name, "RDT");
    assert.equal(w.range.register, true);
    assert.ok(w.changes.length >= frames / 2, `${w.changes.length} RDT writes for ${frames} frames`);
    for (const c of w.changes) {
      assert.equal(c.by, "cpu", "only the driver moves RDT");
      assert.equal(c.frames?.[1]?.function, "reg_write", JSON.stringify(c.frames));
    }
    const rdh = lvmm("history", rec, "--register", "RDH");
    assert.equal(rdh.code, 0, rdh.stderr);
    const moves = rdh.stdout.split("\n").filter((l) => / dma /.test(l));
    assert.ok(moves.length >= frames - 1, rdh.stdout);
    for (const l of moves) assert.match(l, /the NIC itself$/);
    const bad = lvmm("history", rec, "--register", "XYZ");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not one of the NIC's registers \(CTRL, STATUS, ICR/);
  });

  it("stops at --limit and says so", () => {
    const r = lvmm("history", rec, "--symbol", "stats+4", "--len", "4", "--limit", "2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: 2 changes from icount \d+ to \d+ \(stopped at the limit of 2\)/);
  });

  it("rejects what it cannot follow with one line and exit code 2", () => {
    for (const [args, why] of [
      [["--symbol", "no_such_variable"], /no variable of that name/],
      [["--addr", "0x110000", "--len", "5000"], /at most 4096 bytes/],
      [["--addr", "0xfff00000"], /outside guest RAM/],
      [["--addr", "nowhere"], /decimal or 0x hex/],
      [[], /--symbol NAME, --addr ADDR or --register NAME/],
    ] as const) {
      const r = lvmm("history", rec, ...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    }
  });
});
