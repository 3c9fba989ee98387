// A run re-executed from power-on with its input journal reaches the same state, even though
// the re-execution never sees the original wire (this is what recordings rely on).
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateHash } from "../../src/vmm/snapshot";
import { createGuest } from "../helpers/guest";
import { injectTraffic, SCENARIO_END_NS } from "./scenario";

test("a fresh machine fed the journal reaches the recorded state, then goes live", async () => {
  const live = await createGuest();
  const irqs: string[] = [];
  live.onInterrupt((e) => irqs.push(`${e.icount}/${e.irq}`));
  injectTraffic(live);
  live.run({ untilNs: SCENARIO_END_NS });
  const end = { icount: live.icountNumber, ns: live.internals.point().ns };
  const events = [...live.journal.all()];
  const hash = stateHash(live);
  live.destroy();
  assert.ok(events.length >= 40);
  assert.ok(irqs.some((s) => s.endsWith("/11")), "NIC interrupts were delivered");
  assert.ok(irqs.some((s) => s.endsWith("/0")), "timer interrupts were delivered");

  const again = await createGuest();
  try {
    const irqs2: string[] = [];
    again.onInterrupt((e) => irqs2.push(`${e.icount}/${e.irq}`));
    again.loadJournal(events, end);
    again.run({ untilNs: SCENARIO_END_NS });
    assert.equal(again.icountNumber, end.icount);
    assert.equal(stateHash(again), hash);
    assert.deepEqual(irqs2, irqs, "every interrupt at the same instruction count");
    again.run({ untilNs: SCENARIO_END_NS + 20e6 });
    assert.equal(again.internals.replayPresent, undefined, "live again after the end of the recording");
  } finally {
    again.destroy();
  }
});
