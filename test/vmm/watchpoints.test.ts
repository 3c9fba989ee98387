// Data breakpoints: a write by the CPU stops right after the instruction that made it; a write
// by the NIC's DMA stops at the sync point where the frame arrived. Both are exact, and the run
// continues as if nothing had stopped it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElfFile } from "../../src/vmm/elf";
import { restoreSnapshot, saveSnapshot, stateHash } from "../../src/vmm/snapshot";
import { Machine } from "../../src/vmm/machine";
import type { Watchpoint } from "../../src/vmm/watchpoints";
import { bootGuest, bytes, kernel, udpToGuest } from "../helpers/guest";

const elf = ElfFile.parse(kernel());
const sym = (name: string) => {
  const s = elf.symbolByName(name);
  assert.ok(s, `symbol ${name}`);
  return s;
};

/** Exact: from `start`, the instruction from hitAt - 1 to hitAt loads from `watch`, the one before does not. Leaves the machine at hitAt. */
function assertLoadedBy(m: Machine, start: ReturnType<typeof saveSnapshot>, watch: Watchpoint, hitAt: number): void {
  for (const [from, expect] of [
    [hitAt - 2, "limit"],
    [hitAt - 1, "watchpoint"],
  ] as const) {
    m.setWatchpoints([]);
    restoreSnapshot(m, start);
    m.run({ untilIcount: from });
    m.setWatchpoints([watch]);
    assert.equal(m.run({ untilIcount: from + 1 }).kind, expect, `the instruction from ${from}`);
    assert.equal(m.icountNumber, from + 1);
  }
}

test("a CPU store to a watched variable stops right after the storing instruction", async () => {
  const m = await bootGuest();
  try {
    const stats = sym("stats"); // the e1000 driver's counters: rx is bumped per received frame
    m.wire.inject(udpToGuest(bytes("watch me")), m.nowNs + 2e6);
    const start = saveSnapshot(m);
    m.setWatchpoints([{ id: 1, address: stats.value, length: stats.size }]);
    const stop = m.run({ untilNs: m.nowNs + 50e6 });
    assert.equal(stop.kind, "watchpoint", JSON.stringify(stop));
    if (stop.kind !== "watchpoint") return;
    assert.equal(stop.by, "cpu");
    assert.notDeepEqual([...stop.newBytes], [...stop.oldBytes]);
    const hitAt = m.icountNumber;
    const eip = m.cpu.registers().eip;
    // One instruction earlier the bytes were still the old ones.
    m.setWatchpoints([]);
    restoreSnapshot(m, start);
    m.run({ untilIcount: hitAt - 1 });
    assert.deepEqual([...m.cpu.readPhysical(stats.value, stats.size)], [...stop.oldBytes]);
    m.step();
    assert.deepEqual([...m.cpu.readPhysical(stats.value, stats.size)], [...stop.newBytes]);
    assert.equal(m.cpu.registers().eip, eip);
  } finally {
    m.destroy();
  }
});

test("a DMA write into a watched receive buffer stops at the frame's arrival", async () => {
  const m = await bootGuest();
  try {
    const rx = sym("e1000_rx_buffers");
    const payload = bytes("dma payload");
    const at = m.nowNs + 3e6;
    m.wire.inject(udpToGuest(payload), at);
    // Watch the start of every RX buffer (64 x 2048 bytes): whichever the NIC fills next.
    m.setWatchpoints(Array.from({ length: 64 }, (_, i) => ({ id: i, address: rx.value + i * 2048, length: 64 })));
    const stop = m.run({ untilNs: m.nowNs + 50e6 });
    assert.equal(stop.kind, "watchpoint", JSON.stringify(stop));
    if (stop.kind !== "watchpoint") return;
    assert.equal(stop.by, "dma");
    assert.equal(m.nowNs, at, "stopped at the sync point where the frame arrived");
    assert.ok(Buffer.from(stop.newBytes).includes(Buffer.from("dma payload").subarray(0, 8)) || stop.newBytes[12] === 0x08);
  } finally {
    m.destroy();
  }
});

test("stopping on a watchpoint and continuing ends where an undisturbed run ends", async () => {
  const a = await bootGuest();
  const b = await bootGuest();
  try {
    for (const m of [a, b]) for (let i = 0; i < 5; i++) m.wire.inject(udpToGuest(bytes(`w${i}`)), m.nowNs + 1e6 + i * 2e6);
    const end = a.nowNs + 30e6;
    const stats = sym("stats");
    a.setWatchpoints([{ id: 1, address: stats.value, length: stats.size }]);
    let hits = 0;
    for (;;) {
      const s = a.run({ untilNs: end });
      if (s.kind !== "watchpoint") break;
      hits++;
    }
    b.run({ untilNs: end });
    assert.ok(hits >= 5, `${hits} hits`);
    assert.equal(stateHash(a), stateHash(b));
  } finally {
    a.destroy();
    b.destroy();
  }
});

test("a CPU load from a read-watched variable stops right after the loading instruction, and the run is undisturbed", async () => {
  const m = await bootGuest();
  const plain = await bootGuest();
  try {
    const ticks = sym("ticks"); // the PIT driver's tick count: each timer interrupt loads it (incl)
    const start = saveSnapshot(m);
    m.setWatchpoints([{ id: 7, address: ticks.value, length: ticks.size, access: "read" }]);
    const stop = m.run({ untilNs: m.nowNs + 100e6 });
    assert.equal(stop.kind, "watchpoint", JSON.stringify(stop));
    if (stop.kind !== "watchpoint") return;
    assert.deepEqual([stop.id, stop.access, stop.by, stop.address], [7, "read", "cpu", ticks.value]);
    assertLoadedBy(m, start, { id: 7, address: ticks.value, length: ticks.size, access: "read" }, m.icountNumber);
    // Stopping on every load for a while, then on: the same machine as a run that never watched.
    const end = m.nowNs + 100e6;
    let hits = 0;
    for (; hits < 10_000; hits++) if (m.run({ untilNs: end }).kind !== "watchpoint") break;
    m.setWatchpoints([]);
    m.run({ untilNs: end + 10e6 });
    plain.run({ untilNs: end + 10e6 });
    assert.ok(hits >= 5, `${hits} loads`);
    assert.equal(stateHash(m), stateHash(plain));
  } finally {
    m.destroy();
    plain.destroy();
  }
});

test("a rep movs that loads from a read-watched range stops right after it; one that only stores there does not", async () => {
  const src = sym("rep_load_src"); // workload=rep-load copies it to rep_load_dst with rep movsl, once a tick, 8 times
  const dst = sym("rep_load_dst");
  const boot = () => Machine.create({ kernel: kernel(), cmdline: "workload=rep-load quiet", nic: false });
  const m = await boot();
  const plain = await boot();
  try {
    const start = saveSnapshot(m);
    m.setWatchpoints([{ id: 1, address: dst.value + 100, length: 4, access: "read" }]);
    assert.notEqual(m.run({ untilNs: 200e6 }).kind, "watchpoint", "rep movs stores into rep_load_dst and never loads from it");
    restoreSnapshot(m, start);
    const watch = { id: 2, address: src.value + 100, length: 4, access: "read" as const };
    m.setWatchpoints([watch]);
    const stop = m.run({ untilNs: 200e6 });
    assert.equal(stop.kind, "watchpoint", JSON.stringify(stop));
    if (stop.kind !== "watchpoint") return;
    assert.deepEqual([stop.id, stop.access], [2, "read"]);
    assertLoadedBy(m, start, watch, m.icountNumber);
    let copies = 1;
    while (m.run({ untilNs: 200e6 }).kind === "watchpoint") copies++;
    assert.equal(copies, 8, "one stop per copy");
    plain.run({ untilNs: 200e6 });
    assert.equal(stateHash(m), stateHash(plain));
  } finally {
    m.destroy();
    plain.destroy();
  }
});
