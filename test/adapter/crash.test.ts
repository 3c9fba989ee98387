// A guest that crashes produces a stopped event with a clear reason, and the adapter keeps
// answering every request afterwards (the guest's fault= option injects each crash).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchArgs, readMemory, resumeAndWait, topFrame, withAdapter } from "./dap-harness";

async function crash(dc: DebugClient, fault: string, filters: string[] = [], extra: Record<string, unknown> = {}): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
  await Promise.all([
    dc
      .waitForEvent("initialized")
      .then(() => dc.setExceptionBreakpointsRequest({ filters }))
      .then(() => dc.configurationDoneRequest()),
    dc.launch(launchArgs({ cmdline: `ip=10.0.2.15 hz=1000 fault=${fault}`, ...extra })),
  ]);
  return stopped;
}

/** Every inspection request still answers after the crash. */
async function stillAnswers(dc: DebugClient): Promise<void> {
  const f = await topFrame(dc);
  const scopes = await dc.scopesRequest({ frameId: f.id });
  const regs = await dc.variablesRequest({ variablesReference: scopes.body.scopes.find((s) => s.name === "Registers")!.variablesReference });
  assert.ok(regs.body.variables.some((v) => v.name === "eip"));
  const ev = await dc.evaluateRequest({ expression: "$esp", frameId: f.id, context: "repl" });
  assert.match(ev.body.result, /^0x[0-9a-f]{8}/);
  const mem = await readMemory(dc, { memoryReference: f.instructionPointerReference ?? "0x100000", count: 16 });
  assert.ok(mem.body?.data);
}

describe("guest crashes", () => {
  test("triple fault: stopped with reason exception and 'Triple fault'; continue stops again; requests still answer", async () => {
    await withAdapter(async (dc) => {
      const ev = await crash(dc, "triple");
      assert.equal(ev.body.reason, "exception");
      assert.equal(ev.body.description, "Triple fault");
      assert.match(ev.body.text ?? "", /triple/i);
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(info.body.exceptionId, "TRIPLE-FAULT");
      await stillAnswers(dc);
      const again = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(again.body.description, "Triple fault");
      await stillAnswers(dc);
    });
  });

  test("interrupts off forever: stopped as a hang", async () => {
    await withAdapter(async (dc) => {
      // A slow virtual CPU reaches the 2 s (virtual) watchdog in fewer instructions.
      const ev = await crash(dc, "irqoff-hang", [], { mips: 20 });
      assert.equal(ev.body.reason, "exception");
      assert.match(ev.body.description ?? "", /Hang/);
      assert.match(ev.body.text ?? "", /interrupts have been disabled/);
      await stillAnswers(dc);
      const f = await topFrame(dc);
      assert.match(f.name, /fault_irqoff_hang|fault_inject|kmain/);
    });
  });

  test("an overwritten IDT: the next interrupt cannot be delivered and the stop says so", async () => {
    await withAdapter(async (dc) => {
      const ev = await crash(dc, "idt-overwrite");
      assert.equal(ev.body.reason, "exception");
      assert.equal(ev.body.description, "Triple fault");
      assert.match(ev.body.text ?? "", /IDT/);
      await stillAnswers(dc);
    });
  });

  test("#PF with the page-fault filter: exceptionInfo has vector 14, the error code, CR2 and the faulting EIP", async () => {
    await withAdapter(async (dc) => {
      const ev = await crash(dc, "pagefault", ["pf"]);
      assert.equal(ev.body.reason, "exception");
      assert.match(ev.body.description ?? "", /#PF/);
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(info.body.exceptionId, "#PF");
      assert.match(info.body.details?.message ?? "", /vector 14/);
      assert.match(info.body.details?.message ?? "", /CR2 0x00000000/);
      assert.match(info.body.details?.message ?? "", /error code 0x/);
      assert.match(info.body.details?.message ?? "", /faulting EIP 0x[0-9a-f]{8} <fault_pagefault/);
      await stillAnswers(dc);
    });
  });

  test("#UD and #GP filters stop on those exceptions with the vector", async () => {
    await withAdapter(async (dc) => {
      const ev = await crash(dc, "ud", ["ud"]);
      assert.match(ev.body.description ?? "", /#UD/);
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.match(info.body.details?.message ?? "", /vector 6/);
    });
    await withAdapter(async (dc) => {
      const ev = await crash(dc, "gp", ["gp"]);
      assert.match(ev.body.description ?? "", /#GP/);
      const info = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.match(info.body.details?.message ?? "", /vector 13, error code 0x00001238/);
    });
  });
});
