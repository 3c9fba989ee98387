// The scenario load fed a piece at a time (lvmm record, so a long run does not hold every frame
// of the run from the start) queues the very frames, at the very times, of the load queued at once.
import assert from "node:assert/strict";
import { it } from "node:test";
import { Machine } from "../../src/vmm/machine";
import { echoLoadFeeder, echoLoadFrameCount, injectEchoLoad, type EchoLoad } from "../../src/vmm/recording/echo-load";
import { kernel } from "../helpers/guest";

it("a fed echo load queues the same frames at the same times as one queued at once", async () => {
  const load: EchoLoad = { rate: 3000, burst: 2, jitterNs: 200e3, endNs: 1e9, payloadBytes: 100, seed: 4 };
  const [a, b] = await Promise.all([Machine.create({ kernel: kernel() }), Machine.create({ kernel: kernel() })]);
  try {
    const all = injectEchoLoad(a, load);
    const feed = echoLoadFeeder(b, load);
    const pieces = [feed(0), feed(0.3e9), b.wire.pending, feed(0.7e9), feed(Infinity), feed(Infinity)];
    assert.equal(all, echoLoadFrameCount(load));
    assert.equal(pieces[0], 0, "nothing before the load starts");
    assert.ok(pieces[2]! < all / 2, "a piece, not the whole load");
    assert.equal(pieces[5], 0, "nothing queued twice");
    assert.equal(b.wire.pending, all);
    const queued = (m: Machine) => m.wire.getState().queue.map((p) => `${p.ns}:${p.bytes}`);
    assert.deepEqual(queued(b), queued(a));
  } finally {
    a.destroy();
    b.destroy();
  }
});
