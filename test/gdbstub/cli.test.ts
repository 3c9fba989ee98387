// `lvmm gdbserver`'s bad invocations: one line and exit code 2, never a stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CLI } from "../helpers/guest";

function lvmm(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("lvmm gdbserver: help and bad options", () => {
  const help = lvmm("gdbserver", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: lvmm gdbserver \[--port N\]/);
  for (const [args, message] of [
    [["--port", "70000"], /--port must be 0\.\.65535/],
    [["--port", "x"], /--port must be 0\.\.65535/],
    [["--echo-load", "0"], /--echo-load must be a positive number/],
    [["--kernel", "/nonexistent.elf"], /kernel \/nonexistent\.elf does not exist/],
    [["--recording", "/nonexistent.lvmmrec"], /cannot read \/nonexistent\.lvmmrec: no such file/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
  ] as const) {
    const r = lvmm("gdbserver", ...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
