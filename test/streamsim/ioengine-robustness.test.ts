// The I/O engine going away and coming back: a guest crash gives 503 and a recovery when the
// rebooted engine says HELLO again, and leaves the crashed incarnation's flight recording,
// which replays to the crash; a client that vanishes leaves no stream in the engine.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { IoEngineDelivery } from "../../src/streamsim/delivery/ioengine-delivery";
import type { StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { hasTool, makeTestContent, metricsText, metricValue, until, type TestContent } from "./fixtures";
import { serveWithEngine } from "./ioengine-fixture";
import { RtspTestClient } from "./rtsp-test-client";
import { UdpClient } from "./udp-client";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { withSmallDisk } from "../helpers/small-disk";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventKind } from "../../src/vmm/recording/format";
import { readRecording } from "../../src/vmm/recording/reader";
import { Replayer } from "../../src/vmm/recording/replayer";

const haveFfmpeg = hasTool("ffmpeg");

describe("I/O engine: crash and vanished clients", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  let engine: IoEngineDelivery;
  let recordDir: string;
  const clients: RtspTestClient[] = [];
  const udps: UdpClient[] = [];
  const client = async () => {
    const c = await RtspTestClient.connect(server.port);
    clients.push(c);
    return c;
  };
  const engineStreams = () => engine.status().stats?.streams;

  before(async () => {
    content = await makeTestContent();
    recordDir = mkdtempSync(join(tmpdir(), "ioengine-rec-"));
    ({ server, engine } = await serveWithEngine(content.dir, { testControl: true, rebootDelayMs: 1500, record: { dir: recordDir, windowNs: 30e9 } }));
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const u of udps) u.close();
    await server?.close();
    await engine?.close();
    content?.remove();
    if (recordDir) rmSync(recordDir, { recursive: true, force: true });
  });

  it("a UDP client that vanishes mid-stream leaves no stream in the engine", async () => {
    const u = await UdpClient.open();
    udps.push(u);
    const c = await client();
    const url = server.url("clip");
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: u.transport })).status, 200);
    const id = c.session!;
    assert.equal((await c.request("PLAY", url)).status, 200);
    await until(() => u.rtp.length >= 10, 5000, "RTP from the engine");
    await until(() => engineStreams() === 1, 3000, "the engine to report the stream");
    c.socket.resetAndDestroy(); // vanish: RST, no TEARDOWN
    await until(() => server.sessions.get(id) === undefined, 3000, "session torn down");
    await until(() => engine.activeStreams === 0 && engineStreams() === 0, 3000, "the engine's stream slot freed");
    // Packets the engine sent before it got STOP may still be on their way through the paced
    // VMM and the bridge: wait until the flow has been quiet for 300 ms (bounded), then check
    // that nothing more ever comes.
    for (let i = 0, last = -1; i < 10 && u.rtp.length !== last; i++) {
      last = u.rtp.length;
      await new Promise((r) => setTimeout(r, 300));
    }
    const seen = u.rtp.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(u.rtp.length, seen, "no RTP after the session is gone");
  });

  it("an interleaved client that vanishes mid-stream leaves no stream in the engine", async () => {
    const c = await client();
    const url = server.url("clip2");
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await c.waitFor(() => c.frames.length >= 10, 5000, "interleaved RTP relayed from the engine");
    c.socket.destroy();
    await until(() => server.sessions.size === 0 && engine.activeStreams === 0 && engineStreams() === 0, 3000, "stream gone from the engine");
  });

  it("answers 503 while the crashed engine is down, and serves again after it reboots", async () => {
    const url = server.url("clip");
    const playing = await client();
    assert.equal((await playing.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
    assert.equal((await playing.request("PLAY", url)).status, 200);
    await playing.waitFor(() => playing.frames.length > 0, 5000, "RTP before the crash");
    const { boots, bootId } = engine.status();

    await engine.injectFault("ud"); // the guest executes ud2: crash report, halt
    await until(() => !engine.isUp(), 5000, "the backend to notice the crash");
    // the reboot waits 1.5 s, so the outage is observable
    assert.equal(metricValue(await metricsText(server.metricsPort!), "rtsp_backend_up", '{kind="ioengine"}'), 0);
    const c = await client();
    const d = await c.request("DESCRIBE", url);
    assert.equal(d.status, 503);
    assert.equal(d.headers.get("retry-after"), "10");
    await until(() => server.sessions.size === 0, 3000, "the crashed engine's sessions torn down");

    await until(() => engine.isUp(), 30_000, "the rebooted engine's HELLO");
    assert.equal(engine.status().boots, boots + 1);
    assert.equal((await c.request("DESCRIBE", url)).status, 200);
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await c.waitFor(() => c.frames.length >= 5, 5000, "RTP from the rebooted engine");
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
    assert.equal(metricValue(await metricsText(server.metricsPort!), "rtsp_backend_up", '{kind="ioengine"}'), 1);

    // The crashed incarnation's flight recording: it ends with the crash, which its replay reaches again.
    const file = join(recordDir, `engine-${bootId}.lvmmrec`);
    await until(() => existsSync(file), 10_000, "the crashed engine's recording");
    const rec = readRecording(new Uint8Array(readFileSync(file)), { strict: true });
    const end = rec.events[rec.events.length - 1]!;
    assert.ok(end.kind === EventKind.End && !["limit", "stopped"].includes(end.end.reason), `the recording ends with the crash: ${JSON.stringify(end)}`);
    assert.ok(
      rec.events.some((e) => e.kind === EventKind.ControlCommand && (e.command as { linkage?: string }).linkage === "FAULT"),
      "the FAULT command is on its timeline",
    );
    const replayer = await Replayer.create(rec);
    try {
      const r = replayer.run({ verify: true });
      assert.equal(r.divergence, undefined, JSON.stringify(r.divergence));
      assert.equal(r.stop, undefined, JSON.stringify(r.stop));
      assert.equal(r.endIcount, end.icount, "the replay crashed at the recorded instruction count");
    } finally {
      replayer.destroy();
    }
  });
});

describe("I/O engine: a flight recording that cannot be written", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  /** Serves with the recording on a small tmpfs, waits for its failure to be logged, plays a stream; returns the log. */
  function serveOnSmallDisk(t: { skip(why: string): void }, size: string, record: { windowNs: number; checkpointIntervalNs?: number }, failed: RegExp): Promise<string[] | undefined> {
    return withSmallDisk(t, size, async (small) => {
      const content = await makeTestContent();
      const log: string[] = [];
      let server: StreamServerHandle | undefined;
      let engine: IoEngineDelivery | undefined;
      let client: RtspTestClient | undefined;
      try {
        ({ server, engine } = await serveWithEngine(content.dir, { record: { dir: small, ...record }, log: (line) => log.push(line) }));
        await until(() => log.some((l) => failed.test(l)), 10_000, `the failure reported (log: ${log.join(" | ")})`);
        client = await RtspTestClient.connect(server.port);
        const url = server.url("clip");
        assert.equal((await client.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
        assert.equal((await client.request("PLAY", url)).status, 200);
        await client.waitFor(() => client!.frames.length >= 10, 5000, "RTP from the unrecorded engine");
        assert.ok(engine.isUp());
        return log;
      } finally {
        client?.close();
        await server?.close();
        await engine?.close();
        content.remove();
      }
    });
  }

  it("at the start (no room for the kernel and content disk): reported, and the engine serves unrecorded", async (t) => {
    await serveOnSmallDisk(t, "256k", { windowNs: 30e9 }, /^recording the I\/O engine \(boot \d+\) failed: .*ENOSPC.*; it runs on unrecorded$/);
  });

  it("mid-run (no room for the next segment's start snapshot): reported, and the engine serves on", async (t) => {
    const failed = /^recording the I\/O engine \(boot \d+\) failed: .*ENOSPC.*; it runs on unrecorded$/;
    const log = await serveOnSmallDisk(t, "1m", { windowNs: 2e9, checkpointIntervalNs: 250e6 }, failed);
    if (!log) return;
    const up = log.findIndex((l) => /^I\/O engine up/.test(l));
    assert.ok(up >= 0 && up < log.findIndex((l) => failed.test(l)), `it failed after the engine came up: ${log.join(" | ")}`);
  });
});
