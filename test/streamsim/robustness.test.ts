// Robustness: malformed input never takes the server down, vanished clients leave nothing
// behind, and a backend outage is reported (503) and recovered from.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConventionalDelivery } from "../../src/streamsim/delivery/conventional";
import { startServer, type StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { fuzzCorpus, type FuzzCase } from "./fuzz-corpus";
import { hasTool, makeTestContent, metricsText, metricValue, until, type TestContent } from "./fixtures";
import { RtspTestClient, type TestResponse } from "./rtsp-test-client";
import { UdpClient } from "./udp-client";

const haveFfmpeg = hasTool("ffmpeg");

describe("robustness", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  let backend: ConventionalDelivery;
  const clients: RtspTestClient[] = [];
  const udps: UdpClient[] = [];
  const client = async () => {
    const c = await RtspTestClient.connect(server.port);
    clients.push(c);
    return c;
  };

  before(async () => {
    content = await makeTestContent();
    backend = await ConventionalDelivery.open();
    server = await startServer({ port: 0, metrics: { port: 0 }, contentDir: content.dir, backend, log: () => {} });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const u of udps) u.close();
    await server?.close();
    await backend?.close();
    content?.remove();
  });

  it("answers each of 600 malformed requests with an error and stays up", async () => {
    const url = server.url("clip");
    const keeper = await client();
    assert.equal((await keeper.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
    const corpus = fuzzCorpus({ url, track: `${url}/trackID=0`, session: keeper.session! });
    assert.ok(corpus.length >= 500, `${corpus.length} cases`);

    const failures: string[] = [];
    const runCase = async (fc: FuzzCase, i: number) => {
      const c = await RtspTestClient.connect(server.port);
      let got: TestResponse[] = [];
      try {
        c.send(fc.bytes);
        c.socket.end(); // half-close: anything left unframed is answered, then the server closes
        got = await c.drainUntilClose(5000);
      } catch (err) {
        failures.push(`#${i} ${fc.kind}: ${err instanceof Error ? err.message : String(err)}`);
        return;
      } finally {
        c.close();
      }
      if (got.length === 0) failures.push(`#${i} ${fc.kind}: no response`);
      const ok = got.filter((r) => r.status < 400);
      if (ok.length > 0) failures.push(`#${i} ${fc.kind}: got ${ok[0]!.status} for ${JSON.stringify(fc.bytes.subarray(0, 120).toString("latin1"))}`);
    };
    // a few connections at a time
    for (let i = 0; i < corpus.length; i += 8) await Promise.all(corpus.slice(i, i + 8).map((fc, k) => runCase(fc, i + k)));
    // still serving, the keeper's session intact, and no stray sessions made by the corpus
    const after = await client();
    assert.equal((await after.request("DESCRIBE", url)).status, 200);
    assert.equal((await keeper.request("GET_PARAMETER", url)).status, 200);
    const stray = server.sessions.size - 1;
    assert.equal((await keeper.request("TEARDOWN", url)).status, 200);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failures`);
    assert.equal(stray, 0, "sessions created by malformed requests");
    const m = await metricsText(server.metricsPort!);
    assert.ok(metricValue(m, "rtsp_responses_total", '{code="400"}')! > 200);
  });

  it("tears down a UDP session whose client vanishes mid-stream, and stops its flow", async () => {
    const u = await UdpClient.open();
    udps.push(u);
    const c = await client();
    const url = server.url("clip");
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: u.transport })).status, 200);
    const id = c.session!;
    assert.equal((await c.request("PLAY", url)).status, 200);
    await until(() => u.rtp.length >= 10, 5000, "RTP flowing");
    c.socket.resetAndDestroy(); // vanish: RST, no TEARDOWN
    await until(() => server.sessions.get(id) === undefined, 3000, "session torn down");
    assert.equal(backend.activeStreams, 0);
    await new Promise((r) => setTimeout(r, 100));
    const seen = u.rtp.length;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(u.rtp.length, seen, "no RTP after the session is gone");
  });

  it("tears down an interleaved session whose client vanishes mid-stream", async () => {
    const c = await client();
    const url = server.url("clip");
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
    const id = c.session!;
    assert.equal((await c.request("PLAY", url)).status, 200);
    await c.waitFor(() => c.frames.length >= 10, 5000, "interleaved RTP");
    c.socket.destroy();
    await until(() => server.sessions.get(id) === undefined && backend.activeStreams === 0, 3000, "session torn down");
    assert.equal(metricValue(await metricsText(server.metricsPort!), "rtsp_admission_reserved_bps"), 0, "bandwidth released");
  });

  it("answers 503 with Retry-After while the backend is down, and serves again when it is back", async () => {
    const c = await client();
    const url = server.url("clip");
    backend.setAvailable(false);
    try {
      const d = await c.request("DESCRIBE", url);
      assert.equal(d.status, 503);
      assert.equal(d.headers.get("retry-after"), "10");
      assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 503);
      assert.equal((await c.request("OPTIONS", url)).status, 200, "OPTIONS does not need the backend");
      assert.equal(metricValue(await metricsText(server.metricsPort!), "rtsp_backend_up", '{kind="conventional"}'), 0);
    } finally {
      backend.setAvailable(true);
    }
    assert.equal((await c.request("DESCRIBE", url)).status, 200);
    assert.equal((await c.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" })).status, 200);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await c.waitFor(() => c.frames.length > 0, 5000, "RTP after recovery");
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
  });
});
