// `lvmm/history` over DAP, in a replay session: the changes to a driver variable named the way
// the Variables view names it (dataBreakpointInfo), each with the storing line; a receive
// buffer's changes as the NIC's DMA; progress while it searches; the machine where it was; and a
// change's instruction count is where lvmm/goto takes the user to see its new value.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { TT_REQUEST, type HistoryResult, type PositionInfo } from "../../src/protocols/time-travel-protocol";
import { recordScenario } from "../recording/record-helpers";
import { guestPath, launchArgs, lineOf, readMemory, resumeAndWait, withAdapter } from "./dap-harness";

const E1000_C = guestPath("drivers/e1000.c");
const RX_LINE = lineOf("drivers/e1000.c", "stats.rx_frames++;");

async function position(dc: DebugClient): Promise<PositionInfo> {
  return (await dc.customRequest(TT_REQUEST.position)).body as PositionInfo;
}

async function history(dc: DebugClient, args: Record<string, unknown>): Promise<HistoryResult> {
  return (await dc.customRequest(TT_REQUEST.history, args)).body as HistoryResult;
}

describe("lvmm/history", () => {
  test("a variable's changes with their lines, DMA named as such, and goto one", { timeout: 120_000 }, async () => {
    const r = await recordScenario("echo");
    await withAdapter(async (dc) => {
      const progress: string[] = [];
      dc.on("progressStart", (e: DebugProtocol.ProgressStartEvent) => progress.push(e.body.title));
      // Initialized once, as VS Code does, saying it shows progress (DebugClient.launch would initialize again without).
      await dc.initializeRequest({ adapterID: "lvmm", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true, supportsProgressReporting: true });
      await Promise.all([
        dc
          .waitForEvent("initialized")
          .then(() => dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [{ line: RX_LINE }] }))
          .then(() => dc.configurationDoneRequest()),
        dc.launchRequest({ ...launchArgs({ replay: r.path }), stopOnEntry: true } as DebugProtocol.LaunchRequestArguments),
        dc.waitForEvent("stopped"),
      ]);
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      const here = await position(dc);

      const info = await dc.dataBreakpointInfoRequest({ name: "stats" });
      assert.ok(info.body.dataId, info.body.description);
      const h = await history(dc, { dataId: info.body.dataId, limit: 6 });
      assert.equal(h.changes.length, 6);
      assert.equal(h.truncated, true);
      assert.ok(
        progress.some((t) => /^History of 0x[0-9a-f]+$/.test(t)),
        progress.join("; "),
      );
      for (const c of h.changes) {
        assert.equal(c.by, "cpu");
        assert.ok(c.source?.path.endsWith("e1000.c"), JSON.stringify(c));
        assert.ok(c.line! > 0 && c.function);
      }
      assert.ok(
        h.changes.some((c) => c.line === RX_LINE && c.offset === 4),
        "rx_frames (offset 4) counted at its line",
      );
      // The machine is where it was.
      assert.deepEqual(await position(dc), here);

      // Go to a change: the variable holds its new bytes there.
      const c = h.changes[3]!;
      const ev = await resumeAndWait(dc, () => dc.customRequest(TT_REQUEST.goto, { icount: c.icount }));
      assert.equal(ev.body.reason, "goto");
      const [address, size] = info.body.dataId!.split(":").map(Number) as [number, number];
      const mem = await readMemory(dc, { memoryReference: String(address), count: size });
      assert.equal(Buffer.from(mem.body!.data!, "base64").toString("hex"), c.new);

      // A receive buffer, by address: the NIC's DMA, with the descriptor and the frame.
      const buffers = await dc.evaluateRequest({ expression: "&e1000_rx_buffers[0]", context: "watch" });
      const bufAddress = Number(buffers.body.memoryReference ?? /0x[0-9a-f]+/i.exec(buffers.body.result)?.[0]);
      assert.ok(bufAddress > 0, JSON.stringify(buffers.body));
      const b = await history(dc, { address: bufAddress, length: 32, limit: 2 });
      assert.ok(b.changes.length >= 1);
      const dma = b.changes.find((x) => x.by === "dma");
      assert.ok(dma?.rx, JSON.stringify(b.changes));
      assert.equal(dma.rx.index, 0);
      assert.match(dma.rx.frame, /IPv4 10\.0\.2\.2:\d+ > 10\.0\.2\.15:7 UDP \d+ bytes/);

      // A NIC register from the Variables view (Devices > e1000): the driver's writes to RDT, the NIC's own moves of RDH.
      const frameId = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0]!.id;
      const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
      const devices = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === "Devices")!.variablesReference })).body.variables;
      const e1000 = devices.find((v) => v.name === "e1000")!.variablesReference;
      const rdt = await dc.dataBreakpointInfoRequest({ variablesReference: e1000, name: "RDT" });
      assert.equal(rdt.body.dataId, "e1000:RDT");
      assert.deepEqual(rdt.body.accessTypes, ["write"]);
      const writes = await history(dc, { dataId: rdt.body.dataId, limit: 3 });
      assert.equal(writes.register, "RDT");
      assert.equal(writes.changes.length, 3);
      for (const c of writes.changes) {
        assert.equal(c.by, "cpu");
        assert.ok(
          c.frames?.some((f) => f.function === "reg_write"),
          JSON.stringify(c),
        );
      }
      const rdh = await history(dc, { dataId: "e1000:RDH", limit: 3 });
      assert.ok(rdh.changes.length >= 1 && rdh.changes.every((c) => c.by === "dma"), JSON.stringify(rdh.changes));
      // The same id is a data breakpoint: continuing stops right after the driver's next RDT write.
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: "e1000:RDT" }] });
      assert.equal(set.body.breakpoints[0]?.verified, true);
      await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [] });
      const hit = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(hit.body.reason, "data breakpoint");
      assert.match(hit.body.text ?? "", /^the NIC's register at offset 0x2818 changed, by the CPU: /);
      await dc.setDataBreakpointsRequest({ breakpoints: [] });

      // Bad requests get a clear error.
      await assert.rejects(history(dc, { address: bufAddress, length: 5000 }), /1 to 4096 bytes/);
      await assert.rejects(history(dc, { name: "stats" }), /needs a dataId/);
    });
  });
});
