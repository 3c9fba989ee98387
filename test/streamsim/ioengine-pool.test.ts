// A pool of two I/O engines, each on its own thread: streams are spread over both and both
// deliver at once; one engine crashing takes only its own streams down while the other serves
// on, and the crashed one comes back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { IoEnginePool } from "../../src/streamsim/delivery/ioengine-pool";
import { startServer, type StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { kernel } from "../helpers/guest";
import { hasTool, makeTestContent, metricsText, until, type TestContent } from "./fixtures";
import { RtspTestClient } from "./rtsp-test-client";
import { UdpClient } from "./udp-client";

const haveFfmpeg = hasTool("ffmpeg");

describe("I/O engine pool: two engines", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  let content: TestContent;
  let pool: IoEnginePool;
  let server: StreamServerHandle;
  const closers: (() => void)[] = [];

  before(async () => {
    content = await makeTestContent();
    pool = await IoEnginePool.open({ engines: 2, kernel: kernel(), contentDir: content.dir, log: () => {}, bootTimeoutMs: 20_000, testControl: true, rebootDelayMs: 5000 });
    server = await startServer({ port: 0, metrics: { port: 0 }, contentDir: content.dir, backend: pool, log: () => {} });
  });
  after(async () => {
    for (const c of closers) c();
    await server?.close();
    await pool?.close();
    content?.remove();
  });

  /** A client playing the clip over UDP; resolves with its session's stream once RTP flows. */
  async function play(): Promise<{ c: RtspTestClient; u: UdpClient }> {
    const u = await UdpClient.open();
    const c = await RtspTestClient.connect(server.port);
    closers.push(
      () => c.close(),
      () => u.close(),
    );
    const url = server.url("clip");
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: u.transport })).status, 200);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await until(() => u.rtp.length >= 10, 10_000, "RTP");
    return { c, u };
  }

  it("boots two engines with distinct boot ids and spreads streams over both", async () => {
    const [a, b] = pool.engines;
    assert.ok(a!.isUp() && b!.isUp());
    assert.notEqual(a!.status().bootId, b!.status().bootId);
    const clients = await Promise.all([play(), play(), play(), play()]);
    const ids = [...server.sessions.all()].map((s) => s.id);
    const on = new Set(ids.map((id) => pool.engines.indexOf(pool.engineOf(id)!)));
    assert.deepEqual([...on].sort(), [0, 1], "streams on both engines");
    await until(() => (a!.status().load?.packets ?? 0) > 0 && (b!.status().load?.packets ?? 0) > 0, 5000, "both engines sending");
    const text = await metricsText(server.metricsPort!);
    assert.match(text, /lvmm_engine_packets_total\{engine="0"\} [1-9]/);
    assert.match(text, /lvmm_engine_packets_total\{engine="1"\} [1-9]/);
    for (const { c } of clients) assert.equal((await c.request("TEARDOWN", server.url("clip"))).status, 200);
  });

  it("serves on from one engine while the other has crashed, and takes the rebooted one back", async () => {
    const first = await play();
    const second = await play();
    const sessions = [...server.sessions.all()];
    const engineOf = (i: number) => pool.engineOf(sessions[i]!.id)!;
    assert.notEqual(engineOf(0), engineOf(1), "the two streams are on different engines");
    const crashing = engineOf(0);
    const survivor = engineOf(1);
    const boots = crashing.status().boots;
    await crashing.injectFault("ud");
    await until(() => !crashing.isUp(), 5000, "the crashed engine is down");
    assert.ok(pool.isUp(), "the pool is up while one engine is");
    const before = second.u.rtp.length;
    await until(() => second.u.rtp.length > before + 50, 5000, "the other engine's stream goes on");
    // a new stream goes to the engine that is up (the crashed one reboots only after 5 s)
    assert.ok(!crashing.isUp());
    const third = await play();
    assert.equal(pool.engineOf([...server.sessions.all()].at(-1)!.id), survivor);
    await until(() => crashing.isUp(), 30_000, "the crashed engine rebooted");
    assert.equal(crashing.status().boots, boots + 1);
    void first;
    void third;
  });
});
