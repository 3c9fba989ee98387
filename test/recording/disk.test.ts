// Recordings of a machine with a disk (the stream server's I/O engine with its content disk):
// the file embeds the disk image (format 4) and replays verified; one made without it replays
// with --disk, and a wrong or missing disk gets a clear error. A ring recording of the engine
// paced the way the server paces it (RingRecorder.advance, 1 ms steps) starts at a snapshot and
// replays verified: the engine reads the TSC, whose extrapolation counters v86 keeps outside
// its own state.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Machine } from "../../src/vmm/machine";
import { Recorder } from "../../src/vmm/recording/recorder";
import { RingRecorder } from "../../src/vmm/recording/ring-recorder";
import { readRecording, type Recording } from "../../src/vmm/recording/reader";
import { Replayer } from "../../src/vmm/recording/replayer";
import { CHUNK_COMPRESSED, ChunkType, FORMAT_VERSION, RecordingError } from "../../src/vmm/recording/format";
import { encodeChunk } from "../../src/vmm/recording/writer";
import { buildContentDisk } from "../../src/streamsim/ioengine/content-disk";
import { engineCmdline } from "../../src/streamsim/ioengine/engine-host";
import { CLI, kernel } from "../helpers/guest";
import { hasTool, makeTestContent, type TestContent } from "../streamsim/fixtures";
import { tmp } from "./record-helpers";

const haveFfmpeg = hasTool("ffmpeg");

function load(path: string): Recording {
  return readRecording(new Uint8Array(readFileSync(path)));
}

async function replayVerified(rec: Recording, opts: Parameters<typeof Replayer.create>[1] = {}): Promise<{ events: number; checkpoints: number }> {
  const r = await Replayer.create(rec, opts);
  try {
    const res = r.run({ verify: true });
    assert.equal(res.divergence, undefined, JSON.stringify(res.divergence));
    assert.equal(res.stop, undefined, JSON.stringify(res.stop));
    return { events: res.verifiedEvents, checkpoints: res.verifiedCheckpoints };
  } finally {
    r.destroy();
  }
}

describe("recordings of a machine with a disk", { skip: haveFfmpeg ? false : "ffmpeg not installed (the content disk's clip): skipped" }, () => {
  let content: TestContent;
  let disk: Uint8Array;
  const cmdline = engineCmdline({ bootId: 4242 });

  /** The engine (no host answers its HELLO) booting from the content disk, recorded for `seconds`. */
  async function recordEngine(name: string, opts: { embedDisk?: boolean; seconds?: number } = {}): Promise<string> {
    const k = kernel();
    const m = await Machine.create({ kernel: k, disk, cmdline, memoryMB: 32 });
    const path = join(tmp, `${name}.lvmmrec`);
    const rec = Recorder.attach(m, { path, kernel: k, disk, checkpointIntervalNs: 250e6, ...(opts.embedDisk === false ? { embedDisk: false } : {}) });
    const stop = await rec.run((opts.seconds ?? 1) * 1e9);
    m.destroy();
    assert.equal(stop.kind, "limit");
    return path;
  }

  before(async () => {
    content = await makeTestContent();
    disk = (await buildContentDisk(content.dir)).image;
  });
  after(() => content?.remove());

  it("embeds the disk image and replays verified; the engine read its content directory", async () => {
    const path = await recordEngine("disk-embedded");
    const rec = load(path);
    assert.equal(rec.header.formatVersion, FORMAT_VERSION);
    assert.deepEqual(rec.header.launch.disk && { bytes: rec.header.launch.disk.bytes, embedded: rec.header.launch.disk.embedded }, { bytes: disk.length, embedded: true });
    assert.deepEqual(rec.disk, disk);
    assert.ok(
      rec.events.some((e) => "text" in e && /^content: #1 clip /.test(e.text)),
      "the engine listed the disk's content",
    );
    const v = await replayVerified(rec);
    assert.ok(v.checkpoints >= 4 && v.events > 100, JSON.stringify(v));
  });

  it("without the image embedded: replays with --disk; a missing or wrong disk is a clear error", async () => {
    const path = await recordEngine("disk-apart", { embedDisk: false, seconds: 0.5 });
    const rec = load(path);
    assert.equal(rec.disk, undefined);
    assert.ok(statSync(path).size < disk.length, "the image is not in the file");
    await assert.rejects(Replayer.create(rec), (e: RecordingError) => e.code === "wrong-disk" && /does not embed its \d+-byte disk image .*--disk PATH/.test(e.message));
    const other = disk.slice();
    other[700] = other[700]! ^ 1;
    await assert.rejects(
      Replayer.create(rec, { disk: { bytes: other, path: "/tmp/other.img" } }),
      (e: RecordingError) => e.code === "wrong-disk" && /\/tmp\/other\.img .*has sha256 [0-9a-f]{64}: pass the recorded image/.test(e.message),
    );
    await replayVerified(rec, { disk: { bytes: disk, path: "content.img" } });

    // The same through the CLI: exit code 2 and one line, then --disk.
    const img = join(tmp, "content.img");
    writeFileSync(img, disk);
    const without = spawnSync(process.execPath, [CLI, "replay", path, "--verify"], { encoding: "utf8" });
    assert.equal(without.status, 2, without.stdout + without.stderr);
    assert.match(without.stderr, /^lvmm: the recording does not embed its \d+-byte disk image .*\[wrong-disk\]$/m);
    const withDisk = spawnSync(process.execPath, [CLI, "replay", path, "--verify", "--disk", img], { encoding: "utf8" });
    assert.equal(withDisk.status, 0, withDisk.stdout + withDisk.stderr);
    assert.match(withDisk.stdout, /^verified \d+ events, \d+ checkpoints$/m);
  });

  it("a file cut inside its disk image, or with one the header does not announce, is refused", async () => {
    const path = await recordEngine("disk-cut", { seconds: 0.3 });
    const bytes = new Uint8Array(readFileSync(path));
    const rec = load(path);
    // Chunks: header, kernel, disk, events...
    const v = new DataView(bytes.buffer);
    let pos = 16;
    const starts: number[] = [];
    while (pos < bytes.length) {
      starts.push(pos);
      pos += 16 + v.getUint32(pos + 8, true);
    }
    assert.equal(bytes[starts[2]!]! & ~CHUNK_COMPRESSED, ChunkType.Disk);
    const cut = bytes.subarray(0, starts[2]! + 1000);
    assert.throws(
      () => readRecording(cut),
      (e: RecordingError) => e.code === "truncated" && /embeds its disk image, but the file ends inside that image's chunk/.test(e.message),
    );
    assert.ok(rec.complete);
    // The header says the disk is not embedded, yet a disk chunk follows the kernel.
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(starts[0]! + 16, starts[1]!))) as { launch: { disk: { embedded: boolean } } };
    h.launch.disk.embedded = false;
    const unannounced = new Uint8Array([...bytes.subarray(0, 16), ...encodeChunk(ChunkType.Header, 0, new TextEncoder().encode(JSON.stringify(h))), ...bytes.subarray(starts[1]!)]);
    assert.throws(
      () => readRecording(unannounced),
      (e: RecordingError) => e.code === "bad-chunk" && /a disk image chunk at byte \d+ the header does not announce there/.test(e.message),
    );
  });

  it("a ring recording of the engine paced as the server paces it starts at a snapshot and replays verified", async () => {
    const k = kernel();
    const m = await Machine.create({ kernel: k, disk, cmdline, memoryMB: 32 });
    const path = join(tmp, "disk-ring.lvmmrec");
    const ring = RingRecorder.attach(m, { path, windowNs: 1e9, checkpointIntervalNs: 500e6, kernel: k, disk });
    for (let ns = 1e6; ns <= 3.2e9; ns += 1e6) {
      const stop = await ring.advance(ns);
      assert.equal(stop.kind, "limit");
    }
    await ring.stop();
    const merged = ring.merge();
    m.destroy();
    assert.ok(merged.start.ns >= 1e9, `the merged file starts at a snapshot (at ${merged.start.ns} ns)`);
    const rec = load(path);
    assert.ok(rec.start && rec.disk);
    const v = await replayVerified(rec);
    assert.ok(v.checkpoints >= 2, JSON.stringify(v));
  });
});
