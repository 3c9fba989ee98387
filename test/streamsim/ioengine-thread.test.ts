// The I/O engine as a dedicated processor: its machine runs on its own thread, so a stalled
// main thread (a heavy management request) does not stop RTP leaving; the figures /metrics
// shows are measured where packets leave the host; and when the engine's thread dies without
// a word, the server answers 503 and a new thread serves again.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { IoEngineDelivery } from "../../src/streamsim/delivery/ioengine-delivery";
import type { StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { hasTool, makeTestContent, metricsText, metricValue, until, type TestContent } from "./fixtures";
import { serveWithEngine } from "./ioengine-fixture";
import { RtspTestClient } from "./rtsp-test-client";

const haveFfmpeg = hasTool("ffmpeg");

/**
 * An RTP receiver in its own process (never the server's): binds a port pair, prints it, then
 * prints the largest gap between arrivals (ms) when told "gap" on stdin, and counts packets.
 */
const RECEIVER = `
const dgram = require("node:dgram");
const rtp = dgram.createSocket("udp4"); const rtcp = dgram.createSocket("udp4");
let last = 0, gap = 0, n = 0;
rtp.on("message", () => { const t = performance.now(); if (last) gap = Math.max(gap, t - last); last = t; n++; });
rtcp.on("message", () => {});
function bind(p) { rtp.bind(p, "127.0.0.1", () => rtcp.bind(p + 1, "127.0.0.1", () => console.log(JSON.stringify({ ports: [p, p + 1] }))).on("error", () => bind(p + 2))); }
rtp.on("error", () => { rtp.close(); process.exit(3); });
bind(40000 + 2 * Math.floor(Math.random() * 5000));
process.stdin.on("data", (d) => { if (String(d).includes("reset")) { gap = 0; last = 0; n = 0; } else console.log(JSON.stringify({ gap, n })); });
`;

class Receiver {
  private lines: string[] = [];
  private constructor(private readonly p: ReturnType<typeof spawn>) {
    p.stdout!.on("data", (d: Buffer) => this.lines.push(...String(d).trim().split("\n")));
  }
  static async start(): Promise<{ r: Receiver; ports: [number, number] }> {
    const r = new Receiver(spawn(process.execPath, ["-e", RECEIVER], { stdio: ["pipe", "pipe", "inherit"] }));
    await until(() => r.lines.length > 0, 5000, "the receiver's ports");
    return { r, ports: JSON.parse(r.lines.shift()!).ports };
  }
  reset(): void {
    this.p.stdin!.write("reset\n");
  }
  async read(): Promise<{ gap: number; n: number }> {
    this.p.stdin!.write("gap\n");
    await until(() => this.lines.length > 0, 5000, "the receiver's figures");
    return JSON.parse(this.lines.shift()!);
  }
  close(): void {
    this.p.kill("SIGKILL");
  }
}

describe("I/O engine on its own thread", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  let engine: IoEngineDelivery;
  const closers: (() => void)[] = [];

  before(async () => {
    content = await makeTestContent();
    ({ server, engine } = await serveWithEngine(content.dir, { rebootDelayMs: 1000 }));
  });
  after(async () => {
    for (const c of closers) c();
    await server?.close();
    await engine?.close();
    content?.remove();
  });

  async function playTo(ports: [number, number]): Promise<RtspTestClient> {
    const c = await RtspTestClient.connect(server.port);
    closers.push(() => c.close());
    const url = server.url("clip");
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: `RTP/AVP;unicast;client_port=${ports[0]}-${ports[1]}` })).status, 200);
    assert.equal((await c.request("PLAY", url)).status, 200);
    return c;
  }

  it("keeps sending while the server's main thread is stalled for a second", async () => {
    const { r, ports } = await Receiver.start();
    closers.push(() => r.close());
    await playTo(ports);
    await until(() => engine.status().load !== undefined, 5000, "the engine's first load report");
    await new Promise((res) => setTimeout(res, 500));
    r.reset();
    // the main thread (RTSP, management, the linkage client) does nothing for 1000 ms
    const end = performance.now() + 1000;
    while (performance.now() < end);
    await new Promise((res) => setTimeout(res, 300));
    const { gap, n } = await r.read();
    assert.ok(n > 20, `packets arrived during and after the stall (${n})`);
    // the clip sends a packet every few ms: a gap as long as the stall would mean the engine waited for the main thread
    assert.ok(gap < 500, `the largest gap between packets was ${gap.toFixed(0)} ms during a 1000 ms stall of the main thread`);
  });

  it("reports its cost and the lateness measured where packets leave the host in /metrics", async () => {
    await until(() => (engine.status().load?.packets ?? 0) > 0, 5000, "a load report with packets");
    const text = await metricsText(server.metricsPort!);
    assert.ok((metricValue(text, "lvmm_engine_guest_instructions_per_packet") ?? 0) > 0, "guest instructions per packet");
    assert.ok((metricValue(text, "lvmm_engine_host_us_per_packet") ?? 0) > 0, "host µs per packet");
    const busy = metricValue(text, "lvmm_engine_guest_busy_ratio") ?? -1;
    assert.ok(busy > 0 && busy < 1, `guest busy ratio ${busy}`);
    assert.ok((metricValue(text, "lvmm_engine_packets_total") ?? 0) > 0);
    // the session's lateness histogram counts host sends: as many as RTP packets the session was sent
    assert.ok((metricValue(text, "rtsp_delivery_lateness_seconds_count") ?? 0) > 0);
  });

  it("answers 503 when the engine's thread dies without a word, and serves again from a new one", async () => {
    const { boots } = engine.status();
    await engine.killEngineThread();
    await until(() => !engine.isUp(), 5000, "the backend to notice the dead thread");
    const c = await RtspTestClient.connect(server.port);
    closers.push(() => c.close());
    const url = server.url("clip");
    assert.equal((await c.request("DESCRIBE", url)).status, 503);
    await until(() => engine.isUp(), 30_000, "a new engine thread's HELLO");
    assert.equal(engine.status().boots, boots + 1);
    const { r, ports } = await Receiver.start();
    closers.push(() => r.close());
    await playTo(ports);
    await until(() => (engine.status().load?.totalPackets ?? 0) > 20, 10_000, "RTP from the new engine thread");
    await new Promise((res) => setTimeout(res, 500));
    assert.ok((await r.read()).n > 0, "the client received RTP from the new engine thread");
  });
});
