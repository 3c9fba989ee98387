// The "gdbPort" launch option: a GDB stub beside a VS Code debug session, on its machine. gdb's
// continue runs as the session's run (VS Code sees the stop), VS Code's breakpoints are its own,
// and gdb cannot move the guest while VS Code runs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ElfFile } from "../../src/vmm/elf";
import { KERNEL, launchArgs, launchStopped, resumeAndWait, topFrame, withAdapter } from "../adapter/dap-harness";
import { TT_REQUEST, type PositionInfo } from "../../src/protocols/time-travel-protocol";
import { RspClient } from "./rsp-client";

const elf = ElfFile.parse(readFileSync(KERNEL));
const kmain = elf.symbolByName("kmain")!;
const start = elf.symbolByName("_start")!;
const rxBuffers = elf.symbolByName("e1000_rx_buffers")!;

async function stubPort(dc: import("@vscode/debugadapter-testsupport").DebugClient, args: Record<string, unknown>): Promise<number> {
  const outputs: string[] = [];
  dc.on("output", (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  await launchStopped(dc, launchArgs(args));
  const line = outputs.find((o) => /GDB stub on 127\.0\.0\.1:\d+/.test(o));
  assert.ok(line, outputs.join(""));
  return Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
}

test("gdb and VS Code debug one machine", async () => {
  await withAdapter(async (dc) => {
    const outputs: string[] = [];
    dc.on("output", (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
    await launchStopped(dc, launchArgs({ gdbPort: 0 }));
    const line = outputs.find((o) => /GDB stub on 127\.0\.0\.1:\d+/.test(o));
    assert.ok(line, outputs.join(""));
    assert.match(line, /gdb -ex 'target remote 127\.0\.0\.1:\d+' .*ioengine\.elf/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const gdb = await RspClient.open(port);
    try {
      assert.match((await gdb.request("?")) ?? "", /^T05/);
      const g = (await gdb.request("g")) ?? "";
      assert.equal(Buffer.from(g.slice(64, 72), "hex").readUInt32LE(0), start.value, "both see the entry point");
      // gdb continues to kmain: VS Code sees the guest run and stop there.
      assert.equal(await gdb.request(`Z0,${kmain.value.toString(16)},1`), "OK");
      const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      assert.match((await gdb.request("vCont;c")) ?? "", /^T05thread:1;swbreak:;04:[0-9a-f]{8};05:[0-9a-f]{8};08:[0-9a-f]{8};$/);
      const ev = await stopped;
      assert.equal(ev.body.reason, "pause");
      assert.equal((await topFrame(dc)).name.split(" ")[0], "kmain");
      assert.equal(await gdb.request(`z0,${kmain.value.toString(16)},1`), "OK");
      // gdb steps back one instruction; VS Code follows.
      const back = dc.waitForEvent("stopped");
      assert.match((await gdb.request("bs")) ?? "", /^T05/);
      await back;
      assert.notEqual((await topFrame(dc)).name.split(" ")[0], "kmain", "one instruction before kmain's first");
      // While VS Code runs the guest, gdb's moves are refused; reads still work.
      await dc.continueRequest({ threadId: 1 });
      assert.match((await gdb.request("s")) ?? "", /^E/);
      assert.match((await gdb.request("m" + kmain.value.toString(16) + ",4")) ?? "", /^[0-9a-f]{8}$/);
      await resumeAndWait(dc, () => dc.pauseRequest({ threadId: 1 }));
      assert.match((await gdb.request("s")) ?? "", /^T05/, "after the pause, gdb steps again");
    } finally {
      gdb.close();
    }
  });
});

test("a watch on a receive buffer stops at the same instruction for VS Code's data breakpoint and gdb's watchpoint", async () => {
  await withAdapter(async (dc) => {
    const port = await stubPort(dc, { gdbPort: 0, echoLoad: 200 });
    const address = rxBuffers.value + 42; // the first frame's "seq=..." payload
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: `${address}:15`, accessType: "write" }] });
    assert.equal(set.body.breakpoints[0]!.verified, true);
    const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(ev.body.reason, "data breakpoint");
    const vscodeAt = ((await dc.customRequest(TT_REQUEST.position)).body as PositionInfo).icount;
    const gdb = await RspClient.open(port);
    try {
      const mon = async (cmd: string) => Buffer.from((await gdb.request(`qRcmd,${Buffer.from(cmd).toString("hex")}`)) ?? "", "hex").toString();
      assert.match(await mon("goto 0"), /at instruction 0\b/);
      assert.equal(await gdb.request(`Z2,${address.toString(16)},f`), "OK");
      assert.match((await gdb.request("vCont;c")) ?? "", new RegExp(`^T05thread:1;watch:${address.toString(16)};04:`));
      const gdbAt = Number(/^icount (\d+)/.exec(await mon("icount"))![1]);
      assert.equal(gdbAt, vscodeAt, "the same DMA, at the same instruction count");
    } finally {
      gdb.close();
    }
  });
});
