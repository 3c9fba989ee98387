// Reverse debugging over DAP against the real guest: step back and forward again reaches the
// same registers and memory; reverseContinue lands on the last hit before the current
// position for source, function, instruction, conditional and data breakpoints; goto an
// instruction count; the invalidated/memory events after every move; reverse step over/out.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ElfFile } from "../../src/vmm/elf";
import { TT_REQUEST, type DmaHistory, type PositionInfo, type TimelineData } from "../../src/protocols/time-travel-protocol";
import { guestPath, KERNEL, launchArgs, launchStopped, lineOf, readMemory, resumeAndWait, topFrame, withAdapter } from "./dap-harness";

const PIT_C = guestPath("arch/pit.c");
const TICK_LINE = lineOf("arch/pit.c", "ticks++;");
const elf = ElfFile.parse(readFileSync(KERNEL));
const pitIrq = elf.symbolByName("pit_irq")!;
const ticks = elf.symbolByName("ticks")!;

async function position(dc: DebugClient): Promise<PositionInfo> {
  return (await dc.customRequest(TT_REQUEST.position)).body as PositionInfo;
}

async function registers(dc: DebugClient): Promise<Record<string, string>> {
  const frame = await topFrame(dc);
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const ref = scopes.find((s) => s.name === "Registers")!.variablesReference;
  const vars = (await dc.variablesRequest({ variablesReference: ref })).body.variables;
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

async function ticksValue(dc: DebugClient): Promise<number> {
  const r = await readMemory(dc, { memoryReference: `0x${ticks.value.toString(16)}`, count: 4 });
  return Buffer.from(r.body!.data!, "base64").readUInt32LE(0);
}

/** State a user can see: registers, the tick counter and the top of the stack. */
async function state(dc: DebugClient): Promise<string> {
  const regs = await registers(dc);
  const stack = await readMemory(dc, { memoryReference: regs.esp ?? "0", count: 64 });
  return JSON.stringify({ regs, ticks: await ticksValue(dc), stack: stack.body?.data });
}

/** Continues `n` times, returning the instruction count of each stop. */
async function hits(dc: DebugClient, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
    out.push((await position(dc)).icount);
  }
  return out;
}

async function reverseContinue(dc: DebugClient): Promise<DebugProtocol.StoppedEvent> {
  return resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
}

describe("reverse debugging", () => {
  test("the adapter offers stepBack; step back then forward reaches the same registers and memory", async () => {
    await withAdapter(async (dc) => {
      const init = await dc.initializeRequest();
      assert.equal(init.body?.supportsStepBack, true);
      await launchStopped(dc, launchArgs(), () => dc.setBreakpointsRequest({ source: { path: PIT_C }, breakpoints: [{ line: TICK_LINE }] }));
      await hits(dc, 3);
      await dc.setBreakpointsRequest({ source: { path: PIT_C }, breakpoints: [] });
      for (let i = 0; i < 5; i++) await resumeAndWait(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
      const here = await position(dc);
      const before = await state(dc);

      // One instruction back, one forward.
      const invalidated = dc.waitForEvent("invalidated");
      const memory = dc.waitForEvent("memory");
      const back = await resumeAndWait(dc, () => dc.stepBackRequest({ threadId: 1, granularity: "instruction" }));
      assert.equal(back.body.reason, "step");
      assert.deepEqual((await invalidated).body.areas, ["all"], "views are told to refresh after the move");
      await memory;
      assert.equal((await position(dc)).icount, here.icount - 1);
      assert.ok((await position(dc)).inPast);
      await resumeAndWait(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
      assert.equal((await position(dc)).icount, here.icount);
      assert.equal(await state(dc), before, "same registers, tick counter and stack after back + forward");

      // A line back, then forward by instruction to the same count: same state again.
      const lineBack = await resumeAndWait(dc, () => dc.stepBackRequest({ threadId: 1 }));
      assert.equal(lineBack.body.reason, "step");
      const at = await position(dc);
      assert.ok(at.icount < here.icount);
      const f = await topFrame(dc);
      assert.ok(f.line > 0, "stepped back onto a source line");
      await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: here.icount }));
      assert.equal(await state(dc), before, "goto forward to the original count restores the same state");
    });
  });

  test("reverseContinue lands on the previous hit of source, function and instruction breakpoints", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc);
      const kinds: [string, () => Promise<unknown>, () => Promise<unknown>, string][] = [
        [
          "source",
          () => dc.setBreakpointsRequest({ source: { path: PIT_C }, breakpoints: [{ line: TICK_LINE }] }),
          () => dc.setBreakpointsRequest({ source: { path: PIT_C }, breakpoints: [] }),
          "breakpoint",
        ],
        ["function", () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "pit_irq" }] }), () => dc.setFunctionBreakpointsRequest({ breakpoints: [] }), "function breakpoint"],
        [
          "instruction",
          () => dc.customRequest("setInstructionBreakpoints", { breakpoints: [{ instructionReference: `0x${pitIrq.value.toString(16)}` }] }),
          () => dc.customRequest("setInstructionBreakpoints", { breakpoints: [] }),
          "instruction breakpoint",
        ],
      ];
      for (const [kind, set, clear, reason] of kinds) {
        await set();
        const h = await hits(dc, 3);
        const t0 = await ticksValue(dc);
        let ev = await reverseContinue(dc);
        assert.equal(ev.body.reason, reason, kind);
        assert.equal((await position(dc)).icount, h[1], `${kind}: reverseContinue from hit 3 lands on hit 2`);
        assert.equal(await ticksValue(dc), t0 - 1, `${kind}: one tick earlier`);
        ev = await reverseContinue(dc);
        assert.equal((await position(dc)).icount, h[0], `${kind}: then on hit 1`);
        // Forward again from the past: the next hit is hit 2 again, by re-execution.
        await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
        assert.equal((await position(dc)).icount, h[1], `${kind}: continuing from the past re-executes to hit 2`);
        await clear();
      }
    });
  });

  test("reverseContinue honours a condition evaluated on the past state, and data breakpoints", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc, launchArgs(), () => dc.setBreakpointsRequest({ source: { path: PIT_C }, breakpoints: [{ line: TICK_LINE, condition: "ticks % 3 == 0" }] }));
      const h = await hits(dc, 3);
      assert.equal((await ticksValue(dc)) % 3, 0);
      await reverseContinue(dc);
      assert.equal((await position(dc)).icount, h[1], "skips the hits where ticks % 3 != 0");
      assert.equal((await ticksValue(dc)) % 3, 0);
      await dc.setBreakpointsRequest({ source: { path: PIT_C }, breakpoints: [] });

      // Data breakpoint on `ticks`: each forward stop is right after a write.
      const info = await dc.dataBreakpointInfoRequest({ name: "ticks" });
      assert.ok(info.body.dataId);
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
      const w = await hits(dc, 3);
      const last = await ticksValue(dc);
      const ev = await reverseContinue(dc);
      assert.equal(ev.body.reason, "data breakpoint");
      assert.equal((await position(dc)).icount, w[1], "lands right after the previous write");
      assert.equal(await ticksValue(dc), last - 1);
      await resumeAndWait(dc, () => dc.stepBackRequest({ threadId: 1, granularity: "instruction" }));
      assert.equal(await ticksValue(dc), last - 2, "one instruction earlier the write had not happened");

      // A read data breakpoint on `ticks` (the timer interrupt's incl loads it): forwards and backwards.
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "read" }] });
      assert.equal(set.body.breakpoints[0]?.verified, true);
      const r = await hits(dc, 2);
      assert.ok(r[1]! > r[0]!);
      const back = await reverseContinue(dc);
      assert.equal(back.body.reason, "data breakpoint");
      assert.equal((await position(dc)).icount, r[0], "lands right after the previous load");
    });
  });

  test("goto an instruction count, reverse step out to the call site, timeline and DMA data", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc, launchArgs(), () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "pit_irq" }] }));
      const h = await hits(dc, 2);
      const target = Math.floor((h[0]! + h[1]!) / 2);
      const ev = await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: target }));
      assert.equal(ev.body.reason, "goto");
      assert.equal((await position(dc)).icount, target);
      await assert.rejects(dc.customRequest(TT_REQUEST.goto, { icount: h[1]! + 10_000_000 }), /after the present/);
      await assert.rejects(dc.customRequest(TT_REQUEST.goto, { icount: "soon" }), /integer/);

      // Back on hit 2 (in pit_irq): reverse step out stops in the caller, before the call.
      await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: h[1] }));
      assert.equal((await topFrame(dc)).name, "pit_irq");
      const out = await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.reverseStepOut));
      assert.equal(out.body.reason, "step");
      const f = await topFrame(dc);
      assert.notEqual(f.name, "pit_irq");
      assert.ok((await position(dc)).icount < h[1]!);

      const tl = (await dc.customRequest(TT_REQUEST.timeline, { buckets: 100 })).body as TimelineData;
      assert.equal(tl.buckets, 100);
      assert.equal(tl.markers.interrupt.counts.length, 100);
      assert.ok(tl.markers.interrupt.counts.reduce((a, b) => a + b, 0) >= 2, "timer interrupts are on the timeline");
      assert.ok(tl.markers.breakpoint.counts.reduce((a, b) => a + b, 0) >= 2, "breakpoint hits are on the timeline");
      assert.ok(tl.ns[100]! > tl.ns[0]!, "the virtual-time axis grows");
      const dma = (await dc.customRequest(TT_REQUEST.dma)).body as DmaHistory;
      assert.ok(Array.isArray(dma.rx) && Array.isArray(dma.tx));
    });
  });
});
