// Ring recordings (keep the last N virtual seconds): echo load recorded in segments with a
// 1 s window. The merged file starts at a snapshot, covers at least the window but not the
// whole run, and replays with every checkpoint verified; segments on disk stay bounded while
// it runs; a segment left behind (as by a killed recorder) replays on its own.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Machine } from "../../src/vmm/machine";
import { RingRecorder, type MergeResult } from "../../src/vmm/recording/ring-recorder";
import { injectEchoLoad } from "../../src/vmm/recording/echo-load";
import { readRecording, type Recording } from "../../src/vmm/recording/reader";
import { Replayer, formatDivergence } from "../../src/vmm/recording/replayer";
import { EventKind } from "../../src/vmm/recording/format";
import { kernel } from "../helpers/guest";
import { tmp } from "./record-helpers";

const WINDOW_NS = 1e9;
const RUN_NS = 2.8e9;

function load(path: string, strict = true): Recording {
  return readRecording(new Uint8Array(readFileSync(path)), { strict });
}

async function replayVerified(rec: Recording): Promise<{ checkpoints: number; endIcount: number }> {
  const rp = await Replayer.create(rec);
  try {
    const res = rp.run({ verify: true });
    assert.equal(res.divergence, undefined, res.divergence && formatDivergence(res.divergence));
    assert.equal(res.stop, undefined);
    return { checkpoints: res.verifiedCheckpoints, endIcount: res.endIcount };
  } finally {
    rp.destroy();
  }
}

describe("ring recording: the last N virtual seconds", () => {
  const out = join(tmp, "ring.lvmmrec");
  const left = join(tmp, "left-behind");
  let merged: MergeResult;
  let ring: RingRecorder;
  let endIcount = 0;
  let maxSegmentsOnDisk = 0;
  let copied: string[] = [];
  let journal = { kept: 0, total: 0, firstKept: { icount: 0, ns: 0 } };

  before(async () => {
    const k = kernel();
    const m = await Machine.create({ kernel: k });
    injectEchoLoad(m, { rate: 2000, endNs: RUN_NS, payloadBytes: 256, seed: 9 });
    ring = RingRecorder.attach(m, { path: out, kernel: k, kernelName: "ioengine.elf", checkpointIntervalNs: 100e6, windowNs: WINDOW_NS });
    mkdirSync(left, { recursive: true });
    // Watch the segment directory while the guest runs (the run yields every few ms): how many
    // segments are on disk, and a copy of them mid-run, as a recorder killed then would leave them.
    const watch = setInterval(() => {
      const files = readdirSync(ring.segmentDir).filter((f) => f.endsWith(".lvmmrec"));
      maxSegmentsOnDisk = Math.max(maxSegmentsOnDisk, files.length);
      if (copied.length === 0 && ring.stats.segmentsDeleted > 0 && m.nowNs > 1.9e9) {
        copied = files.sort().map((f) => {
          copyFileSync(join(ring.segmentDir, f), join(left, f));
          return join(left, f);
        });
      }
    }, 2);
    try {
      const stop = await ring.run(RUN_NS);
      assert.equal(stop.kind, "limit");
    } finally {
      clearInterval(watch);
    }
    endIcount = m.icountNumber;
    const kept = m.journal.all();
    journal = { kept: kept.length, total: m.journal.length, firstKept: kept[0]! };
    m.destroy();
    merged = ring.merge();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("rotates segments at checkpoint boundaries and keeps disk bounded", () => {
    assert.equal(ring.segmentNs, 0.3e9, "a quarter of the window, rounded up to whole 100 ms checkpoints");
    assert.equal(ring.stats.segmentsWritten, Math.ceil(RUN_NS / ring.segmentNs));
    assert.ok(ring.stats.segmentsDeleted >= 3, `deleted ${ring.stats.segmentsDeleted}`);
    // The window plus the segment being written plus one more: never the whole run.
    const bound = Math.ceil(WINDOW_NS / ring.segmentNs) + 2;
    assert.ok(maxSegmentsOnDisk > 0 && maxSegmentsOnDisk <= bound, `at most ${maxSegmentsOnDisk} segments on disk (bound ${bound})`);
    assert.equal(existsSync(ring.segmentDir), false, "merged segments are removed with their directory");
  });

  it("keeps in memory only the inputs the window can need (the machine's journal is bounded too)", () => {
    assert.ok(journal.total > 0 && journal.kept < journal.total / 2, `kept ${journal.kept} of ${journal.total} inputs`);
    const rec = load(out);
    assert.ok(journal.firstKept.ns >= rec.header.start!.ns - ring.segmentNs, "nothing older than the oldest segment that was kept");
  });

  it("the merged file starts at a snapshot, covers at least the window and not the whole run", () => {
    const rec = load(out);
    const start = rec.header.start;
    assert.ok(start && rec.start, "starts at a snapshot");
    assert.ok(start.ns > 0 && start.icount > 0, "not at power-on");
    const end = rec.events[rec.events.length - 1]!;
    assert.equal(end.kind, EventKind.End);
    assert.equal(end.ns, RUN_NS);
    assert.equal(end.icount, endIcount);
    assert.ok(end.ns - start.ns >= WINDOW_NS, `covers ${(end.ns - start.ns) / 1e9} s`);
    assert.ok(end.ns - start.ns <= WINDOW_NS + ring.segmentNs, "and at most one segment more");
    assert.deepEqual(merged.start, { icount: start.icount, ns: start.ns });
    // Segments store their start snapshots plain (taken while the guest runs); the merge compresses the one it keeps.
    const bytes = readFileSync(out);
    let at = 16;
    for (let k = 0; k < rec.startChunk!; k++) at += 16 + bytes.readUInt32LE(at + 8);
    assert.equal(bytes[at], 0x80 | 4, "the merged file's start snapshot is stored compressed");
    assert.equal(rec.events.filter((e) => e.kind === EventKind.End).length, 1, "one end record");
    assert.ok(rec.events.every((e) => e.icount >= start.icount));
    const cps = rec.events.filter((e) => e.kind === EventKind.CheckpointHash);
    assert.deepEqual(
      cps.map((e) => Math.round(e.ns / 1e6)),
      Array.from({ length: cps.length }, (_, i) => Math.round(start.ns / 1e6) + 100 * (i + 1)),
    );
  });

  it("RX DMA records are whole and refer to the right frame-in events across segments", () => {
    const rec = load(out);
    const frames = rec.events.filter((e) => e.kind === EventKind.FrameIn);
    const rx = rec.events.flatMap((e) => (e.kind === EventKind.RxDmaInterrupt ? [e] : []));
    assert.ok(rx.length > 500);
    assert.equal(new Set(rx.map((e) => `${e.rx.seq}@${e.icount}`)).size, rx.length, "an interrupt open at a rotation is kept once");
    let refs = 0;
    for (const e of rx) {
      e.refs?.forEach((r, i) => {
        if (!r) return;
        refs++;
        const d = e.rx.descriptors[i]!;
        const f = frames[r.frame]!;
        // The frame arrived before the NIC DMA'd it, and not long before.
        assert.ok(f.icount <= d.dmaIcount && d.dmaIcount - f.icount < 2_000_000, `frame #${r.frame} at ${f.icount}, DMA at ${d.dmaIcount}`);
      });
    }
    assert.ok(refs > 500, `${refs} references`);
  });

  it("replays from its start snapshot with every checkpoint verified", async () => {
    const rec = load(out);
    const cps = rec.events.filter((e) => e.kind === EventKind.CheckpointHash).length;
    const r = await replayVerified(rec);
    assert.equal(r.checkpoints, cps);
    assert.equal(r.endIcount, endIcount);
  });

  it("segments left behind mid-run (as by a killed recorder) each replay on their own", async () => {
    assert.ok(copied.length >= 2, `copied ${copied.length} segments mid-run`);
    const done = load(copied[0]!);
    assert.ok(done.complete && done.start, "a finished segment: complete, from a snapshot");
    assert.equal((await replayVerified(done)).checkpoints, 3);
    const current = load(copied[copied.length - 1]!, false);
    assert.ok(!current.complete && current.start, "the segment being written: a prefix, from a snapshot");
    const cps = current.events.filter((e) => e.kind === EventKind.CheckpointHash).length;
    assert.equal((await replayVerified(current)).checkpoints, cps);
  });

  it("refuses a segment directory that still holds segments (a killed run's are evidence)", async () => {
    const dir = join(tmp, "busy.ring");
    mkdirSync(dir, { recursive: true });
    copyFileSync(copied[0]!, join(dir, "segment-000000.lvmmrec"));
    const m = await Machine.create({ kernel: kernel() });
    try {
      assert.throws(() => RingRecorder.attach(m, { path: join(tmp, "busy"), segmentDir: dir, kernel: kernel(), windowNs: 1e9 }), /already holds 1 segment.*replay or move them first/);
    } finally {
      m.destroy();
    }
  });
});
