// The demonstration race, debugged backwards: the guest reports a corrupted frame; a data
// breakpoint on the corrupted bytes and a reverse continue land on the write that corrupted
// them: the NIC's DMA into a buffer the driver had handed back (RDT) before copying it out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { reverseContinue } from "../../src/vmm/reverse";
import { injectEchoLoad } from "../../src/vmm/recording/echo-load";
import { createGuest } from "../helpers/guest";

test("reverse continue with a data breakpoint finds the DMA that corrupted the frame", async () => {
  const m = await createGuest({ cmdline: "race=rdt-early" });
  try {
    m.timeline.checkpoint();
    const endNs = 0.35e9;
    injectEchoLoad(m, { rate: 100, burst: 64, endNs, seed: 2, payloadBytes: 600 });
    injectEchoLoad(m, { rate: 20000, endNs, seed: 102, payloadBytes: 600, firstSeq: 1_000_000 });
    let report: RegExpExecArray | null = null;
    const off = m.serial.onLine((line) => {
      report ??= /^race: corrupted frame seq=(\d+) at byte (\d+) \(rx buffer 0x([0-9a-f]+)\)$/.exec(line);
      if (report) m.requestStop("corruption");
    });
    while (!report && m.nowNs < endNs) {
      m.run({ untilNs: Math.min(endNs, m.nowNs + 20e6) });
      m.timeline.maybeCheckpoint();
    }
    off();
    assert.ok(report, "the race corrupted a frame");
    const [, , byteAt, buf] = report as unknown as string[];
    const buffer = parseInt(buf!, 16);
    // The guest reports the offset in the UDP payload, which starts 42 bytes into the frame
    // (Ethernet 14 + IPv4 20 + UDP 8); watch those bytes in the DMA buffer.
    const address = buffer + 42 + Number(byteAt);
    const found = reverseContinue(m, { arm: (mm) => mm.setWatchpoints([{ id: 1, address, length: 4 }]) });
    assert.ok(found, "a write to the corrupted bytes before the report");
    assert.equal(found.stop.kind, "watchpoint");
    if (found.stop.kind !== "watchpoint") return;
    assert.equal(found.stop.by, "dma", "the NIC wrote it, not the CPU");
    // The DMA log shows the overlap: that buffer had been handed back before this DMA filled
    // it again, and the driver was still to copy the earlier frame out of it.
    const uses = m
      .dmaLog!.interrupts()
      .flatMap((r) => r.descriptors)
      .filter((d) => d.addr === buffer);
    const before = uses.filter((d) => d.consumedIcount >= 0 && d.consumedIcount <= found.icount);
    assert.ok(before.length > 0, "the buffer was handed back (RDT) before the corrupting DMA");
  } finally {
    m.destroy();
  }
});
