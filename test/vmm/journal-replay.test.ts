// A run re-executed from power-on with its input journal reaches the same state, even though
// the re-execution never sees the original wire (this is what recordings rely on).
import { describe, it, test } from "node:test";
import { InputJournal } from "../../src/vmm/journal";
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
  assert.ok(
    irqs.some((s) => s.endsWith("/11")),
    "NIC interrupts were delivered",
  );
  assert.ok(
    irqs.some((s) => s.endsWith("/0")),
    "timer interrupts were delivered",
  );

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

describe("forgetting inputs (ring recordings)", () => {
  it("keeps indices absolute and refuses to go back before what it forgot", () => {
    const j = new InputJournal();
    for (let i = 0; i < 10; i++) j.append({ kind: "serial", icount: i * 100, ns: i * 1000, text: String(i) });
    j.forgetBefore({ icount: 400, ns: 4000 });
    assert.equal(j.length, 10);
    assert.equal(j.all().length, 6);
    assert.equal(j.at(4)?.icount, 400);
    assert.equal(j.at(9)?.icount, 900);
    assert.equal(j.at(10), undefined);
    assert.equal(j.indexAt({ icount: 450, ns: 4500 }), 5);
    assert.equal(j.indexAt({ icount: 400, ns: 4000 }), 4);
    assert.throws(() => j.at(3), /no longer holds inputs before icount 400/);
    assert.throws(() => j.indexAt({ icount: 100, ns: 1000 }), /no longer holds inputs/);
    assert.throws(() => j.truncate(2), /no longer holds inputs/);
    j.truncate(7);
    assert.equal(j.length, 7);
    j.append({ kind: "serial", icount: 1000, ns: 10_000, text: "x" });
    assert.equal(j.at(7)?.icount, 1000);
  });
});
