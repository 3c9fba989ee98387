// A run is a pure function of its inputs: the same scenario (frames at fixed virtual times)
// gives the same serial output, the same instruction count for every output byte, the same
// transmitted frames and the same machine state, in one process or another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runScenario } from "./scenario";
import { createGuest, ROOT } from "../helpers/guest";
import type { Machine } from "../../src/vmm/machine";
import { stateHash } from "../../src/vmm/snapshot";
import { engineCmdline } from "../../src/streamsim/ioengine/engine-host";

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

// A server paces the machine to the wall clock in ~1 ms steps. Stopping it between two sync
// points would change how the stretch before the stop runs (interpreted, to land exactly), and
// with it the instruction counts device callbacks see; a replay that runs straight through
// would then disagree with the recording. RunLimit.paceNs stops only at sync points.
test("a run paced in small steps (paceNs) runs the guest exactly as one straight run", async () => {
  const opts = { cmdline: engineCmdline({ bootId: 9 }), memoryMB: 32 };
  const END_NS = 400e6;
  const observe = (m: Machine) => {
    const seen: string[] = [];
    m.serial.onByte(({ byte, icount }) => seen.push(`${byte}@${icount}`));
    m.onInterrupt((e) => seen.push(`irq${e.irq}@${e.icount}`));
    return seen;
  };
  const straight = await createGuest(opts);
  const paced = await createGuest(opts);
  try {
    const a = observe(straight);
    straight.run({ untilNs: END_NS });
    const b = observe(paced);
    let steps = 0;
    // Fine steps through the boot (its console output), then a third of a millisecond.
    for (let ns = 5e3; ns < END_NS; ns += ns < 1e6 ? 5e3 : 1e6 / 3) {
      assert.equal(paced.run({ paceNs: ns }).kind, "limit");
      steps++;
    }
    paced.run({ untilNs: END_NS });
    assert.ok(steps > 1000 && a.length > 300, `${steps} steps, ${a.length} observations`);
    assert.deepEqual(b, a, "every console byte and interrupt at the same instruction count");
    assert.equal(stateHash(paced), stateHash(straight));
  } finally {
    straight.destroy();
    paced.destroy();
  }
});

// v86's JS devices read one clock shared by every instance (the running machine's). A machine
// created while another one runs (a replay opened beside a live engine) must still start from
// its own clock, or it boots differently from the same machine created alone.
test("a machine created while another one runs boots exactly as one created alone", async () => {
  const opts = { cmdline: engineCmdline({ bootId: 5 }), memoryMB: 32 };
  const busy = await createGuest(opts);
  const alone = await createGuest(opts);
  let beside: Machine | undefined;
  try {
    busy.run({ untilNs: 1e9 });
    const running = busy.runAsync({ untilNs: 30e9 });
    beside = await createGuest(opts);
    busy.pause();
    await running;
    const a = observeRun(alone, 300e6);
    const b = observeRun(beside, 300e6);
    assert.deepEqual(b, a, "every console byte and interrupt at the same instruction count");
    assert.equal(stateHash(beside), stateHash(alone));
  } finally {
    busy.destroy();
    alone.destroy();
    beside?.destroy();
  }
});

function observeRun(m: Machine, untilNs: number): string[] {
  const seen: string[] = [];
  const offByte = m.serial.onByte(({ byte, icount }) => seen.push(`${byte}@${icount}`));
  const offIrq = m.onInterrupt((e) => seen.push(`irq${e.irq}@${e.icount}`));
  m.run({ untilNs });
  offByte();
  offIrq();
  return seen;
}
