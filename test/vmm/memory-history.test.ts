// The history of a memory range over a run: every change, in order, with its writer. The CPU's
// stores to the e1000 driver's counters are pinned to the storing instruction (in the driver's
// receive path); the NIC's receive DMA into a ring buffer names the descriptor and the frame it
// copied. The machine ends where it was, and its own watchpoints and breakpoints stay armed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ElfFile } from "../../src/vmm/elf";
import { DebugInfo } from "../../src/adapter/dwarf";
import { finish } from "../../src/vmm/long-work";
import { memoryHistoryWork } from "../../src/vmm/memory-history";
import { bootGuest, kernel, udpToGuest } from "../helpers/guest";

const image = kernel();
const elf = ElfFile.parse(image);
const di = DebugInfo.load(image);
const sym = (name: string) => {
  const s = elf.symbolByName(name);
  assert.ok(s, `symbol ${name}`);
  return s;
};

const FRAMES = 12;

async function withTraffic(): Promise<{ m: Awaited<ReturnType<typeof bootGuest>>; from: number }> {
  const m = await bootGuest();
  m.timeline.checkpoint();
  const from = m.icountNumber;
  for (let i = 0; i < FRAMES; i++)
    m.wire.inject(
      udpToGuest(
        Uint8Array.from({ length: 40 + i }, (_, k) => (k * 7 + i) & 0xff),
        40100 + i,
      ),
      m.nowNs + 1e6 + i * 2e6,
    );
  m.run({ untilNs: m.nowNs + 40e6 });
  return { m, from };
}

test("a counter's history: one CPU store per received frame, each in the driver's receive path", async () => {
  const { m, from } = await withTraffic();
  try {
    const stats = sym("stats");
    const rxFrames = { address: stats.value + 4, length: 4 }; // struct e1000_stats: interrupts, rx_frames, ...
    const here = m.icountNumber;
    const regs = m.cpu.registers();
    const counters = m.cpu.readPhysical(stats.value, stats.size);
    m.setWatchpoints([{ id: 7, address: sym("stats").value, length: 4 }]);
    m.breakpoints.set([sym("kmain").value]);
    const h = finish(memoryHistoryWork(m, rxFrames, from, here));
    assert.equal(h.changes.length, FRAMES);
    assert.equal(h.truncated, false);
    let last = -1;
    for (const [k, c] of h.changes.entries()) {
      assert.equal(c.by, "cpu");
      const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
      assert.equal(view(c.newBytes), view(c.oldBytes) + 1, `change ${k}`);
      assert.ok(c.icount > last && c.icount <= here);
      last = c.icount;
      assert.ok(c.pc !== undefined);
      const line = di.addressToLine(c.pc!);
      assert.ok(line && line.file.endsWith("e1000.c"), JSON.stringify(line));
      assert.match(readFileSync(line.file, "utf8").split("\n")[line.line - 1]!, /stats\.rx_frames\+\+/);
    }
    // Back where it was, as it was, with its own stops armed again.
    assert.equal(m.icountNumber, here);
    assert.deepEqual(m.cpu.registers(), regs);
    assert.deepEqual(m.cpu.readPhysical(stats.value, stats.size), counters);
    assert.deepEqual(
      m.watchpoints.list().map((w) => w.id),
      [7],
    );
    assert.deepEqual(m.breakpoints.list(), [sym("kmain").value]);
  } finally {
    m.destroy();
  }
});

test("a receive buffer's history names the NIC's DMA: the descriptor and the frame it copied", async () => {
  const { m, from } = await withTraffic();
  try {
    const buffers = sym("e1000_rx_buffers");
    const h = finish(memoryHistoryWork(m, { address: buffers.value, length: 64 }, from, m.icountNumber));
    const dma = h.changes.filter((c) => c.by === "dma");
    assert.ok(dma.length >= 1, JSON.stringify(h.changes.map((c) => c.by)));
    for (const c of dma) {
      assert.ok(c.rx, "the descriptor the DMA filled");
      assert.equal(c.rx.index, 0);
      assert.equal(c.rx.addr, buffers.value);
      assert.deepEqual([...c.newBytes.subarray(0, 12)], [...c.rx.bytes.subarray(0, 12)]);
    }
  } finally {
    m.destroy();
  }
});

test("a limit stops the search at the last change it keeps", async () => {
  const { m, from } = await withTraffic();
  try {
    const stats = sym("stats");
    const h = finish(memoryHistoryWork(m, { address: stats.value + 4, length: 4 }, from, m.icountNumber, { limit: 3 }));
    assert.equal(h.changes.length, 3);
    assert.equal(h.truncated, true);
    assert.equal(h.to, h.changes[2]!.icount);
    assert.throws(() => finish(memoryHistoryWork(m, { address: stats.value, length: 5000 }, from, m.icountNumber)), /1\.\.4096 bytes/);
    assert.throws(() => finish(memoryHistoryWork(m, { address: 0xfff00000, length: 4 }, from, m.icountNumber)), /GuestMemoryError|outside|not RAM/i);
  } finally {
    m.destroy();
  }
});
