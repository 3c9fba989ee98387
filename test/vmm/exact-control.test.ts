// Exact instruction-count control: running N instructions in one go, in pieces, or by single
// steps lands on the same state; breakpoints stop on the instruction, in JIT code too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElfFile } from "../../src/vmm/elf";
import { restoreSnapshot, saveSnapshot, stateHash } from "../../src/vmm/snapshot";
import { bootGuest, kernel, udpToGuest, bytes } from "../helpers/guest";

test("one run, many pieces and single steps reach the same state", async () => {
  const m = await bootGuest();
  try {
    for (let i = 0; i < 20; i++) m.wire.inject(udpToGuest(bytes(`ping ${i}`)), m.nowNs + 1e6 + i * 3e5);
    const start = saveSnapshot(m);
    const target = m.icountNumber + 3_000_000;
    m.run({ untilIcount: target });
    const whole = stateHash(m);
    assert.equal(m.icountNumber, target);

    restoreSnapshot(m, start);
    let seed = 7;
    while (m.icountNumber < target) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      if (seed % 5 === 0) for (let k = 0; k < 50 && m.icountNumber < target; k++) m.step();
      else m.run({ untilIcount: Math.min(target, m.icountNumber + (seed % 200_000) + 1) });
    }
    assert.equal(m.icountNumber, target);
    assert.equal(stateHash(m), whole);
  } finally {
    m.destroy();
  }
});

test("a breakpoint stops on its instruction with an exact count, every time it is reached", async () => {
  const elf = ElfFile.parse(kernel());
  const fn = elf.functions.find((s) => /^udp_(input|receive|handle)/.test(s.name) || s.name === "echo") ?? elf.symbolByName("e1000_transmit");
  assert.ok(fn, "a function on the echo path");
  const m = await bootGuest();
  try {
    const start = saveSnapshot(m);
    for (let i = 0; i < 3; i++) m.wire.inject(udpToGuest(bytes(`bp ${i}`)), m.nowNs + 1e6 + i * 1e6);
    m.breakpoints.set([fn.value]);
    const hits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const stop = m.run({ untilNs: m.nowNs + 20e6 });
      assert.deepEqual(stop, { kind: "breakpoint", address: fn.value });
      assert.equal(m.cpu.registers().eip, fn.value);
      hits.push(m.icountNumber);
    }
    m.breakpoints.set([]);
    restoreSnapshot(m, start);
    for (let i = 0; i < 3; i++) m.wire.inject(udpToGuest(bytes(`bp ${i}`)), m.nowNs + 1e6 + i * 1e6);
    for (const h of hits) {
      m.run({ untilIcount: h });
      assert.equal(m.cpu.registers().eip, fn.value, `at icount ${h} the guest is on the breakpoint's instruction`);
    }
  } finally {
    m.destroy();
  }
});
