// The "serve" launch option at DAP level: the adapter boots the guest as the I/O engine and runs
// the RTSP front with delivery on the debugged machine. A real RTSP client on 127.0.0.1 plays a
// stream; a breakpoint in the delivery engine's C (stream_send_next, guest/delivery/stream.c)
// hits while the client is connected, RTP stops and RTSP keeps answering; after continue RTP
// flows again; a guest that can no longer run (cli; hlt) takes delivery down and the front answers
// 503; disconnect closes the server.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { RtspLoadClient } from "../../src/loadgen/rtsp-load-client";
import { makeSampleClip } from "../../src/streamsim/content/sample-clip";
import { KERNEL, withAdapter, writeMemory } from "./dap-harness";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms; fails after `ms`. */
async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** One raw RTSP OPTIONS on a fresh connection; the status line (bounded). */
function options(port: number): Promise<string> {
  return request(port, "OPTIONS", `rtsp://127.0.0.1:${port}/`);
}

/** One raw RTSP request on a fresh connection; the status line (bounded). */
function request(port: number, method: string, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`${method} got no answer in 5 s`));
    }, 5000);
    let buf = "";
    s.on("connect", () => s.write(`${method} ${url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
    s.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("\r\n\r\n")) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.split("\r\n")[0]!);
      }
    });
    s.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

test("serve: a breakpoint in the delivery engine hits while a real RTSP client plays; continue resumes RTP", { timeout: 120_000 }, async () => {
  const clip = await makeSampleClip({ durationSec: 20 });
  await withAdapter(async (dc) => {
    const out: string[] = [];
    dc.on("output", (e: DebugProtocol.OutputEvent) => out.push(e.body.output));
    await Promise.all([
      dc.waitForEvent("initialized").then(() => dc.configurationDoneRequest()),
      dc.launch({ kernel: KERNEL, cmdline: "ip=10.0.2.15", serve: { port: 0, metricsPort: 0, content: clip.contentDir } }),
    ]);
    let url: string | undefined;
    await until("the rtsp:// URL in the debug console", () => (url = /ffplay (rtsp:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(out.join(""))?.[1]) !== undefined, 10_000);
    const port = Number(new URL(url!).port);
    // the engine is up once the guest said HELLO; until then the front answers 503
    await until("the I/O engine's HELLO", () => out.join("").includes("I/O engine up"), 30_000);

    // pick our clip: the directory may hold several
    const clipUrl = url!.replace(/[^/]+$/, clip.name);
    const client = new RtspLoadClient(clipUrl, { transport: "udp", requestTimeoutMs: 10_000 });
    try {
      await client.start();
      await until("RTP at the client", () => client.rx.packets >= 20);

      // pause the guest, put a function breakpoint on the engine's per-packet send, continue
      await Promise.all([dc.waitForEvent("stopped"), dc.pauseRequest({ threadId: 1 })]);
      const bps = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "stream_send_next" }] });
      assert.equal(bps.body.breakpoints[0]?.verified, true, JSON.stringify(bps.body.breakpoints[0]));
      const [hit] = (await Promise.all([dc.waitForEvent("stopped"), dc.continueRequest({ threadId: 1 })])) as [DebugProtocol.StoppedEvent, unknown];
      assert.equal(hit.body.reason, "function breakpoint");
      const st = await dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0]!;
      assert.equal(top.name, "stream_send_next");
      assert.match(top.source?.path ?? "", /guest\/delivery\/stream\.c$/);
      assert.ok(
        st.body.stackFrames.some((f) => /guest\/delivery\/sched\.c$/.test(f.source?.path ?? "")),
        `a caller in sched.c: ${st.body.stackFrames.map((f) => f.name).join(" <- ")}`,
      );

      // stopped at the breakpoint: RTP stands still (after what was in flight), RTSP answers
      await sleep(300);
      const held = client.rx.packets;
      assert.match(await options(port), /^RTSP\/1\.0 200/);
      await sleep(700);
      assert.equal(client.rx.packets, held, "no RTP while the engine is stopped at the breakpoint");
      assert.equal(client.state, "playing");

      // remove the breakpoint, continue: RTP flows again
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await dc.continueRequest({ threadId: 1 });
      await until("RTP again after continue", () => client.rx.packets >= held + 20);
      assert.match(await options(port), /^RTSP\/1\.0 200/);
      assert.ok(!out.join("").includes("I/O engine down"), "the engine was never declared down");
      assert.match(await request(port, "DESCRIBE", clipUrl), /^RTSP\/1\.0 200/);

      // the guest dies for good (cli; hlt written where it stands): delivery is down, 503
      await Promise.all([dc.waitForEvent("stopped"), dc.pauseRequest({ threadId: 1 })]);
      const ip = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0]!.instructionPointerReference!;
      await writeMemory(dc, { memoryReference: ip, data: Buffer.from([0xfa, 0xf4]).toString("base64") });
      const [dead] = (await Promise.all([dc.waitForEvent("stopped"), dc.continueRequest({ threadId: 1 })])) as [DebugProtocol.StoppedEvent, unknown];
      assert.equal(dead.body.description, "Guest halted");
      await until("the engine declared down", () => /I\/O engine down .*halted/.test(out.join("")), 10_000);
      assert.match(await request(port, "DESCRIBE", clipUrl), /^RTSP\/1\.0 503/);
      assert.match(await options(port), /^RTSP\/1\.0 200/, "the front itself still answers");
    } finally {
      await client.stop();
    }
    await dc.disconnectRequest({});
    // the RTSP port is closed with the session
    await assert.rejects(options(port));
  });
});
