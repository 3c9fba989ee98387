// Long work reports DAP progress and can be cancelled, against the real guest busy computing:
// opening a recording, a seek across a replay session, reverse continue across a live run. A
// cancel request with the progressId stops a seek or search at its next chunk and goes back to
// where it started; one with the launch's request id stops opening the recording. A client that
// does not report progress gets no progress events.
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { TT_REQUEST, type PositionInfo } from "../../src/protocols/time-travel-protocol";
import { Machine } from "../../src/vmm/machine";
import { Recorder } from "../../src/vmm/recording/recorder";
import { tmp } from "../recording/record-helpers";
import { guestPath, KERNEL, launchArgs, lineOf, resumeAndWait, withAdapter } from "./dap-harness";

type ProgressEvent = DebugProtocol.ProgressStartEvent | DebugProtocol.ProgressUpdateEvent | DebugProtocol.ProgressEndEvent;

const COMPUTE = "ip=10.0.2.15 hz=1000 workload=compute";
/** This test's own copy of the kernel: a rebuild meanwhile must not make the recording's kernel a stranger. */
const KERNEL_COPY = join(tmp, "progress-ioengine.elf");
copyFileSync(KERNEL, KERNEL_COPY);

/** Records the compute workload: a few hundred million instructions, seconds to re-execute. */
async function recordCompute(seconds: number): Promise<{ path: string; icount: number }> {
  const k = new Uint8Array(readFileSync(KERNEL_COPY));
  const m = await Machine.create({ kernel: k, cmdline: COMPUTE });
  const path = join(tmp, `compute-${Math.random().toString(36).slice(2)}.lvmmrec`);
  const rec = Recorder.attach(m, { path, kernel: k, kernelName: "ioengine.elf" });
  const stop = await rec.run(seconds * 1e9);
  assert.equal(stop.kind, "limit");
  const icount = m.icountNumber;
  m.destroy();
  return { path, icount };
}

/** initialize (reporting progress or not) and launch stopped on entry, without a second initialize. */
async function start(dc: DebugClient, args: Record<string, unknown>, reportProgress: boolean): Promise<ProgressEvent[]> {
  const events: ProgressEvent[] = [];
  for (const kind of ["progressStart", "progressUpdate", "progressEnd"]) dc.on(kind, (e: ProgressEvent) => events.push(e));
  await dc.initializeRequest({ adapterID: "lvmm", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path", supportsProgressReporting: reportProgress });
  await Promise.all([
    dc.waitForEvent("initialized").then(() => dc.configurationDoneRequest()),
    dc.launchRequest({ ...launchArgs({ kernel: KERNEL_COPY, ...args }), stopOnEntry: true } as DebugProtocol.LaunchRequestArguments),
    dc.waitForEvent("stopped"),
  ]);
  return events;
}

async function position(dc: DebugClient): Promise<PositionInfo> {
  return (await dc.customRequest(TT_REQUEST.position)).body as PositionInfo;
}

/** The events of the progress item titled like `title` that started after `from`. */
function item(events: ProgressEvent[], title: RegExp, from = 0): ProgressEvent[] {
  const startEv = events.slice(from).find((e) => e.event === "progressStart" && title.test((e as DebugProtocol.ProgressStartEvent).body.title));
  assert.ok(startEv, `a progressStart like ${title}: ${JSON.stringify(events.map((e) => [e.event, e.body]))}`);
  return events.filter((e) => e.body.progressId === startEv.body.progressId);
}

/** Sends `go`, cancels its progress item as soon as it starts, and returns the stop. */
async function cancelled(dc: DebugClient, go: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const started = new Promise<DebugProtocol.ProgressStartEvent>((resolve) => dc.once("progressStart", resolve));
  const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
  await go();
  const p = await started;
  assert.equal(p.body.cancellable, true);
  await dc.customRequest("cancel", { progressId: p.body.progressId });
  return stopped;
}

describe("progress and cancellation of long work", () => {
  let recording: { path: string; icount: number };
  before(async () => {
    recording = await recordCompute(0.7);
  });
  after(() => undefined);

  test("initialize announces the cancel request", async () => {
    await withAdapter(async (dc) => assert.equal((await dc.initializeRequest()).body?.supportsCancelRequest, true));
  });

  test("a replay session: opening the recording and a seek across it report progress; a cancelled seek goes back", { timeout: 180_000 }, async () => {
    await withAdapter(async (dc) => {
      const events = await start(dc, { cmdline: COMPUTE, replay: recording.path }, true);
      const open = item(events, /^Opening compute-.*\.lvmmrec$/);
      assert.equal(open[0]!.event, "progressStart");
      assert.equal(open[open.length - 1]!.event, "progressEnd");
      const origin = (await position(dc)).icount;
      const end = recording.icount;

      // Cancelled on its first progress: back where it started, saying so.
      let from = events.length;
      const stop = await cancelled(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: end }));
      assert.equal(stop.body.reason, "pause");
      assert.match(`${stop.body.description} ${stop.body.text}`, /cancelled/);
      assert.equal((await position(dc)).icount, origin, "a cancelled seek returns to where it started");
      const gone = item(events, new RegExp(`^Go to instruction ${end}$`), from);
      assert.equal(gone[gone.length - 1]!.event, "progressEnd");
      assert.equal((gone[gone.length - 1] as DebugProtocol.ProgressEndEvent).body.message, "cancelled");

      // Uncancelled: start, updates with a growing percentage, end; then the stop.
      from = events.length;
      const done = await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: end }));
      assert.equal(done.body.reason, "goto");
      assert.equal((await position(dc)).icount, end);
      const seek = item(events, new RegExp(`^Go to instruction ${end}$`), from);
      const start0 = seek[0] as DebugProtocol.ProgressStartEvent;
      assert.equal(start0.body.cancellable, true);
      const updates = seek.filter((e): e is DebugProtocol.ProgressUpdateEvent => e.event === "progressUpdate");
      assert.ok(updates.length >= 2, `progress updates during a seek of ${end - origin} instructions: ${updates.length}`);
      const percents = updates.map((u) => u.body.percentage!);
      assert.deepEqual(
        percents,
        [...percents].sort((a, b) => a - b),
      );
      assert.match(updates[0]!.body.message!, /^[\d,]+ of [\d,]+ instructions$/);
      assert.equal(seek[seek.length - 1]!.event, "progressEnd");
      assert.equal((seek[seek.length - 1] as DebugProtocol.ProgressEndEvent).body.message, undefined);
    });
  });

  test("a live run: reverse continue across it reports progress, and a cancelled one stays put", { timeout: 180_000 }, async () => {
    await withAdapter(async (dc) => {
      const events = await start(dc, { cmdline: COMPUTE }, true);
      // A line the computation passes once, at its start.
      const once = { path: guestPath("kernel/compute.c") };
      await dc.setBreakpointsRequest({ source: once, breakpoints: [{ line: lineOf("kernel/compute.c", 'kprintf("compute start') }] });
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      const hit = (await position(dc)).icount;
      await dc.continueRequest({ threadId: 1 });
      // Run on into the computation, a few hundred million instructions (however loaded the machine).
      for (let waited = 0; (await position(dc)).icount - hit < 200_000_000 && waited < 60_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
      await resumeAndWait(dc, () => dc.pauseRequest({ threadId: 1 }));
      const here = (await position(dc)).icount;
      assert.ok(here - hit >= 200_000_000, `ran ${here - hit} instructions past the hit`);

      let from = events.length;
      const stop = await cancelled(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
      assert.equal(stop.body.reason, "pause");
      assert.match(stop.body.text ?? "", /cancelled/);
      assert.equal((await position(dc)).icount, here);
      assert.equal((item(events, /^Reverse continue$/, from).at(-1) as DebugProtocol.ProgressEndEvent).body.message, "cancelled");

      from = events.length;
      const back = await resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
      assert.equal(back.body.reason, "breakpoint");
      assert.equal((await position(dc)).icount, hit);
      const search = item(events, /^Reverse continue$/, from);
      assert.ok(
        search.some((e) => e.event === "progressUpdate"),
        JSON.stringify(search),
      );
      assert.equal(search.at(-1)!.event, "progressEnd");
    });
  });

  test("cancelling the launch request stops opening the recording; a client without progress reporting gets no progress events", { timeout: 120_000 }, async () => {
    await withAdapter(async (dc) => {
      await dc.initializeRequest({ adapterID: "lvmm", pathFormat: "path", supportsProgressReporting: true });
      // The launch and its cancel leave together; the recording is read chunk by chunk, so the cancel is seen.
      const seq = (dc as unknown as { sequence: number }).sequence;
      const launch = dc.launchRequest({ ...launchArgs({ kernel: KERNEL_COPY, cmdline: COMPUTE, replay: recording.path }), stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
      void dc.customRequest("cancel", { requestId: seq });
      await assert.rejects(launch, /^Error: cancelled$/);
      assert.equal((await dc.threadsRequest()).body.threads.length, 1, "the adapter keeps answering");
    });
    await withAdapter(async (dc) => {
      const events = await start(dc, { cmdline: COMPUTE, replay: recording.path }, false);
      await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: Math.floor(recording.icount / 4) }));
      assert.deepEqual(events, []);
    });
  });
});
