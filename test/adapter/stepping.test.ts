// Stepping against the real guest: over and into at line granularity, out, by instruction
// (the Disassembly view's granularity), and stepping over a line while timer interrupts fire.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { DebugInfo } from "../../src/adapter/dwarf";
import { guestPath, KERNEL, launchArgs, lineOf, resumeAndWait, topFrame, withAdapter } from "./dap-harness";

const di = DebugInfo.load(readFileSync(KERNEL));
const E1000_C = guestPath("drivers/e1000.c");
const MAIN_C = guestPath("kernel/main.c");

describe("stepping", () => {
  test("step over a line lands on the next line of the same function; step into enters the callee; step out returns", async () => {
    await withAdapter(async (dc) => {
      const line = lineOf("kernel/main.c", 'kprintf(net ? "ready\\n"');
      await dc.hitBreakpoint(launchArgs(), { path: MAIN_C, line });

      // Into: kprintf is a real function with line info.
      const into = await resumeAndWait(dc, () => dc.stepInRequest({ threadId: 1 }));
      assert.equal(into.body.reason, "step");
      let f = await topFrame(dc);
      assert.equal(f.name, "kprintf");
      const fn = di.functionByName("kprintf")!;
      const pc = Number(f.instructionPointerReference);
      assert.ok(pc >= fn.lowPc && pc < fn.highPc, "pc is inside kprintf");
      const st = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(st.body.stackFrames[1]?.name, "kmain");
      assert.equal(st.body.stackFrames[1]?.line, line, "the caller frame shows the call's line");

      // Out: back in kmain at the return address (the call's line, or the next one when the
      // call ends its line).
      const out = await resumeAndWait(dc, () => dc.stepOutRequest({ threadId: 1 }));
      assert.equal(out.body.reason, "step");
      f = await topFrame(dc);
      assert.equal(f.name, "kmain");
      assert.ok(f.line >= line);
      const retPc = Number(f.instructionPointerReference);
      assert.equal(di.addressToLine(retPc)!.line, f.line);

      // Over: the rest of the line runs and we stop on a later line of kmain.
      const over = await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1 }));
      assert.equal(over.body.reason, "step");
      f = await topFrame(dc);
      assert.equal(f.name, "kmain");
      assert.ok(f.line > line || Number(f.instructionPointerReference) !== retPc, `line ${f.line} after ${line}`);
      // The stop line is the DWARF line of the pc, or, at the first instruction of inlined code,
      // the call's line in kmain (the inlined frames stay hidden until a step into).
      const overPc = Number(f.instructionPointerReference);
      const loc = di.addressToLine(overPc)!;
      const callLines = di
        .inlineFramesAt(overPc)
        .filter((x) => x.name === "kmain")
        .map((x) => x.line);
      assert.ok(loc.line === f.line || callLines.includes(f.line), `stop line ${f.line}: pc line ${loc.line}, kmain's line there ${callLines.join(",")}`);
    });
  });

  test("instruction granularity steps one instruction, as the Disassembly view does", async () => {
    await withAdapter(async (dc) => {
      const line = lineOf("drivers/e1000.c", "mmio = bar0 & ~0xFu;");
      await dc.hitBreakpoint(launchArgs(), { path: E1000_C, line });
      const pc0 = Number((await topFrame(dc)).instructionPointerReference);
      const dis = await dc.disassembleRequest({ memoryReference: `0x${pc0.toString(16)}`, instructionCount: 2 });
      const first = dis.body!.instructions[0]!;
      const len = first.instructionBytes!.split(" ").length;
      await resumeAndWait(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
      const pc1 = Number((await topFrame(dc)).instructionPointerReference);
      if (/^(call|jmp|j[a-z]+|ret)/.test(first.instruction)) assert.notEqual(pc1, pc0);
      else assert.equal(pc1, pc0 + len, `${first.instruction} is ${len} bytes`);
      await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1, granularity: "instruction" }));
      const pc2 = Number((await topFrame(dc)).instructionPointerReference);
      assert.notEqual(pc2, pc1);
    });
  });

  test("stepping over the idle loop's hlt runs the timer interrupt handler through and stops in kmain", async () => {
    await withAdapter(async (dc) => {
      const idle = lineOf("kernel/main.c", "if (net && nic.polled)");
      // Break on the idle loop's poll check, then step over the loop's lines several times:
      // each `sti; hlt` waits for the 1 kHz timer, whose handler must not show up as a stop.
      await dc.hitBreakpoint(launchArgs(), { path: MAIN_C, line: idle });
      await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
      const lines = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const ev = await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1 }));
        assert.equal(ev.body.reason, "step");
        const f = await topFrame(dc);
        assert.equal(f.name, "kmain", `step ${i} stopped in ${f.name}, not in an interrupt handler`);
        lines.add(f.line);
      }
      assert.ok(lines.size >= 1);
      // Instruction steps over `hlt` do not stop inside the handler either.
      for (let i = 0; i < 6; i++) {
        await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1, granularity: "instruction" }));
        const f = await topFrame(dc);
        const fn = di.functionAt(Number(f.instructionPointerReference));
        assert.equal(fn?.name, "kmain", `instruction step ${i} stopped in ${f.name} (${f.instructionPointerReference})`);
      }
    });
  });

  test("pause stops a running guest and continue resumes it", async () => {
    await withAdapter(async (dc) => {
      await Promise.all([dc.configurationSequence(), dc.launch({ ...launchArgs(), stopOnEntry: false })]);
      const ev = await resumeAndWait(dc, () => dc.pauseRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "pause");
      const f = await topFrame(dc);
      assert.ok(f.instructionPointerReference);
      await dc.continueRequest({ threadId: 1 });
      const again = await resumeAndWait(dc, () => dc.pauseRequest({ threadId: 1 }));
      assert.equal(again.body.reason, "pause");
    });
  });
});
