// Reverse execution: stepping back and forward returns to the same state, and reverse
// continue lands on the last breakpoint hit or watched write before the current position.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElfFile } from "../../src/vmm/elf";
import { reverseContinue, seekTo, stepBack } from "../../src/vmm/reverse";
import { stateHash } from "../../src/vmm/snapshot";
import { bootGuest, bytes, kernel, udpToGuest } from "../helpers/guest";

const elf = ElfFile.parse(kernel());
const udpInput = elf.symbolByName("udp_input")!;
const stats = elf.symbolByName("stats")!;

async function withTraffic() {
  const m = await bootGuest();
  m.timeline.checkpoint();
  for (let i = 0; i < 4; i++) m.wire.inject(udpToGuest(bytes(`rev ${i}`)), m.nowNs + 1e6 + i * 3e6);
  return m;
}

test("step back then forward returns to the same state", async () => {
  const m = await withTraffic();
  try {
    m.run({ untilNs: m.nowNs + 8e6 });
    for (let i = 0; i < 500; i++) m.step(); // somewhere in ordinary code
    const here = m.icountNumber;
    const hash = stateHash(m);
    stepBack(m);
    assert.equal(m.icountNumber, here - 1);
    m.step();
    assert.equal(stateHash(m), hash);
    stepBack(m, 2_000);
    assert.equal(m.icountNumber, here - 2_000);
    m.run({ untilIcount: here });
    assert.equal(stateHash(m), hash);
    seekTo(m, here - 7);
    assert.equal(m.icountNumber, here - 7);
  } finally {
    m.destroy();
  }
});

test("reverse continue lands on each earlier breakpoint hit in turn", async () => {
  const m = await withTraffic();
  try {
    m.breakpoints.set([udpInput.value]);
    const hits: number[] = [];
    for (;;) {
      const s = m.run({ untilNs: m.nowNs + 20e6 });
      if (s.kind !== "breakpoint") {
        assert.equal(s.kind, "limit", JSON.stringify(s));
        break;
      }
      hits.push(m.icountNumber);
    }
    assert.equal(hits.length, 4);
    for (let k = hits.length - 1; k >= 0; k--) {
      const found = reverseContinue(m, { arm: (mm) => mm.breakpoints.set([udpInput.value]) });
      assert.equal(found?.icount, hits[k]);
      assert.equal(m.icountNumber, hits[k]);
      assert.equal(m.cpu.registers().eip, udpInput.value);
    }
    assert.equal(reverseContinue(m, { arm: (mm) => mm.breakpoints.set([udpInput.value]) }), undefined, "nothing before the first hit");
    assert.deepEqual(m.breakpoints.list(), [udpInput.value], "the caller's breakpoints are kept");
  } finally {
    m.destroy();
  }
});

test("reverse continue with a condition skips hits where it is false", async () => {
  const m = await withTraffic();
  try {
    m.run({ untilNs: m.nowNs + 20e6 });
    // Condition: the driver's rx counter (first word of `stats`) equals 2 at the hit.
    const rx = (mm: typeof m) => new DataView(mm.cpu.readPhysical(stats.value, 4).buffer).getUint32(0, true);
    const found = reverseContinue(m, { arm: (mm) => mm.breakpoints.set([udpInput.value]), accept: (mm) => rx(mm) === 2 });
    assert.ok(found);
    assert.equal(rx(m), 2);
  } finally {
    m.destroy();
  }
});

test("reverse continue to the last write of a watched variable", async () => {
  const m = await withTraffic();
  try {
    m.run({ untilNs: m.nowNs + 20e6 });
    const now = m.cpu.readPhysical(stats.value, stats.size);
    const found = reverseContinue(m, { arm: (mm) => mm.setWatchpoints([{ id: 1, address: stats.value, length: stats.size }]) });
    assert.equal(found?.stop.kind, "watchpoint");
    assert.deepEqual([...m.cpu.readPhysical(stats.value, stats.size)], [...now], "right after the last write the value is the final one");
    stepBack(m);
    assert.notDeepEqual([...m.cpu.readPhysical(stats.value, stats.size)], [...now], "one instruction earlier it was not");
  } finally {
    m.destroy();
  }
});
