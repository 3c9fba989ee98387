// Snapshots: save, run on, restore, run on again: the same result as never having
// snapshotted, including the 64-bit instruction count, the clock and the e1000 model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { restoreSnapshot, saveSnapshot, stateHash } from "../../src/vmm/snapshot";
import { createGuest } from "../helpers/guest";
import type { Machine } from "../../src/vmm/machine";
import { engineCmdline } from "../../src/streamsim/ioengine/engine-host";
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

// The I/O engine reads the TSC between sync points, where v86 extrapolates it from how many
// times it was read: counters v86's own state lacks and that save_state and restore_state
// advance themselves. Snapshots keep them, so neither taking one nor restoring one changes
// what the guest does next.
test("a guest that reads the TSC runs on the same after a snapshot is taken, or restored into a new machine", async () => {
  const opts = { cmdline: engineCmdline({ bootId: 7 }), memoryMB: 32 };
  const SNAP_NS = 1.5e9;
  const END_NS = SNAP_NS + 20e6;
  const timerTicks = (m: Machine) => {
    const ticks: number[] = [];
    m.onInterrupt((e) => ticks.push(e.icount));
    return ticks;
  };
  const straight = await createGuest(opts);
  const snapped = await createGuest(opts);
  const restored = await createGuest(opts);
  try {
    straight.run({ untilNs: SNAP_NS });
    const expected = timerTicks(straight);
    straight.run({ untilNs: END_NS });

    snapped.run({ untilNs: SNAP_NS });
    const snap = saveSnapshot(snapped);
    const afterSnapshot = timerTicks(snapped);
    snapped.run({ untilNs: END_NS });
    assert.deepEqual(afterSnapshot, expected, "taking a snapshot changed what the guest did next");
    assert.equal(stateHash(snapped), stateHash(straight));

    restoreSnapshot(restored, snap);
    const afterRestore = timerTicks(restored);
    restored.run({ untilNs: END_NS });
    assert.ok(expected.length >= 15, `the engine took its 1 kHz timer ticks (${expected.length})`);
    assert.deepEqual(afterRestore, expected, "the restored machine ran differently");
    assert.equal(stateHash(restored), stateHash(straight));
  } finally {
    straight.destroy();
    snapped.destroy();
    restored.destroy();
  }
});
