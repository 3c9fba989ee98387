// The `lvmm boot` command as a user meets it: console output and a summary line, and one clear
// line with exit code 2 for every kind of bad input.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, KERNEL_PATH } from "../helpers/guest";

function lvmm(...args: string[]) {
  // LVMM_DEBUG: an unexpected error prints its stack, which a failure below then shows.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, LVMM_DEBUG: "1" } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const SUMMARY = /^lvmm: (.+): (\d+) instructions, virtual time (\d+\.\d+) s, (\d+\.\d) MIPS \(\d+\.\d+ s wall\)$/m;

describe("lvmm boot", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvmm-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("boots the built guest, streams its console and ends with a summary", () => {
    const r = lvmm("boot", "--seconds", "0.5");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^LVMM I\/O engine/);
    assert.match(r.stdout, /\nready\n/);
    const s = SUMMARY.exec(r.stdout);
    assert.ok(s, r.stdout);
    assert.equal(s[1], "limit reached");
    assert.equal(s[3], "0.500000");
  });

  it("runs an exact number of instructions", () => {
    const r = lvmm("boot", "--kernel", KERNEL_PATH, "--instructions", "123457", "--no-jit");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(SUMMARY.exec(r.stdout)?.[2], "123457");
  });

  it("passes the command line to the guest and reports a crash with exit code 1", () => {
    const r = lvmm("boot", "--cmdline", "fault=triple", "--seconds", "2");
    const output = `exit ${r.code} ${r.signal ?? ""}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    assert.equal(r.code, 1, output);
    assert.match(r.stdout, /fault: triple/, output);
    assert.match(SUMMARY.exec(r.stdout)?.[1] ?? "", /guest crashed .*triple fault/, output);
  });

  const bad: [string, () => string[], RegExp][] = [
    ["a missing kernel", () => ["boot", "--kernel", join(dir, "nope.elf")], /kernel .*nope\.elf does not exist/],
    [
      "a text file",
      () => {
        const p = join(dir, "notes.txt");
        writeFileSync(p, "hello");
        return ["boot", "--kernel", p];
      },
      /not an ELF file/,
    ],
    ["a 64-bit ELF", () => ["boot", "--kernel", process.execPath], /64-bit|ELFCLASS64|elf64/i],
    ["an ELF without a multiboot header", () => ["boot", "--kernel", plainElf()], /multiboot/],
    ["an unknown option", () => ["boot", "--frobnicate"], /Unknown option '--frobnicate'/],
    ["a non-numeric --seconds", () => ["boot", "--seconds", "soon"], /--seconds must be a positive number/],
    ["both --seconds and --instructions", () => ["boot", "--seconds", "1", "--instructions", "5"], /either --seconds or --instructions/],
    ["a fractional --instructions", () => ["boot", "--instructions", "2.5"], /--instructions must be a whole number/],
    ["an unknown command", () => ["frob"], /unknown command "frob"/],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} with one line and exit code 2`, () => {
      const r = lvmm(...args());
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    });
  }

  function plainElf(): string {
    const c = join(dir, "plain.c");
    const out = join(dir, "plain.elf");
    writeFileSync(c, "void _start(void) { for (;;) ; }\n");
    const r = spawnSync("gcc", ["-m32", "-ffreestanding", "-nostdlib", "-static", "-fno-pie", "-no-pie", "-o", out, c], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return out;
  }
});

describe("lvmm demo (npm start)", () => {
  it("boots paced, bridges the echo service to 127.0.0.1 and gets every ping back", () => {
    const r = spawnSync(process.execPath, [CLI, "demo", "--seconds", "3", "--pings", "3", "--port", "0"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /guest UDP echo \(port 7\) is bridged to udp:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.stdout, /\[lvmm\] 3\/3 echoes received/);
    assert.match(r.stdout, /^lvmm: limit reached: \d+ instructions, virtual time 3\.000000 s/m);
  });
});
