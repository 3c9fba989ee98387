// Snapshots: save, run on, restore, run on again: the same result as never having
// snapshotted, including the 64-bit instruction count, the clock and the e1000 model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { restoreSnapshot, saveSnapshot, stateHash } from "../../src/vmm/snapshot";
import { createGuest } from "../helpers/guest";
import { injectTraffic, runScenario, SCENARIO_END_NS } from "./scenario";

test("snapshot, restore and run on equals never having snapshotted", async () => {
  const reference = await runScenario();
  const m = await createGuest();
  try {
    injectTraffic(m);
    m.run({ untilNs: 170e6 }); // mid-traffic: frames queued, interrupts in flight
    const snap = saveSnapshot(m);
    const atSnap = stateHash(m);
    m.run({ untilNs: 260e6 });
    const later = stateHash(m);
    restoreSnapshot(m, snap);
    assert.equal(stateHash(m), atSnap, "restore is exact");
    m.run({ untilNs: 260e6 });
    assert.equal(stateHash(m), later, "running on after a restore repeats the first run");
    m.run({ untilNs: SCENARIO_END_NS });
    assert.equal(stateHash(m), reference.state, "and ends where a run without snapshots ends");
    assert.equal(m.icount, reference.icount);
  } finally {
    m.destroy();
  }
});

test("restore keeps EFLAGS exact (v86 restore loses lazily computed flags)", async () => {
  const m = await createGuest();
  try {
    m.run({ untilNs: 120e6 });
    for (let i = 0; i < 200; i++) m.step(); // stop somewhere inside ordinary code
    const flags = m.cpu.registers().eflags;
    const snap = saveSnapshot(m);
    m.run({ untilNs: m.nowNs + 10e6 });
    restoreSnapshot(m, snap);
    assert.equal(m.cpu.registers().eflags, flags);
  } finally {
    m.destroy();
  }
});
