// `lvmm serve`, what `npm start` runs, as a user meets it: it boots the I/O engine, serves a
// stream to a real client (ffprobe over RTSP/TCP), and runs the engine under a flight recorder
// whose file, written on Ctrl-C, replays verified, with the linkage commands on its timeline.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "../helpers/guest";
import { hasTool, makeTestContent, type TestContent } from "../streamsim/fixtures";

const haveClients = hasTool("ffprobe") && hasTool("ffmpeg");

function lvmm(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("lvmm serve (npm start)", { skip: haveClients ? false : "ffprobe/ffmpeg not installed (apt-get install ffmpeg): skipped" }, () => {
  let content: TestContent;
  let dir: string;
  before(async () => {
    content = await makeTestContent();
    dir = mkdtempSync(join(tmpdir(), "lvmm-serve-"));
  });
  after(() => {
    content?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves a stream from the I/O engine and, stopped with Ctrl-C, leaves a recording that replays verified", async () => {
    const recordDir = join(dir, "recordings");
    const server = spawn(process.execPath, [CLI, "serve", "--port", "0", "--metrics-port", "0", "--content", content.dir, "--record-dir", recordDir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    server.stdout.on("data", (d: Buffer) => (out += d.toString()));
    server.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on("close", resolve));
    const killer = setTimeout(() => server.kill("SIGKILL"), 90_000);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const m = /RTSP on (rtsp:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) {
            clearInterval(poll);
            resolve(m[1]!);
          } else if (server.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`serve exited early: ${out}${err}`));
          }
        }, 50);
      });
      assert.match(out, /recorded: the last 60 s go to .*engine-<boot id>\.lvmmrec when it stops/);
      const probe = spawnSync(
        "ffprobe",
        [
          "-v",
          "warning",
          "-rtsp_transport",
          "tcp",
          "-read_intervals",
          "%+2",
          "-count_packets",
          "-select_streams",
          "v:0",
          "-show_entries",
          "stream=codec_name,nb_read_packets",
          "-of",
          "default=nw=1",
          `${url}clip`,
        ],
        { encoding: "utf8", timeout: 30_000 },
      );
      assert.equal(probe.status, 0, probe.stderr);
      assert.match(probe.stdout, /codec_name=h264/);
      assert.ok(Number(/nb_read_packets=(\d+)/.exec(probe.stdout)?.[1] ?? 0) >= 25, probe.stdout);
      server.kill("SIGINT");
      assert.equal(await exited, 0, out + err);
    } finally {
      clearTimeout(killer);
      server.kill("SIGKILL");
    }

    const saved = /recorded the I\/O engine \(boot (\d+)\): (\S+), [\d.]+ virtual s, (\d+) events, (\d+) checkpoints; check it with: lvmm replay \S+ --verify/.exec(out);
    assert.ok(saved, out);
    const file = saved[2]!;
    assert.deepEqual(readdirSync(recordDir), [`engine-${saved[1]}.lvmmrec`], "only the merged file is left (no segments)");
    const replay = lvmm("replay", file, "--verify");
    assert.equal(replay.code, 0, replay.stdout + replay.stderr);
    assert.match(replay.stdout, /^verified \d+ events, \d+ checkpoints$/m);

    const events = lvmm("events", file);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^# disk \d+ bytes sha256 [0-9a-f]{64} \(embedded\)$/m);
    assert.match(events.stdout, /^# scenario \{"serve":\{"bootId":\d+,"paced":true\}/m);
    for (const command of ["START", "STOP"]) assert.match(events.stdout, new RegExp(`control +\\{"linkage":"${command}",`), `the ${command} command is on the timeline`);
    assert.match(events.stdout, /tx-dma .* IPv4 10\.0\.2\.15:\d+ > 10\.0\.2\.2:\d+ UDP/, "the media the engine sent");
    assert.match(events.stdout, /end +stopped$/m);
  });

  it("--no-record serves unrecorded; recording options without recording are refused", () => {
    const r = lvmm("serve", "--no-record", "--record-window", "30");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--no-record turns recording off: drop --record-dir and --record-window/);
    const c = lvmm("serve", "--arch", "conventional", "--record-dir", dir);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--arch conventional has no I\/O engine to record/);
  });
});
