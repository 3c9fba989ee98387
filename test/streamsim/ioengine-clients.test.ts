// Real RTSP clients (Debian 12's ffmpeg 5.1) play the sample stream delivered by the I/O engine
// (the guest OS on the LVMM) over UDP and over TCP. Playing it by hand (ffplay, -rtsp_transport tcp): docs/io-engine-panel.md.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { IoEngineDelivery } from "../../src/streamsim/delivery/ioengine-delivery";
import type { StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { hasTool, makeTestContent, until, type TestContent } from "./fixtures";
import { serveWithEngine } from "./ioengine-fixture";

const haveClients = hasTool("ffprobe") && hasTool("ffmpeg");
const READ_SECONDS = 4;

describe("I/O engine: real clients", { skip: haveClients ? false : "ffprobe/ffmpeg not installed (apt-get install ffmpeg): skipped" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  let engine: IoEngineDelivery;
  const children = new Set<ChildProcess>();

  const ffprobe = (transport: "udp" | "tcp", url: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(
        "ffprobe",
        [
          "-v",
          "warning",
          "-rtsp_transport",
          transport,
          "-read_intervals",
          `%+${READ_SECONDS}`,
          "-count_packets",
          "-select_streams",
          "v:0",
          "-show_entries",
          "stream=codec_name,nb_read_packets",
          "-of",
          "default=nw=1",
          url,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      children.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code, stdout, stderr });
      });
    });

  before(async () => {
    content = await makeTestContent();
    ({ server, engine } = await serveWithEngine(content.dir));
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await server?.close();
    await engine?.close();
    content?.remove();
  });

  for (const transport of ["udp", "tcp"] as const) {
    it(`ffprobe plays the engine's stream over ${transport.toUpperCase()} with decoded frames and no missed packets`, async () => {
      const r = await ffprobe(transport, server.url("clip"));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /codec_name=h264/);
      const packets = Number(/nb_read_packets=(\d+)/.exec(r.stdout)?.[1] ?? 0);
      assert.ok(packets >= 25 * (READ_SECONDS - 1), `nb_read_packets=${packets}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /missed \d+ packets/);
      assert.doesNotMatch(r.stderr, /non-existing PPS|decode_slice_header error/, "the stream starts with its parameter sets");
      // the packets came from the engine: it counted them, and nothing reached the gateway unrouted
      const st = engine.status();
      assert.ok((st.stats?.packets ?? 0) > 0, "the engine's scheduler sent the packets");
      assert.equal(st.hello?.dma, true, "the engine reads its disk with bus-master DMA");
      await until(() => server.sessions.size === 0, 5000, "ffprobe's TEARDOWN");
      await until(() => engine.activeStreams === 0 && (engine.status().stats?.streams ?? 1) === 0, 5000, "the engine freed the stream");
    });
  }
});
