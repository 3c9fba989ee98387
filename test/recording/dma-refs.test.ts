// Format version 2: an RX DMA descriptor refers to the frame-in event its bytes came from
// instead of repeating them; the reader resolves the reference and refuses a dangling one.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { decodeEvent, encodeEvent, type RecordedEvent } from "../../src/vmm/recording/codec";
import { ByteSink, ByteSource } from "../../src/vmm/recording/bytes";
import { EventKind, RecordingError } from "../../src/vmm/recording/format";
import { readRecording } from "../../src/vmm/recording/reader";
import { recordScenario } from "./record-helpers";
import { Machine } from "../../src/vmm/machine";
import { stateHash } from "../../src/vmm/snapshot";
import { StateHasher } from "../../src/vmm/recording/state-hash";
import { kernel, KERNEL_PATH, ROOT } from "../helpers/guest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

describe("RX DMA records refer to frame-in events", () => {
  it("an echo recording stores the received bytes once, and reads back the DMA'd bytes", async () => {
    const r = await recordScenario("echo");
    const rec = readRecording(new Uint8Array(readFileSync(r.path)), { strict: true });
    const frames = rec.events.filter((e): e is Extract<RecordedEvent, { kind: EventKind.FrameIn }> => e.kind === EventKind.FrameIn);
    const rx = rec.events.filter((e): e is Extract<RecordedEvent, { kind: EventKind.RxDmaInterrupt }> => e.kind === EventKind.RxDmaInterrupt);
    const descs = rx.flatMap((e) => e.rx.descriptors.map((d, i) => ({ d, ref: e.refs?.[i] ?? null })));
    assert.ok(frames.length > 100 && descs.length > 100, `${frames.length} frames, ${descs.length} descriptors`);
    const refs = descs.filter((x) => x.ref);
    assert.ok(refs.length >= descs.length * 0.95, `${refs.length} of ${descs.length} descriptors refer to a frame`);
    for (const { d, ref } of refs) {
      const f = frames[ref!.frame]!.bytes;
      assert.deepEqual(d.bytes, f.subarray(ref!.offset, ref!.offset + d.bytes.length));
    }
    const received = frames.reduce((n, f) => n + f.bytes.length, 0);
    const size = statSync(r.path).size - (rec.kernel?.length ?? 0);
    assert.ok(size / received < 2.6, `log ${size} bytes for ${received} received bytes`);
  });

  it("a reference to a frame that does not precede it is refused as a bad event", () => {
    const sink = new ByteSink();
    const e: RecordedEvent = {
      kind: EventKind.RxDmaInterrupt, icount: 10, ns: 20,
      rx: { seq: 1, icrIcount: 10, icrNs: 20, icr: 0x80, descriptors: [{ index: 0, addr: 0x1000, length: 4, status: 3, errors: 0, dmaIcount: 5, dmaNs: 6, consumedIcount: 9, bytes: Uint8Array.of(1, 2, 3, 4) }] },
      refs: [{ frame: 3, offset: 0 }],
    };
    encodeEvent(sink, e);
    const bytes = sink.take();
    assert.throws(() => decodeEvent(new ByteSource(bytes, 0, bytes.length, "bad-event")), (x: RecordingError) => x.code === "bad-event" && /frame-in #3/.test(x.message));
    const frames = [Uint8Array.of(9), Uint8Array.of(9), Uint8Array.of(9), Uint8Array.of(1, 2)];
    assert.throws(() => decodeEvent(new ByteSource(bytes, 0, bytes.length, "bad-event"), { frames }), (x: RecordingError) => x.code === "bad-event" && /which has 2/.test(x.message));
    const ok = decodeEvent(new ByteSource(bytes, 0, bytes.length, "bad-event"), { frames: [...frames.slice(0, 3), Uint8Array.of(1, 2, 3, 4, 5)] });
    assert.ok(ok.kind === EventKind.RxDmaInterrupt && ok.rx.descriptors[0]!.bytes.join() === "1,2,3,4");
  });
});

describe("the recorder's checkpoint hash", () => {
  it("digests exactly what stateHash digests (the guest running on), on the worker or here", async () => {
    const m = await Machine.create({ kernel: kernel() });
    const hasher = new StateHasher();
    try {
      m.run({ untilNs: 0.12e9 });
      const first = hasher.capture(m);
      const h1 = stateHash(m);
      m.run({ untilNs: 0.2e9 });
      // The next capture waits for the digest in flight; both arrive, each of its own moment.
      const second = hasher.capture(m);
      const h2 = stateHash(m);
      assert.notEqual(h1, h2);
      assert.equal(await first.result, h1);
      assert.equal(second.now(), h2);
      assert.equal(await second.result, h2);
      hasher.close();
      // Without a worker (closed, or failed to start) the digest is computed on this thread.
      const third = hasher.capture(m);
      assert.equal(third.now(), h2);
    } finally {
      hasher.close();
      m.destroy();
    }
  });

  it("keeps the process alive while a digest is in flight, and not after", () => {
    // Unfinished: the process must wait for the digest; finished (hasher not even closed): exit.
    const script = `
      const { Machine } = require(${JSON.stringify(join(ROOT, "src/vmm/machine"))});
      const { StateHasher } = require(${JSON.stringify(join(ROOT, "src/vmm/recording/state-hash"))});
      Machine.create({ kernel: require("node:fs").readFileSync(${JSON.stringify(KERNEL_PATH)}) }).then((m) => {
        m.run({ untilNs: 0.05e9 });
        new StateHasher().capture(m).result.then((h) => console.log("digest " + h));
      });`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^digest [0-9a-f]{64}$/m);
  });
});
