// The demonstration race, found from the debugger: a recording of the racy driver
// (race=rdt-early) is replayed as a debug session; at the guest's corruption report a data
// breakpoint on the corrupted payload bytes and a reverse continue land on the write that
// corrupted them, and the debugger says it was the NIC's DMA, not the CPU.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { TT_REQUEST, type PositionInfo } from "../../src/protocols/time-travel-protocol";
import { recordScenario } from "../recording/record-helpers";
import { launchArgs, launchStopped, resumeAndWait, withAdapter } from "./dap-harness";

test("reverse continue with a data breakpoint on the corrupted bytes lands on the NIC's DMA", { timeout: 150_000 }, async () => {
  const r = await recordScenario("race");
  assert.ok(r.corruption, "the race hit while recording");
  const m = /at byte (\d+) \(rx buffer 0x([0-9a-f]+)\)$/.exec(r.corruption.line)!;
  // The report's offset is into the UDP payload, 42 bytes into the frame (Ethernet+IPv4+UDP).
  const address = parseInt(m[2]!, 16) + 42 + Number(m[1]);

  await withAdapter(async (dc) => {
    await dc.initializeRequest();
    await launchStopped(dc, launchArgs({ replay: r.path }));
    // Go to where the guest printed its report (in the past of a replay it is exact).
    await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: r.corruption!.icount }));
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: `${address}:4`, accessType: "write" }] });
    assert.equal(set.body.breakpoints[0]!.verified, true, set.body.breakpoints[0]!.message);
    const back = (await resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }))) as DebugProtocol.StoppedEvent;
    assert.equal(back.body.reason, "data breakpoint");
    assert.match(back.body.text ?? "", /written by a device \(DMA\)/);
    const p = (await dc.customRequest(TT_REQUEST.position)).body as PositionInfo;
    assert.ok(p.icount < r.corruption!.icount, "the corrupting write came before the report");
  });
});
