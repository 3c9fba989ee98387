// Format 5: a recording stores only what a replay needs (no transmit records: the guest's
// output is recomputed by replaying it, and `lvmm dma --tx`, `lvmm pcap` and `lvmm events`
// show it all the same), its chunks are compressed, a format 4 file (transmits stored, chunks
// plain) still reads and replays verified, and a corrupt compressed chunk is a RecordingError.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { Machine } from "../../src/vmm/machine";
import { Recorder } from "../../src/vmm/recording/recorder";
import { injectEchoLoad } from "../../src/vmm/recording/echo-load";
import { readRecording } from "../../src/vmm/recording/reader";
import { Replayer } from "../../src/vmm/recording/replayer";
import { transmitsOf, type TxEvent } from "../../src/vmm/recording/transmits";
import { CHUNK_COMPRESSED, ChunkType, EventKind, RecordingError } from "../../src/vmm/recording/format";
import { compressedPrefix, inflateChunk } from "../../src/vmm/recording/chunk-codec";
import { encodeChunk } from "../../src/vmm/recording/writer";
import { readPcapng } from "../../src/vmm/recording/pcapng";
import { CLI, KERNEL_PATH, kernel } from "../helpers/guest";
import { asFormat } from "./record-helpers";

const dir = mkdtempSync(join(tmpdir(), "lvmm-format5-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lvmm(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Chunks of a file: stored type, where the payload is, and the payload as stored. */
function chunks(bytes: Uint8Array): { at: number; type: number; stored: Uint8Array }[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let pos = 16; pos + 16 <= bytes.length;) {
    const n = v.getUint32(pos + 8, true);
    out.push({ at: pos, type: v.getUint8(pos), stored: bytes.subarray(pos + 16, pos + 16 + n) });
    pos += 16 + n;
  }
  return out;
}

function replaceChunk(bytes: Uint8Array, i: number, type: number, payload: Uint8Array): Uint8Array {
  const all = chunks(bytes);
  const c = all[i]!;
  const end = c.at + 16 + c.stored.length;
  return new Uint8Array(Buffer.concat([bytes.subarray(0, c.at), encodeChunk(type, i, payload), bytes.subarray(end)]));
}

function txKey(t: TxEvent): string {
  return `${t.icount}/${t.ns}/${t.tx.index}/${t.tx.addr}/${t.tx.length}/${t.tx.cmd}/${t.tx.status}/${Buffer.from(t.tx.bytes).toString("hex")}`;
}

let path: string;
let file: Uint8Array;
/** What the recording machine's NIC transmitted, from its own DMA log. */
let sent: TxEvent[];
let received = 0;

before(async () => {
  const k = kernel();
  const m = await Machine.create({ kernel: k });
  injectEchoLoad(m, { rate: 4000, endNs: 0.35e9, payloadBytes: 512, seed: 11 });
  path = join(dir, "echo.lvmmrec");
  const rec = Recorder.attach(m, { path, kernel: k, checkpointIntervalNs: 100e6 });
  const stop = await rec.run(0.35e9);
  assert.equal(stop.kind, "limit");
  sent = m.dmaLog!.transmits().map((t) => ({ kind: EventKind.TxDma, icount: t.icount, ns: t.ns, tx: { ...t } }));
  received = m.journal.all().reduce((n, e) => n + (e.kind === "frame" ? e.bytes.length : 0), 0);
  m.destroy();
  file = new Uint8Array(readFileSync(path));
});

describe("format 5: only what a replay needs, compressed", () => {
  it("stores no transmit records and none of the transmitted frames, in compressed event chunks", () => {
    const rec = readRecording(file, { strict: true });
    assert.equal(rec.header.formatVersion, 5);
    assert.ok(sent.length > 500, `${sent.length} frames transmitted`);
    assert.equal(rec.events.filter((e) => e.kind === EventKind.TxDma).length, 0);
    const events = chunks(file).filter((c) => ((c.type & ~CHUNK_COMPRESSED) as ChunkType) === ChunkType.Events);
    // Compressed where that is smaller: all but tiny ones (the end record's, say).
    assert.ok(events.length > 1 && events.every((c) => c.type & CHUNK_COMPRESSED || c.stored.length < 256), "event chunks are stored compressed");
    const inflated = Buffer.concat(events.map((c) => (c.type & CHUNK_COMPRESSED ? inflateChunk(c.stored, 0, c.at) : c.stored)));
    // A transmitted frame starts with the peer's MAC then the guest's: no received frame does.
    for (const t of sent.filter((x) => x.tx.bytes.length >= 64)) assert.equal(inflated.indexOf(Buffer.from(t.tx.bytes.subarray(0, 64))), -1, `the frame sent at icount ${t.icount} is not in the file`);
    const kernelBytes = chunks(file).find((c) => ((c.type & ~CHUNK_COMPRESSED) as ChunkType) === ChunkType.Kernel)!.stored.length;
    const logBytes = statSync(path).size - kernelBytes;
    assert.ok(logBytes / received < 1, `${logBytes} bytes of log for ${received} bytes received`);
  });

  it("replaying recomputes exactly the transmit descriptors the recording machine consumed", async () => {
    const t = await transmitsOf(readRecording(file, { strict: true }));
    assert.equal(t.source, "replayed");
    assert.equal(t.incomplete, undefined);
    assert.deepEqual(t.events.map(txKey), sent.map(txKey));
  });

  it("lvmm dma --tx, lvmm pcap and lvmm events show the transmitted frames", () => {
    const dma = lvmm("dma", path, "--tx", "--bytes", "16");
    assert.equal(dma.code, 0, dma.stderr);
    const lines = dma.stdout.split("\n").filter((l) => l.startsWith("tx desc ["));
    assert.equal(lines.length, sent.length);
    assert.match(lines[0]!, new RegExp(`^tx desc \\[${sent[0]!.tx.index}\\] addr 0x[0-9a-f]{8} len ${sent[0]!.tx.length} cmd EOP\\|IFCS\\|RS status DD at icount ${sent[0]!.icount} `));
    assert.match(dma.stdout, /\n {4}UDP 7 > 40007 len 520 /);

    const out = join(dir, "echo.pcapng");
    const pcap = lvmm("pcap", path, "--out", out);
    assert.equal(pcap.code, 0, pcap.stderr);
    const m = /wrote (\d+) packets \((\d+) in, (\d+) out\) to .*; transmits recomputed by replaying the recording$/m.exec(pcap.stdout);
    assert.ok(m, pcap.stdout);
    const frames = sent.filter((x) => x.tx.cmd & 1);
    assert.equal(Number(m[3]), frames.length);
    const outbound = readPcapng(new Uint8Array(readFileSync(out))).packets.filter((p) => p.direction === "outbound");
    assert.deepEqual(
      outbound.map((p) => Buffer.from(p.data).toString("hex")),
      frames.map((f) => Buffer.from(f.tx.bytes).toString("hex")),
    );

    const ev = lvmm("events", path);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /^# tx-dma: recomputed by replaying the recording/m);
    assert.equal(ev.stdout.split("\n").filter((l) => / tx-dma /.test(l)).length, sent.length);
    // Asked only for other kinds, it does not replay.
    const rx = lvmm("events", path, "--kind", "frame-in");
    assert.doesNotMatch(rx.stdout, /tx-dma/);
  });

  it("without its kernel: events and pcap go on without the transmits (a warning), dma --tx is an error", () => {
    const bare = join(dir, "bare.lvmmrec");
    const rec = readRecording(file);
    // The same recording without the kernel chunk (header: not embedded).
    const header = { ...rec.header, kernel: { ...rec.header.kernel, embedded: false } };
    const cs = chunks(file);
    const parts = [file.subarray(0, 16), encodeChunk(ChunkType.Header, 0, new TextEncoder().encode(JSON.stringify(header)))];
    cs.slice(2).forEach((c, i) => parts.push(encodeChunk(c.type, i + 1, c.stored)));
    writeFileSync(bare, Buffer.concat(parts));
    const ev = lvmm("events", bare);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stderr, /^lvmm: warning: .*does not embed its kernel .*--kernel PATH.*transmit descriptors.*left out$/m);
    const dma = lvmm("dma", bare, "--tx");
    assert.equal(dma.code, 2);
    assert.match(dma.stderr, /--kernel PATH.*\[wrong-kernel\]$/m);
    const withKernel = lvmm("dma", bare, "--tx", "--kernel", KERNEL_PATH);
    assert.equal(withKernel.code, 0, withKernel.stderr);
    assert.equal(withKernel.stdout.split("\n").filter((l) => l.startsWith("tx desc [")).length, sent.length);
  });
});

describe("a format 4 recording", () => {
  it("(transmit records stored, chunks plain) still reads, replays verified, and its stored transmits are used as they are", async () => {
    const v4 = asFormat(file, 4, sent);
    assert.ok(chunks(v4).every((c) => !(c.type & CHUNK_COMPRESSED)));
    const rec = readRecording(v4, { strict: true });
    assert.equal(rec.header.formatVersion, 4);
    assert.equal(rec.events.filter((e) => e.kind === EventKind.TxDma).length, sent.length);
    const rp = await Replayer.create(rec);
    try {
      const res = rp.run({ verify: true });
      assert.equal(res.divergence, undefined, JSON.stringify(res.divergence));
      assert.equal(res.stop, undefined);
      assert.ok(res.verifiedCheckpoints >= 3);
    } finally {
      rp.destroy();
    }
    const t = await transmitsOf(rec);
    assert.equal(t.source, "recorded");
    assert.deepEqual(t.events.map(txKey), sent.map(txKey));
    const p4 = join(dir, "v4.lvmmrec");
    writeFileSync(p4, v4);
    const r = lvmm("replay", p4, "--verify");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^verified \d+ events, \d+ checkpoints$/m);
    const ev = lvmm("events", p4, "--kind", "tx-dma");
    assert.equal(ev.code, 0, ev.stderr);
    assert.doesNotMatch(ev.stdout, /recomputed/);
    assert.equal(ev.stdout.split("\n").filter((l) => / tx-dma /.test(l)).length, sent.length);
  });
});

describe("corrupt compressed chunks", () => {
  const code = (bytes: Uint8Array): string => {
    try {
      readRecording(bytes, { strict: true });
      return "ok";
    } catch (e) {
      assert.ok(e instanceof RecordingError, `not a RecordingError: ${(e as Error)?.stack}`);
      return e.code;
    }
  };
  const firstEvents = (): { i: number; stored: Uint8Array; inflated: Uint8Array } => {
    const i = chunks(file).findIndex((c) => c.type === (ChunkType.Events | CHUNK_COMPRESSED));
    const stored = chunks(file)[i]!.stored;
    return { i, stored, inflated: inflateChunk(stored, i, 0) };
  };

  it("a stream that does not inflate, a wrong length, an unknown method: 'bad-chunk', never another error", () => {
    const { i, stored, inflated } = firstEvents();
    const garbage = new Uint8Array(stored.length).fill(0xff);
    garbage.set(stored.subarray(0, 8));
    const withPrefix = (prefix: Uint8Array) => new Uint8Array(Buffer.concat([prefix, stored.subarray(8)]));
    const cases: [string, Uint8Array, RegExp][] = [
      ["garbage", garbage, /does not inflate/],
      ["announces more", withPrefix(compressedPrefix(inflated.length + 1)), /inflates to only \d+ bytes, not the \d+ it announces/],
      ["announces less", withPrefix(compressedPrefix(inflated.length - 1)), /inflates to more than \d+ bytes/],
      ["unknown method", withPrefix(Uint8Array.of(7, 0, 0, 0, ...compressedPrefix(inflated.length).subarray(4))), /unknown compression method 7/],
      ["too short", stored.subarray(0, 5), /shorter than its 8-byte prefix/],
    ];
    for (const [what, payload, pattern] of cases) {
      const bad = replaceChunk(file, i, ChunkType.Events | CHUNK_COMPRESSED, payload);
      assert.throws(
        () => readRecording(bad),
        (e: RecordingError) => e instanceof RecordingError && e.code === "bad-chunk" && pattern.test(e.message) && /compressed chunk \d+ at byte \d+/.test(e.message),
        what,
      );
    }
    // Bit flips inside the compressed stream (with a CRC that matches them): a typed error or,
    // rarely, a stream that still inflates to valid events; nothing else escapes.
    const seen = new Set<string>();
    for (let k = 8; k < stored.length; k += Math.max(1, Math.floor(stored.length / 300))) {
      const flipped = stored.slice();
      flipped[k]! ^= 1 << (k % 8);
      seen.add(code(replaceChunk(file, i, ChunkType.Events | CHUNK_COMPRESSED, flipped)));
    }
    assert.ok(
      [...seen].every((c) => ["ok", "bad-chunk", "bad-event", "truncated"].includes(c)),
      [...seen].join(),
    );
    assert.ok(seen.has("bad-chunk") || seen.has("bad-event"));
  });

  it("a chunk compressed with raw DEFLATE (method 1) reads as well as a brotli one (method 2, what writers use)", () => {
    const { i, stored, inflated } = firstEvents();
    assert.equal(stored[0], 2, "brotli");
    const deflated = new Uint8Array(Buffer.concat([compressedPrefix(inflated.length, 1), deflateRawSync(inflated, { level: 1 })]));
    const other = replaceChunk(file, i, ChunkType.Events | CHUNK_COMPRESSED, deflated);
    assert.deepEqual(
      readRecording(other, { strict: true }).events.map((e) => [e.kind, e.icount]),
      readRecording(file, { strict: true }).events.map((e) => [e.kind, e.icount]),
    );
  });

  it("without a matching CRC a flipped bit is a checksum error, as in any chunk", () => {
    const { i } = firstEvents();
    const c = chunks(file)[i]!;
    const bad = file.slice();
    bad[c.at + 16 + 20]! ^= 8;
    assert.equal(code(bad), "checksum");
  });
});
