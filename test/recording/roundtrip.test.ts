// Record-then-replay round trips with the real guest, verified at every checkpoint and at every
// interrupt and console line: idle, UDP echo under load, and the demonstration race, whose
// corruption replays at the identical instruction count every time.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { readRecording } from "../../src/vmm/recording/reader";
import { Replayer, formatDivergence } from "../../src/vmm/recording/replayer";
import { CHUNK_COMPRESSED, CHUNK_HEADER_BYTES, ChunkType, EventKind, PREAMBLE_BYTES } from "../../src/vmm/recording/format";
import { recordScenario, tmp } from "./record-helpers";
import { stateHash } from "../../src/vmm/snapshot";
import { join } from "node:path";
import { Machine } from "../../src/vmm/machine";
import { Recorder } from "../../src/vmm/recording/recorder";
import { kernel } from "../helpers/guest";

after(() => rmSync(tmp, { recursive: true, force: true }));

function load(path: string) {
  return readRecording(new Uint8Array(readFileSync(path)), { strict: true });
}

describe("record then replay --verify", () => {
  for (const name of ["idle", "echo"] as const) {
    it(`${name}: every checkpoint hash, interrupt and console line matches`, async () => {
      const r = await recordScenario(name);
      const rec = load(r.path);
      assert.ok(rec.complete);
      const cps = rec.events.filter((e) => e.kind === EventKind.CheckpointHash).length;
      assert.ok(cps >= 3, `checkpoints: ${cps}`);
      if (name === "echo") assert.ok(rec.events.filter((e) => e.kind === EventKind.FrameIn).length > 500);
      const rp = await Replayer.create(rec);
      try {
        const res = rp.run({ verify: true });
        assert.equal(res.divergence, undefined, res.divergence && formatDivergence(res.divergence));
        assert.equal(res.verifiedCheckpoints, cps);
        assert.equal(res.endIcount, r.icount);
        assert.ok(!res.prefixOnly);
      } finally {
        rp.destroy();
      }
    });
  }

  it("default checkpoints: on the 2 s grid, fewer where the run is cheap, never 16 grid points apart", async () => {
    // An idle guest covers a virtual second in well under a millisecond: after the first
    // checkpoint, grid points go without one until 15 were skipped, and the end gets one.
    const r = await recordScenario("idle", { seconds: 40, checkpointIntervalNs: undefined });
    const rec = load(r.path);
    assert.equal(rec.header.checkpointIntervalNs, 2e9);
    const at = rec.events.filter((e) => e.kind === EventKind.CheckpointHash).map((e) => e.ns / 1e9);
    assert.ok(at.length >= 3 && at.length < 20, `checkpoints at ${at.join(", ")} s`);
    assert.equal(at[0], 2);
    assert.equal(at[at.length - 1], 40);
    assert.ok(
      at.every((s) => s % 2 === 0),
      "on the grid",
    );
    assert.ok(
      at.every((s, i) => i === 0 || s - at[i - 1]! <= 32),
      "at most 15 grid points skipped in a row",
    );
    const rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.equal(res.divergence, undefined, res.divergence && formatDivergence(res.divergence));
      assert.equal(res.verifiedCheckpoints, at.length);
    } finally {
      rp.destroy();
    }
  });

  it("default checkpoints: a run ended early at a grid point the cost cap would skip still ends with a checkpoint", async () => {
    const m = await Machine.create({ kernel: kernel() });
    const path = join(tmp, "ended-early.lvmmrec");
    // Idle, so grid points after the first are skipped; asked at each one, it says stop at 10 s.
    const stop = await Recorder.attach(m, { path, kernel: kernel() }).run(40e9, { endEarly: () => m.nowNs >= 10e9 });
    m.destroy();
    assert.equal(stop.kind, "limit");
    const rec = load(path);
    const at = rec.events.filter((e) => e.kind === EventKind.CheckpointHash).map((e) => e.ns / 1e9);
    assert.deepEqual(at, [2, 10], "the first grid point, then the end");
    const end = rec.events[rec.events.length - 1]!;
    assert.equal(end.kind, EventKind.End);
    assert.equal(end.ns, 10e9);
  });

  it("dense checkpoints: the events before each one go to disk there, not at the end (what a killed recorder keeps)", async () => {
    // 50 ms apart, a few ms of wall time: each checkpoint came before the digest thread's answer
    // for the one before had been picked up, and the writer held every later event in memory.
    const r = await recordScenario("echo", { seconds: 1, checkpointIntervalNs: 50e6 });
    const checkpoints = load(r.path).events.filter((e) => e.kind === EventKind.CheckpointHash).length;
    assert.equal(checkpoints, 20);
    const b = readFileSync(r.path);
    let eventChunks = 0;
    for (let pos = PREAMBLE_BYTES; pos + CHUNK_HEADER_BYTES <= b.length; pos += CHUNK_HEADER_BYTES + b.readUInt32LE(pos + 8)) {
      if ((b[pos]! & ~CHUNK_COMPRESSED) === (ChunkType.Events as number)) eventChunks++;
    }
    assert.ok(eventChunks >= checkpoints, `${eventChunks} event chunks for ${checkpoints} checkpoints`);
  });

  it("a replay that goes wrong stops at the first divergent checkpoint with both hashes", async () => {
    const r = await recordScenario("idle", { seconds: 0.3 });
    const rec = load(r.path);
    const cp = rec.events.find((e) => e.kind === EventKind.CheckpointHash)!;
    if (cp.kind !== EventKind.CheckpointHash) throw new Error("unreachable");
    const recorded = cp.hash;
    cp.hash = "0".repeat(64); // as if the recorded machine had been in another state
    const rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.ok(res.divergence, "divergence reported");
      assert.equal(res.divergence.kind, "checkpoint");
      assert.equal(res.divergence.icount, cp.icount);
      assert.equal(res.divergence.expectedHash, "0".repeat(64));
      assert.equal(res.divergence.actualHash, recorded);
      assert.equal(rp.machine.icountNumber, cp.icount, "stopped there, did not continue");
      assert.match(formatDivergence(res.divergence), /recorded state hash: 0{64}\n {2}replayed state hash: [0-9a-f]{64}/);
    } finally {
      rp.destroy();
    }
  });

  it("a missing input diverges at the first interrupt that does not happen", async () => {
    const r = await recordScenario("echo", { seconds: 0.25 });
    const rec = load(r.path);
    const i = rec.events.findIndex((e) => e.kind === EventKind.FrameIn && e.ns > 200e6);
    const lost = rec.events[i]!;
    rec.events.splice(i, 1);
    const rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.ok(res.divergence, "divergence reported");
      assert.match(res.divergence.expected, /^interrupt irq 11 at icount \d+/, formatDivergence(res.divergence));
      assert.ok(res.divergence.icount >= lost.icount, `${res.divergence.icount} >= ${lost.icount}`);
      assert.ok(rp.machine.icountNumber < r.icount, "stopped early, did not continue");
    } finally {
      rp.destroy();
    }
  });
});

describe("event hashes (--event-hashes): a digest where each input reaches the guest", () => {
  it("replay --verify checks every one; a wrong one stops the replay at that input with both digests", async () => {
    const r = await recordScenario("echo", { seconds: 0.25, eventHashes: true });
    const rec = load(r.path);
    const inputs = rec.events.filter((e) => e.kind === EventKind.FrameIn);
    const digests = rec.events.filter((e) => e.kind === EventKind.InputDigest);
    assert.equal(digests.length, inputs.length);
    assert.ok(digests.every((d, k) => d.icount === inputs[k]!.icount));
    let rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.equal(res.divergence, undefined, res.divergence && formatDivergence(res.divergence));
      // Every input re-injected, and every digest, interrupt and console line matched.
      const watched = rec.events.filter((e) => e.kind === EventKind.Interrupt || e.kind === EventKind.SerialOut).length;
      assert.equal(res.verifiedEvents, inputs.length + digests.length + watched);
    } finally {
      rp.destroy();
    }

    const k = digests.findIndex((d) => d.ns > 150e6);
    const d = digests[k]!;
    if (d.kind !== EventKind.InputDigest) throw new Error("unreachable");
    const recorded = d.digest;
    d.digest = "f".repeat(32); // as if the recorded machine had been in another state there
    rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.ok(res.divergence, "divergence reported");
      assert.equal(res.divergence.kind, "input-digest");
      assert.equal(res.divergence.eventIndex, rec.events.indexOf(d));
      assert.equal(res.divergence.icount, d.icount);
      assert.equal(res.divergence.expectedHash, "f".repeat(32));
      assert.equal(res.divergence.actualHash, recorded);
      assert.equal(rp.machine.icountNumber, d.icount, "stopped there, did not continue");
    } finally {
      rp.destroy();
    }
  });
});

describe("a recording that starts at a snapshot", () => {
  it("replays from its start snapshot: absolute instruction counts, every checkpoint verified", async () => {
    const r = await recordScenario("echo", { startAtSeconds: 0.2, seconds: 0.45 });
    const rec = load(r.path);
    const start = rec.header.start!;
    assert.ok(start && start.ns === 0.2e9 && start.icount > 0);
    const cps = rec.events.filter((e) => e.kind === EventKind.CheckpointHash);
    assert.deepEqual(
      cps.map((e) => e.ns),
      [0.3e9, 0.4e9, 0.45e9],
      "checkpoints stay on the run's 100 ms grid",
    );
    assert.ok(rec.events.filter((e) => e.kind === EventKind.FrameIn).length > 500);
    assert.ok(rec.events.every((e) => e.icount >= start.icount));
    const rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.equal(res.divergence, undefined, res.divergence && formatDivergence(res.divergence));
      assert.equal(res.verifiedCheckpoints, 3);
      assert.equal(res.endIcount, r.icount);
    } finally {
      rp.destroy();
    }
  });

  it("a wrong hash at its first checkpoint is a divergence there", async () => {
    const r = await recordScenario("idle", { startAtSeconds: 0.1, seconds: 0.3 });
    const rec = load(r.path);
    const cp = rec.events.find((e) => e.kind === EventKind.CheckpointHash)!;
    if (cp.kind !== EventKind.CheckpointHash) throw new Error("unreachable");
    cp.hash = "0".repeat(64);
    const rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.equal(res.divergence?.kind, "checkpoint");
      assert.equal(res.divergence?.icount, cp.icount);
    } finally {
      rp.destroy();
    }
  });
});

describe("the demonstration race (race=rdt-early)", () => {
  it("records the corruption, replays it 3 times at the identical instruction count, and the DMA log shows the overlap", async () => {
    const r = await recordScenario("race");
    assert.ok(r.corruption, "the race hit while recording");
    const m = /^race: corrupted frame seq=(\d+) at byte (\d+) \(rx buffer 0x([0-9a-f]+)\)$/.exec(r.corruption.line);
    assert.ok(m, r.corruption.line);
    const rec = load(r.path);
    const hashes = new Set<string>();
    for (let k = 0; k < 3; k++) {
      const rp = await Replayer.create(rec);
      try {
        const lines: { text: string; icount: number }[] = [];
        const res = rp.run({ verify: true, onLine: (text, icount) => lines.push({ text, icount }) });
        assert.equal(res.divergence, undefined, res.divergence && formatDivergence(res.divergence));
        const hit = lines.find((l) => l.text.startsWith("race: corrupted"));
        assert.deepEqual(hit, { text: r.corruption.line, icount: r.corruption.icount }, `replay ${k + 1}`);
        hashes.add(stateHash(rp.machine));
      } finally {
        rp.destroy();
      }
    }
    assert.equal(hashes.size, 1, "the same final state each time");

    // The DMA log: the reported buffer was handed back (RDT write), then DMA'd again by the next
    // frame before the guest noticed the corruption, within the copy's few hundred instructions.
    const addr = parseInt(m[3]!, 16);
    const descs = rec.events.flatMap((e) => (e.kind === EventKind.RxDmaInterrupt ? e.rx.descriptors : []));
    const uses = descs.filter((d) => d.addr === addr).sort((a, b) => a.dmaIcount - b.dmaIcount);
    const victim = uses.filter((d) => d.consumedIcount < r.corruption!.icount).pop()!;
    const intruder = uses.find((d) => d.dmaIcount > victim.consumedIcount)!;
    assert.ok(victim && intruder, "two uses of the buffer");
    assert.ok(
      victim.consumedIcount < intruder.dmaIcount && intruder.dmaIcount < r.corruption.icount,
      `handed back at ${victim.consumedIcount}, re-DMA'd at ${intruder.dmaIcount}, corruption seen at ${r.corruption.icount}`,
    );
    assert.ok(intruder.dmaIcount - victim.consumedIcount < 2000, "within a few instructions of the early RDT write");
    const seqOf = (b: Uint8Array): number => Number(new TextDecoder().decode(b.subarray(42 + 4, 42 + 14)));
    assert.equal(seqOf(victim.bytes), Number(m[1]), "the frame being read is the one reported");
    assert.notEqual(seqOf(intruder.bytes), Number(m[1]), "another frame overwrote it");
  });
});
