// Real RTSP clients (Debian 12's ffmpeg 5.1) play the sample stream over UDP and TCP.
// Playing the stream by hand (ffplay, -rtsp_transport tcp): docs/io-engine-panel.md.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { startServer, type StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { hasTool, makeTestContent, until, type TestContent } from "./fixtures";

const haveClients = hasTool("ffprobe") && hasTool("ffmpeg");
const READ_SECONDS = 3;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("real clients", { skip: haveClients ? false : "ffprobe/ffmpeg not installed (apt-get install ffmpeg): real-client tests skipped" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  const children = new Set<ChildProcess>();

  const run = (cmd: string, args: string[], timeoutMs = 30_000): Promise<RunResult> =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
      children.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("close", (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code, stdout, stderr });
      });
    });

  const ffprobe = (transport: "udp" | "tcp", url: string) =>
    run("ffprobe", [
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
    ]);

  before(async () => {
    content = await makeTestContent();
    server = await startServer({ port: 0, metrics: false, contentDir: content.dir, log: () => {} });
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await server?.close();
    content?.remove();
  });

  for (const transport of ["udp", "tcp"] as const) {
    it(`ffprobe plays the stream over ${transport.toUpperCase()} with decoded frames and no missed packets`, async () => {
      const r = await ffprobe(transport, server.url("clip"));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /codec_name=h264/);
      const packets = Number(/nb_read_packets=(\d+)/.exec(r.stdout)?.[1] ?? 0);
      // 25 fps for READ_SECONDS; not a speed assertion, just "several seconds of frames"
      assert.ok(packets >= 25 * (READ_SECONDS - 1), `nb_read_packets=${packets}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /missed \d+ packets/);
      await until(() => server.sessions.size === 0, 5000, "ffprobe's TEARDOWN");
    });
  }

  for (const transport of ["udp", "tcp"] as const) {
    it(`ffmpeg decodes the whole clip over ${transport.toUpperCase()}, reports reception by RTCP (UDP), and stops at the BYE`, async () => {
      // ffmpeg sends its first RR after ~280 kB (its RTCP bandwidth share), i.e. well inside the 6 s clip
      let reports = 0;
      const watch = setInterval(() => {
        for (const s of server.sessions.all()) reports = Math.max(reports, s.stats.receiverReports);
      }, 50);
      const r = await run("ffmpeg", [
        "-nostdin",
        "-v",
        "warning",
        "-rtsp_transport",
        transport,
        "-timeout",
        "5000000",
        "-i",
        server.url("clip"),
        "-t",
        "10",
        "-f",
        "null",
        "-",
        "-progress",
        "pipe:1",
      ]).finally(() => clearInterval(watch));
      assert.equal(r.code, 0, r.stderr);
      const frames = Number([...r.stdout.matchAll(/^frame=(\d+)$/gm)].pop()?.[1] ?? 0);
      assert.ok(frames >= 25 * Math.floor(content.clip.durationSec) - 2, `frames=${frames}`);
      assert.doesNotMatch(r.stderr, /missed \d+ packets/);
      // ffmpeg's RTSP demuxer sends RRs only on UDP (ff_rtsp_fetch_packet: no RR for lower transport TCP);
      // interleaved RR parsing is covered by the conformance test with a crafted RR
      if (transport === "udp") assert.ok(reports > 0, "ffmpeg's RTCP receiver reports reached the session table");
    });
  }

  it("ffprobe authenticates with Digest", async () => {
    const secured = await startServer({ port: 0, metrics: false, contentDir: content.dir, auth: { users: { alice: "s3cret" } }, log: () => {} });
    try {
      const url = secured.url("clip").replace("rtsp://", "rtsp://alice:s3cret@");
      const ok = await ffprobe("tcp", url);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /codec_name=h264/);
      const bad = await ffprobe("tcp", url.replace("s3cret", "wrong"));
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /401/);
    } finally {
      await secured.close();
    }
  });
});
