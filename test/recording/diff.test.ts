// `lvmm diff`: the race demo against a clean run of the same load (the same copy-break receive
// path without the bug, race=copybreak), recorded by the CLI with the real guest: where they
// part, with the source line each run was at; a recording against itself; bad input.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLvmm } from "../helpers/guest";
import { readRecording } from "../../src/vmm/recording/reader";
import { diffRecordings } from "../../src/vmm/recording/run-diff";
import { RecordingError } from "../../src/vmm/recording/format";

const lvmm = (...args: string[]) => runLvmm(args, 120_000);

describe("lvmm diff", () => {
  let dir: string;
  let racy: string;
  let clean: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvmm-diff-"));
    racy = join(dir, "racy.lvmmrec");
    clean = join(dir, "clean.lvmmrec");
    const a = lvmm("record", "--out", racy, "--race", "--seconds", "0.6", "--quiet");
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /the race hit: race: corrupted/);
    const b = lvmm("record", "--out", clean, "--race", "--cmdline", "race=copybreak", "--seconds", "0.6", "--quiet");
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /the race did not hit/);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a recording against itself: the same, exit 0", () => {
    const r = lvmm("diff", racy, racy);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /did the same: \d+ interrupts, \d+ receive interrupts, \d+ console lines/);
    assert.match(r.stdout, /inputs: (\d+) frames in A, \1 in B; 0 differ/);
  });

  it("the race against the clean run: where they part, with each run's source line, the receive DMA that differs, and the corruption report only A printed", () => {
    const r = lvmm("diff", racy, clean);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^launch settings differ: cmdline: "race=rdt-early" \/ "race=copybreak"$/m);
    // The boot lines name the receive path first.
    assert.match(r.stdout, /part at their 2nd console line \(cmdline: race=rdt-early \/ cmdline: race=copybreak\):/);
    // Each side replayed to its own point of each parting, its call stack found in the guest's
    // sources, innermost first, out to the boot code's entry.
    const frame = String.raw`guest\/[\w/-]+\.[cS]:\d+(?: in \w+)?`;
    assert.match(r.stdout, new RegExp(String.raw`^ {2}A: .* at icount \d+ .*, at ${frame}(?: < ${frame})* < guest\/arch\/boot\.S:\d+ in _start$`, "m"));
    assert.match(r.stdout, new RegExp(String.raw`^ {2}B: .* at ${frame}(?: < ${frame})*$`, "m"));
    assert.match(r.stdout, /^ {2}A: console line "cmdline: race=rdt-early" .* in serial_putc < .* in kmain < /m);
    // The NIC wrote another frame into a buffer the early RDT write handed back too soon.
    assert.match(r.stdout, /^then the receive interrupts part at the \d+\w\w \(descriptor \d+ \(ring index \d+\): bytes differ from byte \d+\):$/m);
    assert.match(r.stdout, /^ {2}A: receive interrupt: .* at guest\/drivers\/e1000\.c:\d+/m);
    assert.match(r.stdout, /^console lines only one run printed:\n(?: {2}A .*\n)*? {2}A "race: corrupted frame seq=\d+/m);
    assert.doesNotMatch(r.stdout, /^ {2}B "race: corrupted/m);
  });

  it("--json: the same figures for a program", () => {
    const r = lvmm("diff", racy, clean, "--json");
    assert.equal(r.code, 1, r.stderr);
    const d = JSON.parse(r.stdout) as {
      launch: string[];
      divergence: { kind: string; k: number };
      partings: { kind: string; difference?: string; where: { a: { file: string; line: number; icount: number }; b: { file: string } } }[];
      console: { onlyA: { key: string }[]; onlyB: { key: string }[] };
    };
    assert.deepEqual(d.launch, ['cmdline: "race=rdt-early" / "race=copybreak"']);
    assert.deepEqual([d.divergence.kind, d.divergence.k], ["console", 1]);
    const rx = d.partings.find((p) => p.kind === "rx-dma");
    assert.ok(rx, "the receive DMA parts too");
    assert.match(rx.difference ?? "", /bytes differ/);
    assert.match(rx.where.a.file, /e1000\.c$/);
    assert.ok(rx.where.a.line > 0);
    assert.ok(d.console.onlyA.some((l) => /race: corrupted/.test(l.key)));
    assert.ok(!d.console.onlyB.some((l) => /race: corrupted/.test(l.key)));
  });

  it("two kernels: a typed error, since their runs cannot be aligned", () => {
    const rec = readRecording(new Uint8Array(readFileSync(racy)));
    const other = { ...rec, header: { ...rec.header, kernel: { ...rec.header.kernel, sha256: "0".repeat(64) } } };
    assert.throws(
      () => diffRecordings(rec, other),
      (e: unknown) => e instanceof RecordingError && e.code === "wrong-kernel" && /different kernels/.test(e.message),
    );
  });

  it("bad input: one line and exit 2", () => {
    const one = lvmm("diff", racy);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /name two recordings/);
    const junk = join(dir, "junk.lvmmrec");
    writeFileSync(junk, "not a recording");
    const bad = lvmm("diff", racy, junk);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assert.match(bad.stderr, /junk\.lvmmrec/);
  });
});
