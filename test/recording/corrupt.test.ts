// Corrupt recordings: each gets a RecordingError with a clear code and message, never a crash
// or another error type: truncation anywhere, bit flips, a wrong version, a wrong kernel.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { readRecording, checkKernel } from "../../src/vmm/recording/reader";
import { EventKind, FORMAT_VERSION, MAGIC, RecordingError } from "../../src/vmm/recording/format";
import { encodeChunk } from "../../src/vmm/recording/writer";
import { ChunkType } from "../../src/vmm/recording/format";
import { recordScenario, tmp } from "./record-helpers";
import { readPcapng, writePcapng } from "../../src/vmm/recording/pcapng";
import { CheckpointRing } from "../../src/vmm/recording/checkpoint-ring";

let file: Uint8Array;
before(async () => {
  file = new Uint8Array(readFileSync((await recordScenario("echo", { seconds: 0.2, embedKernel: false })).path));
});
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
    const kinds = Object.entries(EventKind).filter(([, v]) => typeof v === "number").map(([k, v]) => `${k}=${v}`).join(",");
    assert.equal(`${FORMAT_VERSION}:${kinds}`, "2:FrameIn=1,SerialIn=2,ControlCommand=3,Interrupt=16,SerialOut=17,CheckpointHash=32,RxDmaInterrupt=48,TxDma=49,End=127");
  });

  it("reads the intact file", () => {
    const r = readRecording(file, { strict: true });
    assert.ok(r.complete);
    assert.ok(r.events.some((e) => e.kind === EventKind.FrameIn));
  });

  it("truncated anywhere: strict refuses with 'truncated'; otherwise a complete prefix", () => {
    for (let n = 0; n < file.length; n += Math.max(1, Math.floor(file.length / 97))) {
      const cut = file.subarray(0, n);
      const c = code(cut);
      assert.ok(["truncated", "bad-magic"].includes(c) || (c === "ok" && n === file.length), `cut at ${n}: ${c}`);
      if (n >= 400) {
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
    assert.throws(() => readRecording(bad), (e: RecordingError) => e.code === "wrong-version" && /version 1.*reads version 2/.test(e.message));
  });

  it("a wrong kernel names both hashes and what to do", () => {
    const r = readRecording(file);
    const other = new TextEncoder().encode("not the kernel");
    assert.throws(() => checkKernel(r.header, other, "/tmp/other.elf"), (e: RecordingError) =>
      e.code === "wrong-kernel" && e.message.includes(r.header.kernel.sha256) && /[0-9a-f]{64}/.test(e.message.replace(r.header.kernel.sha256, "")) && /--kernel/.test(e.message));
  });
});

describe("pcapng and checkpoint ring", () => {
  it("pcapng round-trips packets with ns timestamps and directions", () => {
    const pk = [
      { timestampNs: 1767225600_000000123n, data: Uint8Array.of(1, 2, 3, 4, 5), direction: "inbound" as const },
      { timestampNs: 1767225600_000000999n, data: new Uint8Array(61).fill(7), direction: "outbound" as const, comment: "icount 5" },
    ];
    const back = readPcapng(writePcapng(pk));
    assert.deepEqual(back.linkTypes, [1]);
    assert.deepEqual(back.tsresol, [9]);
    assert.deepEqual(back.packets.map((p) => [p.timestampNs, [...p.data], p.direction]), pk.map((p) => [p.timestampNs, [...p.data], p.direction]));
  });

  it("the ring keeps the last N virtual seconds within its byte budget", () => {
    const ring = new CheckpointRing({ keepNs: 1e9, maxBytes: 10_000 });
    const snap = (icount: number) => ({ icount, v86: new ArrayBuffer(1000) }) as never;
    for (let i = 0; i < 50; i++) ring.add(snap(i * 100), i * 0.1e9);
    assert.ok(ring.checkpoints.length <= 10);
    assert.ok(ring.checkpoints[0]!.ns >= 49 * 0.1e9 - 1e9);
    assert.ok(ring.memoryBytes <= 10_000);
    assert.equal(ring.before(4250)?.icount, 4200);
    assert.equal(ring.before(10), undefined);
  });
});
