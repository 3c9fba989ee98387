// Corrupt recordings: each gets a RecordingError with a clear code and message, never a crash
// or another error type: truncation anywhere, bit flips, a wrong version, a wrong kernel.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { readRecording, checkKernel } from "../../src/vmm/recording/reader";
import { EventKind, FORMAT_VERSION, MAGIC, RecordingError } from "../../src/vmm/recording/format";
import { encodeChunk } from "../../src/vmm/recording/writer";
import { ChunkType } from "../../src/vmm/recording/format";
import { asFormat, recordScenario, tmp } from "./record-helpers";
import { readPcapng, writePcapng } from "../../src/vmm/recording/pcapng";

let file: Uint8Array;
/** A recording that starts at a snapshot (0.15 s in) instead of power-on. */
let started: Uint8Array;
before(async () => {
  file = new Uint8Array(readFileSync((await recordScenario("echo", { seconds: 0.2, embedKernel: false })).path));
  started = new Uint8Array(readFileSync((await recordScenario("echo", { startAtSeconds: 0.15, seconds: 0.3, embedKernel: false })).path));
});

/** Byte offsets of each chunk: [start, payload start, payload end). */
function chunks(bytes: Uint8Array): { at: number; data: number; end: number; type: number }[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let pos = 16; pos + 16 <= bytes.length;) {
    const end = pos + 16 + v.getUint32(pos + 8, true);
    out.push({ at: pos, data: pos + 16, end, type: v.getUint8(pos) });
    pos = end;
  }
  return out;
}

/** The file with chunk `i` replaced by a chunk of `type` holding `payload` (a valid CRC). */
function replaceChunk(bytes: Uint8Array, i: number, type: ChunkType, payload: Uint8Array): Uint8Array {
  const c = chunks(bytes)[i]!;
  return new Uint8Array([...bytes.subarray(0, c.at), ...encodeChunk(type, i, payload), ...bytes.subarray(c.end)]);
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const c = chunks(bytes)[0]!;
  return JSON.parse(new TextDecoder().decode(bytes.subarray(c.data, c.end)));
}

function withHeader(bytes: Uint8Array, h: Record<string, unknown>, version: number): Uint8Array {
  const out = replaceChunk(bytes, 0, ChunkType.Header, new TextEncoder().encode(JSON.stringify(h)));
  new DataView(out.buffer).setUint32(8, version, true);
  return out;
}
after(() => rmSync(tmp, { recursive: true, force: true }));

function code(bytes: Uint8Array, strict = true): string {
  try {
    readRecording(bytes, { strict });
    return "ok";
  } catch (e) {
    assert.ok(e instanceof RecordingError, `not a RecordingError: ${(e as Error)?.stack}`);
    assert.ok(e.message.length > 20);
    return e.code;
  }
}

describe("corrupt recordings", () => {
  it("the version pins the event kinds (a change to the enum needs a new version)", () => {
    const kinds = Object.entries(EventKind)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    assert.equal(`${FORMAT_VERSION}:${kinds}`, "5:FrameIn=1,SerialIn=2,ControlCommand=3,Interrupt=16,SerialOut=17,CheckpointHash=32,InputDigest=33,RxDmaInterrupt=48,TxDma=49,End=127");
  });

  it("reads the intact file", () => {
    const r = readRecording(file, { strict: true });
    assert.ok(r.complete);
    assert.ok(r.events.some((e) => e.kind === EventKind.FrameIn));
  });

  it("truncated anywhere: strict refuses with 'truncated'; otherwise a complete prefix", () => {
    const headerEnd = chunks(file)[0]!.end;
    for (let n = 0; n < file.length; n += Math.max(1, Math.floor(file.length / 97))) {
      const cut = file.subarray(0, n);
      const c = code(cut);
      assert.ok(["truncated", "bad-magic"].includes(c) || (c === "ok" && n === file.length), `cut at ${n}: ${c}`);
      if (n >= headerEnd) {
        const r = readRecording(cut); // the prefix
        assert.ok(!r.complete);
      }
    }
    assert.equal(code(file.subarray(0, 3)), "truncated");
    assert.equal(code(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46)), "bad-magic");
  });

  it("bit flips anywhere are caught (checksum, or magic/version in the preamble)", () => {
    let seen = 0;
    for (let i = 0; i < file.length; i += Math.max(1, Math.floor(file.length / 211))) {
      const bad = file.slice();
      bad[i]! ^= 1 << (i % 8);
      const c = code(bad);
      assert.notEqual(c, "ok", `flip at byte ${i} went unnoticed`);
      seen++;
    }
    assert.ok(seen > 100);
  });

  it("garbage never escapes as another error", () => {
    let rng = 7;
    for (let k = 0; k < 300; k++) {
      const n = (rng = (rng * 1103515245 + 12345) >>> 0) % 400;
      const g = Uint8Array.from({ length: n }, () => (rng = (rng * 1103515245 + 12345) >>> 0) >>> 24);
      if (k % 2) g.set(MAGIC.subarray(0, Math.min(n, 8)));
      code(g);
      // Valid framing around garbage payloads: bad header / bad events, still RecordingError.
      const pre = file.subarray(0, 16);
      const framed = new Uint8Array([...pre, ...encodeChunk(ChunkType.Header, 0, g)]);
      code(framed);
    }
  });

  it("a wrong version says which versions are involved", () => {
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(8, 1, true);
    assert.throws(
      () => readRecording(bad),
      (e: RecordingError) => e.code === "wrong-version" && /version 1.*reads versions 2, 3, 4 and 5/.test(e.message),
    );
    new DataView(bad.buffer).setUint32(8, 6, true);
    assert.throws(
      () => readRecording(bad),
      (e: RecordingError) => e.code === "wrong-version" && /version 6/.test(e.message),
    );
  });

  it("a version 2 file (power-on, before start points existed) still reads", () => {
    // Files before version 5 store every chunk plain (asFormat rewrites them so).
    const v2 = asFormat(file, 2);
    const r = readRecording(v2, { strict: true });
    assert.equal(r.header.formatVersion, 2);
    assert.equal(r.start, undefined);
    assert.deepEqual(
      r.events.map((e) => [e.kind, e.icount]),
      readRecording(file).events.map((e) => [e.kind, e.icount]),
    );
    // Version 3 (start points, no embedded disk) and version 4 read too.
    assert.equal(readRecording(asFormat(started, 3), { strict: true }).header.formatVersion, 3);
    assert.equal(readRecording(asFormat(started, 4), { strict: true }).header.formatVersion, 4);
    // A start point needs version 3: a version 2 reader would replay such a file from power-on.
    assert.equal(code(asFormat(started, 2)), "bad-header");
    // A compressed chunk needs version 5.
    assert.equal(code(withHeader(file, { ...headerOf(file), formatVersion: 4 }, 4)), "bad-chunk");
  });

  it("a wrong kernel names both hashes and what to do", () => {
    const r = readRecording(file);
    const other = new TextEncoder().encode("not the kernel");
    assert.throws(
      () => checkKernel(r.header, other, "/tmp/other.elf"),
      (e: RecordingError) =>
        e.code === "wrong-kernel" && e.message.includes(r.header.kernel.sha256) && /[0-9a-f]{64}/.test(e.message.replace(r.header.kernel.sha256, "")) && /--kernel/.test(e.message),
    );
  });
});

describe("a recording that starts at a snapshot", () => {
  it("reads: the start point in the header, its snapshot right after it, events at or after it", () => {
    const r = readRecording(started, { strict: true });
    const s = r.header.start!;
    assert.ok(s && s.icount > 0 && s.ns === 0.15e9, JSON.stringify(s));
    assert.equal(r.startChunk, 1);
    assert.equal(r.start?.icount, s.icount);
    // Stored plain: a recorder does not pause the guest to compress the snapshots it takes.
    assert.equal(chunks(started)[1]!.type, ChunkType.Snapshot);
    assert.ok(r.events.every((e) => e.icount >= s.icount));
  });

  it("truncated before or inside its start snapshot: 'truncated', saying nothing can replay, strict or not", () => {
    const c = chunks(started)[1]!;
    for (const n of [c.at, c.at + 10, c.data + 100, c.end - 1]) {
      for (const strict of [false, true]) {
        assert.throws(
          () => readRecording(started.subarray(0, n), { strict }),
          (e: RecordingError) => e instanceof RecordingError && e.code === "truncated" && (strict || /starts at a snapshot .*nothing in it can be replayed/.test(e.message)),
          `cut at ${n}`,
        );
      }
    }
    const r = readRecording(started.subarray(0, c.end + 20)); // the snapshot whole: a (short) prefix
    assert.ok(r.start && !r.complete);
  });

  it("a start snapshot chunk that is missing, unreadable or elsewhere: 'bad-start'", () => {
    const badStart = (bytes: Uint8Array, pattern: RegExp) =>
      assert.throws(
        () => readRecording(bytes),
        (e: RecordingError) => e instanceof RecordingError && e.code === "bad-start" && pattern.test(e.message),
        pattern.source,
      );
    const events = chunks(started)[2]!;
    // An events chunk where the snapshot belongs (chunks renumbered so the sequence is valid).
    const missing = new Uint8Array([...started.subarray(0, chunks(started)[1]!.at), ...encodeChunk(ChunkType.Events, 1, started.subarray(events.data, events.end))]);
    badStart(missing, /starts at a snapshot .*chunk 1 .*is not a snapshot chunk/);
    badStart(replaceChunk(started, 1, ChunkType.Snapshot, new TextEncoder().encode("\x05\x00\x00\x00{oops")), /start snapshot \(chunk 1\) is unreadable/);
    const h = headerOf(started) as { start: { icount: number } };
    badStart(withHeader(started, { ...h, start: { ...h.start, icount: h.start.icount + 1 } }, FORMAT_VERSION), /start snapshot \(chunk 1\) is at icount \d+.*not at the header's start point/);
  });

  it("a flipped bit in the start snapshot fails its CRC, named as the start snapshot", () => {
    const c = chunks(started)[1]!;
    const bad = started.slice();
    bad[c.data + 5000]! ^= 4;
    assert.throws(
      () => readRecording(bad),
      (e: RecordingError) => e.code === "checksum" && /chunk 1 \(the recording's start snapshot\)/.test(e.message),
    );
  });
});

describe("pcapng", () => {
  it("pcapng round-trips packets with ns timestamps and directions", () => {
    const pk = [
      { timestampNs: 1767225600_000000123n, data: Uint8Array.of(1, 2, 3, 4, 5), direction: "inbound" as const },
      { timestampNs: 1767225600_000000999n, data: new Uint8Array(61).fill(7), direction: "outbound" as const, comment: "icount 5" },
    ];
    const back = readPcapng(writePcapng(pk));
    assert.deepEqual(back.linkTypes, [1]);
    assert.deepEqual(back.tsresol, [9]);
    assert.deepEqual(
      back.packets.map((p) => [p.timestampNs, [...p.data], p.direction]),
      pk.map((p) => [p.timestampNs, [...p.data], p.direction]),
    );
  });
});
