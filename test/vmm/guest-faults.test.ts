// A guest that misbehaves never takes the VMM down: each fault gives a typed stop reason, the
// machine's state stays readable, and the machine can be restored and used again.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { StopKind } from "../../src/vmm/stop-reason";
import { restoreSnapshot, saveSnapshot } from "../../src/vmm/snapshot";
import { bootGuest, bytes, captureTx, runUntilLine, udpToGuest } from "../helpers/guest";

const cases: { fault: string; kind: StopKind; detail: RegExp }[] = [
  { fault: "triple", kind: "triple-fault", detail: /triple fault/ },
  { fault: "idt-overwrite", kind: "triple-fault", detail: /IDT base=0x[0-9a-f]+ limit/ },
  { fault: "irqoff-hang", kind: "hang", detail: /interrupts have been disabled for \d+ ms/ },
  { fault: "wild-dma", kind: "device-fault", detail: /e1000: dma-out-of-range at 0xf0000000/ },
];

describe("guest faults", () => {
  for (const c of cases) {
    it(`fault=${c.fault} stops with "${c.kind}" and leaves the VMM usable`, async () => {
      const m = await bootGuest({ cmdline: `fault=${c.fault}`, hangWatchdogMs: 200 });
      try {
        const beforeFault = saveSnapshot(m);
        const stop = m.run({ untilNs: m.nowNs + 3e9 });
        assert.equal(stop.kind, c.kind, JSON.stringify(stop));
        assert.match("detail" in stop ? stop.detail : "", c.detail);
        assert.match(m.serial.output, new RegExp(`fault: ${c.fault}`));
        // The debugger's view survives: registers and memory still read.
        assert.equal(typeof m.cpu.registers().eip, "number");
        assert.equal(m.cpu.readPhysical(0x100000, 16).length, 16);
        if (c.kind === "triple-fault") assert.deepEqual(m.run({ untilNs: m.nowNs + 1e6 }), stop, "a dead machine stays dead");
        // Back to before the fault: the guest works again.
        restoreSnapshot(m, beforeFault);
        const tx = captureTx(m);
        m.wire.inject(udpToGuest(bytes("alive?")), m.nowNs + 1000);
        m.run({ untilNs: m.nowNs + 5e6 });
        tx.stop();
        assert.equal(tx.frames.length, 1, "the restored guest echoes again");
      } finally {
        m.destroy();
      }
    });
  }

  for (const [fault, vector, name] of [
    ["pagefault", 14, "#PF"],
    ["ud", 6, "#UD"],
    ["gp", 13, "#GP"],
    ["divide", 0, "#DE"],
  ] as const) {
    it(`fault=${fault}: the guest's handler reports it, and an exception stop lands on that handler`, async () => {
      const m = await bootGuest({ cmdline: `fault=${fault}` });
      try {
        const snap = saveSnapshot(m);
        const crash = m.run({ untilNs: m.nowNs + 3e9 });
        assert.equal(crash.kind, "halted");
        assert.match(m.serial.output, new RegExp(`\\*\\*\\* GUEST CRASH: ${name}`));

        restoreSnapshot(m, snap);
        m.setExceptionStops([vector]);
        const stop = m.run({ untilNs: m.nowNs + 3e9 });
        assert.equal(stop.kind, "exception", JSON.stringify(stop));
        if (stop.kind !== "exception") return;
        assert.equal(stop.vector, vector);
        assert.match(stop.name, new RegExp(name));
        if (vector === 14) assert.equal(stop.cr2, 0, "CR2 holds the faulting address");
        const idt = m.cpu.idt();
        const gate = m.cpu.readPhysical(idt.base + vector * 8, 8);
        const handler = (gate[0]! | (gate[1]! << 8) | (gate[6]! << 16) | (gate[7]! << 24)) >>> 0;
        assert.equal(m.cpu.registers().eip, handler, "stopped on the first instruction of the guest's handler");
        m.setExceptionStops([]);
        assert.equal(m.run({ untilNs: m.nowNs + 3e9 }).kind, "halted", "continuing lets the guest report the crash");
      } finally {
        m.destroy();
      }
    });
  }

  it("a crash report names the exception on the serial console", async () => {
    const m = await bootGuest({ cmdline: "fault=ud" });
    try {
      const r = runUntilLine(m, /GUEST CRASH/, 3e9);
      assert.match(r.line ?? "", /#UD/);
    } finally {
      m.destroy();
    }
  });
});
