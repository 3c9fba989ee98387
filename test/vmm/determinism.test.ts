// A run is a pure function of its inputs: the same scenario (frames at fixed virtual times)
// gives the same serial output, the same instruction count for every output byte, the same
// transmitted frames and the same machine state, in one process or another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runScenario } from "./scenario";
import { ROOT } from "../helpers/guest";

test("two runs of the same scenario are identical", async () => {
  const a = await runScenario();
  const b = await runScenario();
  assert.match(a.serial, /\nready\n/);
  assert.equal(a.serial, b.serial);
  assert.equal(a.byteCounts, b.byteCounts, "every serial byte at the same instruction count");
  assert.equal(a.txDigest, b.txDigest, "the same frames at the same virtual times");
  assert.equal(a.icount, b.icount);
  assert.equal(a.state, b.state, "the same machine-state hash");
});

test("another process reaches the same state", async () => {
  const here = await runScenario();
  const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "test/vmm/scenario.ts")], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  const there = JSON.parse(out.trim().split("\n").pop()!);
  assert.equal(there.state, here.state);
  assert.equal(there.icount, String(here.icount));
  assert.equal(there.byteCounts, here.byteCounts);
  assert.equal(there.serial, createHash("sha256").update(here.serial).digest("hex"));
});

test("the interpreter alone reaches the same state as the JIT", async () => {
  const jit = await runScenario({ jit: true });
  const interp = await runScenario({ jit: false });
  assert.equal(interp.state, jit.state, "where the JIT splits the code never shows in the result");
  assert.equal(interp.txDigest, jit.txDigest);
  assert.equal(interp.serial, jit.serial);
});
