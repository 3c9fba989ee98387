// The "echoLoad" launch option: a live session gets UDP echo requests on its NIC's wire at a
// steady rate on the virtual clock, so the DMA inspector (lvmm/dma) lists receive interrupts
// with the requests and the guest's replies go out; the traffic depends on virtual time only,
// so a paced and an unpaced run hit the echo service at the same instruction counts and
// reverse execution re-executes it exactly. The sample workspace's F5 configuration uses it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { LaunchArgumentError, parseLaunchArguments } from "../../src/adapter/launch-arguments";
import { TT_REQUEST, type DmaHistory, type PositionInfo } from "../../src/protocols/time-travel-protocol";
import { guestPath, KERNEL, launchArgs, launchStopped, lineOf, resumeAndWait, ROOT, withAdapter } from "./dap-harness";

const ECHO_C = guestPath("net/echo.c");
const REPLY_LINE = lineOf("net/echo.c", "udp_reply(d, d->payload, d->len);");

async function position(dc: DebugClient): Promise<PositionInfo> {
  return (await dc.customRequest(TT_REQUEST.position)).body as PositionInfo;
}

/** Continues `n` times (each to the next stop), returning where each stop was. */
async function hits(dc: DebugClient, n: number): Promise<PositionInfo[]> {
  const out: PositionInfo[] = [];
  for (let i = 0; i < n; i++) {
    const stop = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, "breakpoint", `stop ${i + 1}: ${stop.body.description} ${stop.body.text ?? ""}`);
    out.push(await position(dc));
  }
  return out;
}

const atEcho = (dc: DebugClient) => () => dc.setBreakpointsRequest({ source: { path: ECHO_C }, breakpoints: [{ line: REPLY_LINE }] });

describe("echoLoad launch option", () => {
  test("UDP echo requests arrive while the session runs: receive interrupts in the DMA inspector's data, replies sent", { timeout: 60_000 }, async () => {
    await withAdapter(async (dc) => {
      await dc.initializeRequest();
      const console: string[] = [];
      dc.on("output", (e: DebugProtocol.OutputEvent) => void (e.body.category === "console" && console.push(e.body.output)));
      await launchStopped(dc, launchArgs({ echoLoad: 200 }), atEcho(dc));
      assert.ok(
        console.some((l) => l.includes("UDP echo load: 200 requests per virtual second to guest 10.0.2.15:7")),
        console.join(""),
      );
      const [first] = await hits(dc, 1);
      // The first request arrives 150 virtual ms after power-on, long before a second of virtual time.
      assert.ok(first!.ns >= 150e6 && first!.ns < 1e9, `the guest echoed its first request at ${first!.ns} ns`);
      // Run on a while without the breakpoint, then look at the DMA inspector's data.
      await dc.setBreakpointsRequest({ source: { path: ECHO_C }, breakpoints: [{ line: REPLY_LINE, hitCondition: "20" }] });
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      const dma = (await dc.customRequest(TT_REQUEST.dma)).body as DmaHistory;
      assert.ok(dma.rxTotal >= 10, `receive interrupts: ${dma.rxTotal}`);
      const frames = dma.rx.flatMap((r) => r.descriptors).map((d) => Buffer.from(d.bytes, "base64"));
      const requests = frames.filter((f) => f.length >= 42 + 15 && f.readUInt16BE(12) === 0x0800 && f[23] === 17 && f.readUInt16BE(36) === 7);
      assert.ok(requests.length >= 10, `UDP requests to port 7 among ${frames.length} received frames`);
      assert.equal(requests[0]!.subarray(42, 57).toString("latin1"), "seq=0000000000:");
      // Ethernet destination: the NIC's MAC; IPv4 destination: the guest's address.
      assert.equal(requests[0]!.subarray(0, 6).toString("hex"), "525400123456");
      assert.equal([...requests[0]!.subarray(30, 34)].join("."), "10.0.2.15");
      const replies = dma.tx.map((t) => Buffer.from(t.bytes, "base64")).filter((f) => f.length >= 42 && f[23] === 17 && f.readUInt16BE(34) === 7);
      assert.ok(replies.length >= 10, `echo replies transmitted: ${replies.length} of ${dma.txTotal} transmit descriptors`);
    });
  });

  test("the traffic follows the virtual clock: paced and unpaced runs echo at the same instruction counts, and reverse execution re-executes it", { timeout: 90_000 }, async () => {
    const run = (pace: boolean) =>
      withAdapter(async (dc) => {
        await dc.initializeRequest();
        await launchStopped(dc, launchArgs({ echoLoad: 200, pace }), atEcho(dc));
        const seen = await hits(dc, 3);
        // Back to the second echo, then forward again to the third.
        const back = await resumeAndWait(dc, () => dc.customRequest("reverseContinue", { threadId: 1 }));
        assert.equal(back.body.reason, "breakpoint");
        assert.equal((await position(dc)).icount, seen[1]!.icount, "reverse continue lands on the previous echo");
        const [again] = await hits(dc, 1);
        assert.equal(again!.icount, seen[2]!.icount, "forward again reaches the same echo at the same count");
        return seen.map((p) => [p.icount, p.ns]);
      });
    const unpaced = await run(false);
    const paced = await run(true);
    assert.deepEqual(paced, unpaced);
    // 200 requests per virtual second: one every 5 ms.
    assert.ok(Math.abs(unpaced[1]![1]! - unpaced[0]![1]! - 5e6) < 1e6, `echo times ${unpaced.map((x) => x[1]).join(", ")} ns`);
  });

  test("the validator refuses a bad rate, no NIC, and a replay", () => {
    const refused = (raw: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(
        () => parseLaunchArguments({ kernel: KERNEL, ...raw }),
        (e: unknown) => e instanceof LaunchArgumentError && e.argument === "echoLoad" && pattern.test(e.message),
      );
    refused({ echoLoad: 0 }, /above 0/);
    refused({ echoLoad: -5 }, /above 0/);
    refused({ echoLoad: 1e6 }, /at most/);
    refused({ echoLoad: "100" }, /expected a number/);
    refused({ echoLoad: 100, nic: false }, /needs the NIC/);
    refused({ echoLoad: 100, replay: "/tmp/x.lvmmrec" }, /replay/);
    assert.equal(parseLaunchArguments({ kernel: KERNEL, echoLoad: 100 }).echoLoad, 100);
    assert.equal(parseLaunchArguments({ kernel: KERNEL }).echoLoad, undefined);
  });

  test("the sample workspace's first (F5) configuration boots the built guest with UDP echo traffic", () => {
    const folder = join(ROOT, "examples/ioengine");
    const launch = JSON.parse(readFileSync(join(folder, ".vscode/launch.json"), "utf8")) as { configurations: Record<string, unknown>[] };
    const first = launch.configurations[0]!;
    assert.equal(first.type, "lvmm");
    assert.equal(first.request, "launch");
    assert.equal(typeof first.echoLoad, "number");
    assert.ok((first.echoLoad as number) > 0, "traffic on the wire");
    // It names the kernel the build produces (no addresses or symbols of one build), so it still works after a rebuild.
    const resolved = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, typeof v === "string" ? v.replaceAll("${workspaceFolder}", folder) : v]));
    assert.equal(resolve(resolved.kernel as string), KERNEL);
    const plan = parseLaunchArguments(resolved);
    assert.ok(plan.echoLoad! > 0);
    assert.notEqual(plan.nic, false);
    assert.equal(plan.replay, undefined);
  });
});
