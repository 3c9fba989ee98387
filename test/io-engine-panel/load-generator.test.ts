// The load generator's clients against a real stream server on 127.0.0.1 (conventional
// delivery): they SETUP and PLAY over UDP and TCP, receive every packet, report it over RTCP
// (the server's session table shows their loss), and leave no session behind when stopped.
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { LoadGenerator } from "../../src/loadgen/load-generator";
import { startServer, type StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { hasTool, makeTestContent, until, type TestContent } from "../streamsim/fixtures";

const skip = hasTool("ffmpeg") ? false : "ffmpeg is not installed (it makes the sample clip)";
let content: TestContent;
let server: StreamServerHandle;

before(async () => {
  if (skip) return;
  content = await makeTestContent();
  server = await startServer({ port: 0, metrics: false, contentDir: content.dir, log: () => {} });
});

after(async () => {
  await server?.close();
  content?.remove();
});

test("3 UDP clients play, receive without loss, report over RTCP, and TEARDOWN", { skip, timeout: 20_000 }, async () => {
  const gen = new LoadGenerator({ url: server.url("clip"), clients: 3, seconds: 2.5, transport: "udp", reportIntervalMs: 400 });
  await until(() => server.sessions.size === 3 && server.sessions.all().every((s) => s.state === "playing"), 5000, "3 playing sessions");
  await until(() => server.sessions.all().every((s) => s.stats.receiverReports > 0), 5000, "receiver reports from every client");
  for (const s of server.sessions.all()) {
    assert.equal(s.transport.lower, "UDP");
    assert.equal(s.stats.packetsLost, 0, `session ${s.id} reports no loss`);
  }
  const totals = await gen.finished;
  assert.equal(totals.running, false);
  assert.deepEqual(totals.errors, []);
  assert.equal(totals.perClient.length, 3);
  for (const c of totals.perClient) {
    assert.equal(c.state, "stopped");
    assert.ok(c.packets > 50, `each client received packets (${c.packets})`);
    assert.equal(c.lost, 0);
  }
  assert.equal(
    totals.packets,
    totals.perClient.reduce((n, c) => n + c.packets, 0),
  );
  await until(() => server.sessions.size === 0, 3000, "TEARDOWN to remove every session");
});

test("TCP-interleaved clients receive $-framed RTP in the RTSP connection", { skip, timeout: 20_000 }, async () => {
  const gen = new LoadGenerator({ url: server.url("clip"), clients: 2, seconds: 1.5, transport: "tcp" });
  await until(() => server.sessions.size === 2, 5000, "2 sessions");
  assert.ok(server.sessions.all().every((s) => s.transport.lower === "TCP"));
  const totals = await gen.finished;
  assert.deepEqual(totals.errors, []);
  for (const c of totals.perClient) assert.ok(c.packets > 30 && c.lost === 0, JSON.stringify(c));
  await until(() => server.sessions.size === 0, 3000, "no session left");
});

test("a client the server refuses says why (404 for unknown content), without taking the others down", { skip, timeout: 10_000 }, async () => {
  const gen = new LoadGenerator({ url: server.url("no-such-clip"), clients: 2, seconds: 1, transport: "udp" });
  const totals = await gen.finished;
  assert.equal(totals.playing, 0);
  assert.equal(totals.errors.length, 1);
  assert.match(totals.errors[0]!, /^2 clients: DESCRIBE: 404/);
  assert.ok(totals.perClient.every((c) => c.state === "failed"));
});

test("a client plays the content again when the server says BYE at its end", { skip, timeout: 30_000 }, async () => {
  const { makeSampleClip } = await import("../../src/streamsim/content/sample-clip");
  const { ingest } = await import("../../src/streamsim/content/ingest");
  const short = await makeSampleClip({ durationSec: 2 });
  await ingest(short.mediaPath, content.dir, { name: "short" });
  const gen = new LoadGenerator({ url: server.url("short"), clients: 1, seconds: 4.5, transport: "udp" });
  await until(() => gen.clients[0]!.replays >= 1, 4000, "a replay after the BYE");
  const before = gen.clients[0]!.rx.packets;
  await until(() => gen.clients[0]!.rx.packets > before + 20, 2000, "packets of the second play");
  const totals = await gen.stop();
  assert.deepEqual(totals.errors, []);
  assert.equal(totals.perClient[0]!.lost, 0, "the sequence continues across plays");
});
