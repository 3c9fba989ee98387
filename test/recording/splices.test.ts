// Frame bytes the guest thread leaves out of an event chunk (chunk-splices.ts): the chunk I/O
// thread copies them in from the wire's frame slabs, and the file holds exactly the frames that
// arrived, as when they were copied on the guest thread; a chunk written on the guest thread
// puts them in place itself.
import { describe, it, after, mock } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../../src/vmm/machine";
import { Recorder } from "../../src/vmm/recording/recorder";
import { injectEchoLoad } from "../../src/vmm/recording/echo-load";
import { readRecording } from "../../src/vmm/recording/reader";
import { Replayer } from "../../src/vmm/recording/replayer";
import { EventKind } from "../../src/vmm/recording/format";
import { ChunkSplices } from "../../src/vmm/recording/chunk-splices";
import { chunkIo } from "../../src/vmm/recording/chunk-io";
import { copyToSlab, slabOf } from "../../src/vmm/frame-slabs";
import { kernel } from "../helpers/guest";

const dir = mkdtempSync(join(tmpdir(), "lvmm-splices-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("frame bytes spliced into event chunks", () => {
  it("puts each slab's bytes at its place in the chunk", () => {
    const a = copyToSlab(Uint8Array.of(1, 2, 3));
    const b = copyToSlab(Uint8Array.of(9, 8));
    const sp = new ChunkSplices();
    // encoded: [10 11] a [12] b [13]
    sp.add(2, slabOf(a)!, a.byteOffset, a.length);
    sp.add(3, slabOf(b)!, b.byteOffset, b.length);
    assert.equal(sp.bytes, 5);
    assert.deepEqual([...sp.materialize(Uint8Array.of(10, 11, 12, 13))], [10, 11, 1, 2, 3, 12, 9, 8, 13]);
    sp.clear();
    assert.deepEqual([...sp.materialize(Uint8Array.of(7))], [7]);
  });

  it("records the frames that arrived, byte for byte, and the recording replays verified", async () => {
    // Let the chunk I/O thread start: until it runs, a writer copies frame bytes itself.
    const io = chunkIo();
    assert.ok(io, "this Node runs the chunk I/O thread");
    for (let i = 0; i < 200 && !io.ready(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(io.ready(), "the chunk I/O thread started");
    // Counts the frames left for the I/O thread to copy in (the writer's ChunkSplices.add).
    const add = mock.method(ChunkSplices.prototype, "add");
    const m = await Machine.create({ kernel: kernel() });
    try {
      injectEchoLoad(m, { rate: 3000, payloadBytes: 700, endNs: 1.5e9, seed: 5 });
      const path = join(dir, "echo.lvmmrec");
      const r = Recorder.attach(m, { path, kernel: kernel() });
      await r.run(1.5e9);
      const arrived = m.journal.all().flatMap((e) => (e.kind === "frame" ? [e.bytes] : []));
      assert.ok(arrived.length > 1000, `${arrived.length} frames arrived`);
      assert.ok(
        arrived.every((f) => slabOf(f) !== undefined),
        "the wire keeps the frames it delivers in slabs",
      );
      const rec = readRecording(new Uint8Array(readFileSync(path)), { strict: true });
      const stored = rec.events.flatMap((e) => (e.kind === EventKind.FrameIn ? [e.bytes] : []));
      assert.equal(stored.length, arrived.length);
      assert.equal(add.mock.callCount(), arrived.length, "every frame's bytes were copied in by the I/O thread");
      for (let i = 0; i < stored.length; i++) assert.ok(Buffer.from(stored[i]!).equals(Buffer.from(arrived[i]!)), `frame ${i} differs`);
      const rp = await Replayer.create(rec);
      const res = rp.run({ verify: true });
      rp.destroy();
      assert.equal(res.divergence, undefined);
    } finally {
      add.mock.restore();
      m.destroy();
    }
  });
});
