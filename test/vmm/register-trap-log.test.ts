// The evaluation's "trap every device register access" mode (MachineOptions.trapDeviceRegisters):
// off by default, and when on it logs every e1000 register access the guest makes, in order,
// without changing what the guest computes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateHash } from "../../src/vmm/snapshot";
import { ICR, RDT, TDT } from "../../src/vmm/devices/e1000-regs";
import { bootGuest, bytes, udpToGuest } from "../helpers/guest";
import type { Machine } from "../../src/vmm/machine";

/** Boots, echoes three datagrams, and returns the replies' count and the machine. */
async function echoRun(trap: boolean): Promise<{ m: Machine; replies: number }> {
  const m = await bootGuest({ trapDeviceRegisters: trap });
  let replies = 0;
  const off = m.wire.onTransmit(() => replies++);
  const t = m.nowNs + 1e6;
  for (let i = 0; i < 3; i++) m.wire.inject(udpToGuest(bytes(`trap ${i}`), 40200 + i), t + i * 1e6);
  m.run({ untilNs: t + 20e6 });
  off();
  return { m, replies };
}

test("off by default: no trap log", async () => {
  const { m, replies } = await echoRun(false);
  try {
    assert.equal(replies, 3);
    assert.equal(m.registerTrapLog, undefined);
  } finally {
    m.destroy();
  }
});

test("on: every register access is logged, ICR reads and RDT/TDT writes among them, and the guest computes the same", async () => {
  const plain = await echoRun(false);
  const trapped = await echoRun(true);
  try {
    assert.equal(trapped.replies, 3);
    const log = trapped.m.registerTrapLog!;
    const all = log.entries();
    assert.equal(all.length, log.count);
    assert.equal(log.bytes, log.count * 64);
    // The driver's init (EEPROM, ring set-up) and then per frame: ICR, RDT, TDT at least.
    const icrReads = all.filter((a) => !a.write && a.offset === ICR);
    const rdtWrites = all.filter((a) => a.write && a.offset === RDT);
    const tdtWrites = all.filter((a) => a.write && a.offset === TDT);
    assert.ok(icrReads.length >= 3, `ICR reads: ${icrReads.length}`);
    assert.ok(rdtWrites.length >= 4, `RDT writes: ${rdtWrites.length} (one at init, then per interrupt)`);
    assert.ok(tdtWrites.length >= 3, `TDT writes: ${tdtWrites.length}`);
    // As many ICR reads as the DMA log's interrupts: the same accesses, seen by both.
    assert.equal(icrReads.length, trapped.m.dmaLog!.interrupts().length);
    for (let i = 1; i < all.length; i++) {
      assert.equal(all[i]!.seq, all[i - 1]!.seq + 1);
      assert.ok(all[i]!.icount >= all[i - 1]!.icount, "in execution order");
    }
    for (const a of all) {
      assert.ok(a.width === 4 || a.width === 2 || a.width === 1);
      assert.equal(a.regs.length, 8);
      assert.ok(a.eip >= 0x100000, `EIP 0x${a.eip.toString(16)} is in the kernel`);
    }
    // The last RDT write logged the value the device holds.
    assert.equal(rdtWrites.at(-1)!.value, trapped.m.nic!.model.peekRegister(RDT));
    // Trapping observes only: same instruction count and machine state as without it.
    assert.equal(trapped.m.icountNumber, plain.m.icountNumber);
    assert.equal(stateHash(trapped.m), stateHash(plain.m));
  } finally {
    plain.m.destroy();
    trapped.m.destroy();
  }
});

test("the ring keeps the newest records and counts all", async () => {
  const { m } = await echoRun(true);
  try {
    const log = m.registerTrapLog!;
    const n = log.count;
    assert.ok(n > 10);
    // A fresh log over the same machine's CPU with a tiny ring: fill it past its end.
    const { RegisterTrapLog } = await import("../../src/vmm/register-trap-log");
    const small = new RegisterTrapLog(m.internals.vm.cpu, { icount: () => 7, ns: () => 9 }, { limit: 4 });
    for (let i = 0; i < 10; i++) small.record(i % 2 === 0, 4, 0x2818, i);
    const kept = small.entries();
    assert.deepEqual(
      kept.map((a) => [a.seq, a.value, a.write]),
      [
        [7, 6, true],
        [8, 7, false],
        [9, 8, true],
        [10, 9, false],
      ],
    );
    assert.equal(small.count, 10);
    assert.equal(kept[0]!.offset, 0x2818);
    assert.equal(kept[0]!.icount, 7);
    assert.equal(kept[0]!.ns, 9);
  } finally {
    m.destroy();
  }
});
