// The thesis's per-interrupt NIC receive log: for each interrupt, the descriptors the driver
// consumed between its ICR read and its RDT write, with addresses, lengths, status and bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { restoreSnapshot, saveSnapshot } from "../../src/vmm/snapshot";
import { ElfFile } from "../../src/vmm/elf";
import { bootGuest, bytes, kernel, udpToGuest } from "../helpers/guest";

const rxBuffers = ElfFile.parse(kernel()).symbolByName("e1000_rx_buffers")!;

const RXT0 = 0x80;
const DD_EOP = 0x03;

test("each receive interrupt lists the descriptors the driver consumed, with the DMA'd bytes", async () => {
  const m = await bootGuest();
  try {
    const log = m.dmaLog!;
    const before = log.interrupts().length;
    const t = m.nowNs + 1e6;
    const single = udpToGuest(bytes("one frame alone"), 40001);
    const burst = Array.from({ length: 5 }, (_, i) => udpToGuest(bytes(`burst ${i}`), 40100 + i));
    m.wire.inject(single, t);
    for (const f of burst) m.wire.inject(f, t + 2e6); // same instant: one interrupt, five descriptors
    m.run({ untilNs: t + 10e6 });
    const irqs = log
      .interrupts()
      .slice(before)
      .filter((r) => r.descriptors.length > 0);
    assert.equal(irqs.length, 2, JSON.stringify(irqs.map((r) => r.descriptors.length)));
    const [a, b] = irqs as [(typeof irqs)[0], (typeof irqs)[0]];
    assert.ok(a.icr & RXT0, "the driver read RXT0");
    assert.equal(a.descriptors.length, 1);
    assert.equal(b.descriptors.length, 5);
    const all = [...a.descriptors, ...b.descriptors];
    const expected = [single, ...burst];
    all.forEach((d, i) => {
      assert.equal(d.status & DD_EOP, DD_EOP);
      assert.equal(d.errors, 0);
      assert.equal(d.length, Math.max(60, expected[i]!.length));
      assert.deepEqual([...d.bytes.subarray(0, expected[i]!.length)], [...expected[i]!]);
      assert.ok(d.dmaIcount <= d.consumedIcount, "consumed after the DMA");
      assert.ok(d.addr >= rxBuffers.value && d.addr < rxBuffers.value + rxBuffers.size, "the buffer is one of the driver's RX buffers");
      assert.deepEqual([...m.cpu.readPhysical(d.addr, expected[i]!.length)], [...expected[i]!], "the bytes are in guest memory there");
      if (i > 0) assert.equal(d.index, (all[i - 1]!.index + 1) % 64, "consecutive ring slots");
    });
    assert.equal(b.descriptors[0]!.dmaNs, t + 2e6, "the DMA happened at the frames' arrival");
  } finally {
    m.destroy();
  }
});

test("re-executing a stretch does not duplicate its log entries", async () => {
  const m = await bootGuest();
  try {
    const snap = saveSnapshot(m);
    for (let i = 0; i < 3; i++) m.wire.inject(udpToGuest(bytes(`r${i}`)), m.nowNs + 1e6 + i * 1e6);
    m.run({ untilNs: m.nowNs + 10e6 });
    const first = m.dmaLog!.interrupts().map((r) => [r.icrIcount, r.descriptors.length]);
    const present = m.icountNumber;
    restoreSnapshot(m, snap, "replay");
    m.run({ untilIcount: present });
    assert.deepEqual(
      m.dmaLog!.interrupts().map((r) => [r.icrIcount, r.descriptors.length]),
      first,
    );
  } finally {
    m.destroy();
  }
});

test("with txLogLimit 0 the log keeps receive interrupts but no transmit records (the stream server's engine)", async () => {
  const m = await bootGuest({ txLogLimit: 0 });
  try {
    const sent: Uint8Array[] = [];
    m.wire.onTransmit((f) => sent.push(f));
    const t = m.nowNs + 1e6;
    for (let i = 0; i < 3; i++) m.wire.inject(udpToGuest(bytes(`echo ${i}`)), t + i * 1e6);
    m.run({ untilNs: t + 10e6 });
    assert.ok(sent.length >= 3, `${sent.length} frames echoed`);
    assert.equal(m.dmaLog!.transmits().length, 0);
    assert.ok(
      m.dmaLog!.interrupts().some((r) => r.descriptors.length > 0),
      "receive interrupts are logged",
    );
  } finally {
    m.destroy();
  }
});
