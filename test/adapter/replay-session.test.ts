// The "replay" launch option over DAP: a short echo run recorded in-process is debugged as a
// replay session: a breakpoint in the driver's receive path hits, reverse continue lands on the
// previous hit, the DMA inspector's data is the recorded DMA, and the session goes live at the
// recording's end. A recording made with another kernel is refused with the reader's message.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { TT_REQUEST, type DmaHistory, type PositionInfo, type TimelineData } from "../../src/protocols/time-travel-protocol";
import { EventKind } from "../../src/vmm/recording/format";
import { readRecording } from "../../src/vmm/recording/reader";
import { recordScenario, tmp } from "../recording/record-helpers";
import { kernel } from "../helpers/guest";
import { Machine } from "../../src/vmm/machine";
import { RingRecorder } from "../../src/vmm/recording/ring-recorder";
import { buildContentDisk } from "../../src/streamsim/ioengine/content-disk";
import { engineCmdline } from "../../src/streamsim/ioengine/engine-host";
import { guestPath, launchArgs, launchStopped, lineOf, resumeAndWait, topFrame, withAdapter } from "./dap-harness";

const E1000_C = guestPath("drivers/e1000.c");
const RX_LINE = lineOf("drivers/e1000.c", "stats.rx_frames++;");
const ENGINE_C = guestPath("delivery/engine.c");
const STATS_LINE = lineOf("delivery/engine.c", "send_stats(now);");

async function position(dc: DebugClient): Promise<PositionInfo> {
  return (await dc.customRequest(TT_REQUEST.position)).body as PositionInfo;
}

describe("replay debug sessions", () => {
  test("a recording debugs like a live run: breakpoints, reverse continue, the recorded DMA, live at the end", { timeout: 120_000 }, async () => {
    const r = await recordScenario("echo");
    const rec = readRecording(new Uint8Array(readFileSync(r.path)), { strict: true });
    const recordedDma = new Map<number, string>();
    for (const e of rec.events) if (e.kind === EventKind.RxDmaInterrupt) for (const d of e.rx.descriptors) recordedDma.set(d.dmaIcount, Buffer.from(d.bytes).toString("base64"));
    assert.ok(recordedDma.size > 20);

    await withAdapter(async (dc) => {
      await dc.initializeRequest();
      const output: string[] = [];
      dc.on("output", (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
      // The launch's own cmdline is ignored: the recorded configuration is used.
      await launchStopped(dc, launchArgs({ replay: r.path, cmdline: "ip=10.9.9.9" }), () => dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [{ line: RX_LINE }] }));
      assert.ok(
        output.some((o) => /replaying .*recorded inputs up to instruction count/.test(o)),
        output.join(""),
      );

      const at: number[] = [];
      for (let i = 0; i < 4; i++) {
        const s = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
        assert.equal(s.body.reason, "breakpoint");
        assert.match((await topFrame(dc)).source?.path ?? "", /e1000\.c$/);
        at.push((await position(dc)).icount);
      }
      assert.ok(at[3]! < r.icount, "the hits are inside the recording");

      // The DMA inspector shows what the recording logged (same instruction counts and bytes).
      const dma = (await dc.customRequest(TT_REQUEST.dma)).body as DmaHistory;
      const descs = dma.rx.flatMap((x) => x.descriptors);
      assert.ok(descs.length > 0, "receive interrupts by the 4th hit");
      for (const d of descs) assert.equal(d.bytes, recordedDma.get(d.dmaIcount), `descriptor DMA'd at ${d.dmaIcount} as recorded`);

      // Reverse continue lands on the previous hit.
      const back = await resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
      assert.equal(back.body.reason, "breakpoint");
      const p = await position(dc);
      assert.equal(p.icount, at[2]);
      assert.ok(p.inPast);

      // Forward again to the same hit, then past the recording's end: live from there.
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal((await position(dc)).icount, at[3]);
      await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [] });
      const told = new Promise<void>((resolve) => dc.on("output", (e: DebugProtocol.OutputEvent) => /end of recording/.test(e.body.output) && resolve()));
      await dc.continueRequest({ threadId: 1 });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([told, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no end-of-recording notice in 20 s")), 20_000)))]);
      clearTimeout(timer);
      await resumeAndWait(dc, () => dc.pauseRequest({ threadId: 1 }));
      assert.ok((await position(dc)).icount > r.icount);
    });
  });

  test("a recording that starts at a snapshot debugs from there, and not before it", { timeout: 120_000 }, async () => {
    const r = await recordScenario("echo", { startAtSeconds: 0.2, seconds: 0.35 });
    const rec = readRecording(new Uint8Array(readFileSync(r.path)), { strict: true });
    const start = rec.header.start!.icount;
    const recordedDma = new Map<number, string>();
    for (const e of rec.events) if (e.kind === EventKind.RxDmaInterrupt) for (const d of e.rx.descriptors) recordedDma.set(d.dmaIcount, Buffer.from(d.bytes).toString("base64"));

    await withAdapter(async (dc) => {
      await dc.initializeRequest();
      const output: string[] = [];
      dc.on("output", (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
      await launchStopped(dc, launchArgs({ replay: r.path }), () => dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [{ line: RX_LINE }] }));
      assert.ok(
        output.some((o) => o.includes(`from its start snapshot at instruction count ${start}`)),
        output.join(""),
      );
      const entry = await position(dc);
      assert.equal(entry.icount, start, "stopped on entry at the start snapshot");
      assert.equal(entry.first, start);
      await assert.rejects(dc.customRequest("stepBack", { threadId: 1, granularity: "instruction" }), /already at the start of the recorded run/);
      await assert.rejects(dc.customRequest(TT_REQUEST.goto, { icount: start - 1000 }), /before the first checkpoint/);

      const at: number[] = [];
      for (let i = 0; i < 3; i++) {
        const s = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
        assert.equal(s.body.reason, "breakpoint");
        at.push((await position(dc)).icount);
      }
      assert.ok(at[0]! > start && at[2]! < r.icount);
      const tl = (await dc.customRequest(TT_REQUEST.timeline, { buckets: 4 })).body as TimelineData;
      assert.equal(tl.from, start, "the timeline starts at the start snapshot");
      assert.equal(tl.ns[0], rec.header.start!.ns, "at its virtual time");
      const dma = (await dc.customRequest(TT_REQUEST.dma)).body as DmaHistory;
      const descs = dma.rx.flatMap((x) => x.descriptors).filter((d) => d.dmaIcount >= start);
      assert.ok(descs.length > 0, "receive DMA since the start");
      for (const d of descs) assert.equal(d.bytes, recordedDma.get(d.dmaIcount), `descriptor DMA'd at ${d.dmaIcount} as recorded`);
      const back = await resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
      assert.equal(back.body.reason, "breakpoint");
      assert.equal((await position(dc)).icount, at[1]);
    });
  });

  test("a recording of the I/O engine as lvmm serve makes it (its content disk, from a snapshot, paced) debugs with reverse continue", { timeout: 120_000 }, async () => {
    const empty = mkdtempSync(join(tmpdir(), "lvmm-nocontent-"));
    const disk = (await buildContentDisk(empty)).image;
    rmSync(empty, { recursive: true, force: true });
    const k = kernel();
    const m = await Machine.create({ kernel: k, disk, cmdline: engineCmdline({ bootId: 11 }), memoryMB: 32 });
    const path = join(tmp, "engine-ring.lvmmrec");
    const ring = RingRecorder.attach(m, { path, windowNs: 1e9, checkpointIntervalNs: 500e6, kernel: k, disk });
    for (let ns = 1e6; ns <= 2.6e9; ns += 1e6) await ring.advance(ns);
    await ring.stop();
    const merged = ring.merge();
    m.destroy();
    assert.ok(merged.start.ns > 0, "it starts at a snapshot");

    await withAdapter(async (dc) => {
      await dc.initializeRequest();
      await launchStopped(dc, launchArgs({ replay: path }), () => dc.setBreakpointsRequest({ source: { path: ENGINE_C }, breakpoints: [{ line: STATS_LINE }] }));
      const at: number[] = [];
      for (let i = 0; i < 3; i++) {
        const s = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
        assert.equal(s.body.reason, "breakpoint");
        assert.match((await topFrame(dc)).source?.path ?? "", /engine\.c$/);
        at.push((await position(dc)).icount);
      }
      assert.ok(at[0]! > merged.start.icount && at[2]! < merged.end.icount, `hits inside the recording: ${at.join(", ")}`);
      const back = await resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
      assert.equal(back.body.reason, "breakpoint");
      assert.equal((await position(dc)).icount, at[1]);
    });
  });

  test("a recording made with another kernel is refused with the reader's message", { timeout: 60_000 }, async () => {
    const r = await recordScenario("idle", { seconds: 0.02, kernel: Uint8Array.of(1, 2, 3), embedKernel: false });
    await withAdapter(async (dc) => {
      await dc.initializeRequest();
      await assert.rejects(dc.launch(launchArgs({ replay: r.path })), /launch argument "replay": .*the recording was made with kernel .* sha256/);
    });
  });
});
