// RTSP 1.0 conformance of the server: every method and every status code it documents.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse as parseSdp } from "sdp-transform";
import { ConventionalDelivery } from "../../src/streamsim/delivery/conventional";
import { startServer, type StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { hasTool, makeTestContent, metricsText, metricValue, until, type TestContent } from "./fixtures";
import { RtspTestClient } from "./rtsp-test-client";
import { receiverReport, UdpClient } from "./udp-client";

const haveFfmpeg = hasTool("ffmpeg");

describe("RTSP conformance", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  const clients: RtspTestClient[] = [];
  const udps: UdpClient[] = [];
  const client = async (srv = server) => {
    const c = await RtspTestClient.connect(srv.port);
    clients.push(c);
    return c;
  };
  const udp = async () => {
    const u = await UdpClient.open();
    udps.push(u);
    return u;
  };
  let url: string;
  let track: string;

  before(async () => {
    content = await makeTestContent();
    server = await startServer({ port: 0, metrics: { port: 0 }, contentDir: content.dir, log: () => {} });
    url = server.url("clip");
    track = `${url}/trackID=0`;
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const u of udps) u.close();
    await server?.close();
    content?.remove();
  });

  it("OPTIONS lists the methods and echoes CSeq", async () => {
    const c = await client();
    const r = await c.request("OPTIONS", url);
    assert.equal(r.status, 200);
    for (const m of ["DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"]) assert.match(r.headers.get("public")!, new RegExp(m));
  });

  it("DESCRIBE returns SDP with control and range; 404 for unknown content", async () => {
    const c = await client();
    const r = await c.request("DESCRIBE", url, { Accept: "application/sdp" });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/sdp");
    assert.equal(r.headers.get("content-base"), `${url}/`);
    const sdp = parseSdp(r.body);
    assert.equal(sdp.control, "*");
    assert.match(r.body, new RegExp(`a=range:npt=0-${content.clip.durationSec.toFixed(3)}`));
    assert.equal(sdp.media[0]!.control, "trackID=0");
    assert.deepEqual(sdp.media[0]!.rtp[0], { payload: 33, codec: "MP2T", rate: 90000 });
    assert.equal((await c.request("DESCRIBE", server.url("nosuch"))).status, 404);
    assert.equal((await c.request("DESCRIBE", `${server.url("clip")}.ts`)).status, 200, "the .ts name works too");
  });

  it("SETUP over UDP, PLAY delivers RTP matching RTP-Info, PAUSE/PLAY resume, TEARDOWN", async () => {
    const c = await client();
    const u = await udp();
    const setup = await c.request("SETUP", track, { Transport: u.transport });
    assert.equal(setup.status, 200);
    assert.match(setup.headers.get("session")!, /^[0-9A-F]{16};timeout=60$/);
    const t = setup.headers.get("transport")!;
    assert.match(t, new RegExp(`client_port=${u.ports[0]}-${u.ports[1]}`));
    const [sp] = /server_port=(\d+)-(\d+)/.exec(t)!.slice(1).map(Number);
    assert.equal(sp, server.backend.udpServerPorts()![0]);
    const ssrc = parseInt(/ssrc=([0-9A-F]+)/.exec(t)![1]!, 16);

    assert.equal((await c.request("PAUSE", url)).status, 455, "PAUSE before PLAY is not valid in Ready");
    const play = await c.request("PLAY", url, { Range: "npt=0-" });
    assert.equal(play.status, 200);
    assert.equal(play.headers.get("range"), `npt=0.000-${content.clip.durationSec.toFixed(3)}`);
    const info = /url=([^;]+);seq=(\d+);rtptime=(\d+)/.exec(play.headers.get("rtp-info")!)!;
    assert.equal(info[1], track);
    await until(() => u.rtp.length >= 5, 5000, "RTP packets");
    assert.equal(u.rtp[0]!.seq, Number(info[2]));
    assert.equal(u.rtp[0]!.timestamp, Number(info[3]));
    assert.equal(u.rtp[0]!.ssrc, ssrc);
    assert.equal(u.rtp[0]!.payloadType, 33);
    for (let i = 1; i < u.rtp.length; i++) assert.equal(u.rtp[i]!.seq, (u.rtp[i - 1]!.seq + 1) & 0xffff, "no gaps on loopback");

    const pause = await c.request("PAUSE", url);
    assert.equal(pause.status, 200);
    assert.equal((await c.request("PAUSE", url)).status, 455, "PAUSE while paused");
    await new Promise((r) => setTimeout(r, 150));
    const pausedAt = u.rtp.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(u.rtp.length, pausedAt, "nothing is sent while paused");

    const resume = await c.request("PLAY", url, { Range: "npt=now-" });
    assert.equal(resume.status, 200);
    const rseq = Number(/seq=(\d+)/.exec(resume.headers.get("rtp-info")!)![1]);
    assert.equal(rseq, (u.rtp[u.rtp.length - 1]!.seq + 1) & 0xffff, "resume continues the sequence");
    await until(() => u.rtp.length > pausedAt, 5000, "RTP after resume");

    // seek: npt=3- starts at the random-access point at or before 3 s
    const seek = await c.request("PLAY", url, { Range: "npt=3-" });
    assert.equal(seek.status, 200);
    const start = Number(/^npt=([\d.]+)-/.exec(seek.headers.get("range")!)![1]);
    assert.ok(start <= 3 && start > 1.9, `seek started at ${start}`);

    const session = c.session!;
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
    assert.equal(server.sessions.get(session), undefined);
    assert.equal((await c.request("PLAY", url)).status, 454, "the session is gone");
  });

  it("SETUP over TCP interleaves RTP in the connection and reads RTCP RR from it", async () => {
    const c = await client();
    const setup = await c.request("SETUP", track, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" });
    assert.equal(setup.status, 200);
    assert.match(setup.headers.get("transport")!, /RTP\/AVP\/TCP;unicast;interleaved=0-1/);
    const ssrc = parseInt(/ssrc=([0-9A-F]+)/.exec(setup.headers.get("transport")!)![1]!, 16);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await c.waitFor(() => c.frames.filter((f) => f.channel === 0).length >= 5, 5000, "interleaved RTP");
    const rtp = c.frames.find((f) => f.channel === 0)!.data;
    assert.equal(rtp.readUInt32BE(8), ssrc);
    // the client reports loss and jitter on channel 1
    const rr = receiverReport(0x1234, ssrc, 7, 900);
    c.send(Buffer.concat([Buffer.from([0x24, 1, 0, rr.length]), rr]));
    const s = server.sessions.get(c.session!)!;
    await until(() => s.stats.receiverReports > 0, 3000, "RR applied");
    assert.equal(s.stats.packetsLost, 7);
    assert.equal(s.stats.jitterSec, 0.01);
    assert.equal((await c.request("GET_PARAMETER", url)).status, 200, "requests still work between frames");
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
  });

  it("reads RTCP RR sent to the server's UDP RTCP port", async () => {
    const c = await client();
    const u = await udp();
    const setup = await c.request("SETUP", track, { Transport: u.transport });
    const ssrc = parseInt(/ssrc=([0-9A-F]+)/.exec(setup.headers.get("transport")!)![1]!, 16);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await u.sendRtcp(receiverReport(0x99, ssrc, 3, 450), server.backend.udpServerPorts()![1]);
    const s = server.sessions.get(c.session!)!;
    await until(() => s.stats.receiverReports > 0, 3000, "RR applied");
    assert.equal(s.stats.packetsLost, 3);
    const m = await metricsText(server.metricsPort!);
    assert.equal(metricValue(m, "rtsp_sessions_rtp_packets_lost", `{id="${s.id}"}`), 3);
    await until(() => s.stats.rtpPackets > 0, 3000, "stats event");
    const m2 = await metricsText(server.metricsPort!);
    assert.ok(metricValue(m2, "rtsp_sessions_bytes_sent", `{id="${s.id}"}`)! > 0);
    assert.ok(metricValue(m2, "rtsp_sessions_rtp_packets_sent", `{id="${s.id}"}`)! > 0);
    assert.match(m2, new RegExp(`rtsp_sessions\\{id="${s.id}",remoteAddr="127.0.0.1",content="clip",transport="UDP",state="playing"\\} 1`));
    assert.match(m2, /rtsp_delivery_lateness_seconds_bucket\{le="\+Inf"\} \d+/);
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
  });

  it("sends RTCP sender reports whose NTP/RTP mapping matches the RTP stream", async () => {
    const c = await client();
    const u = await udp();
    const setup = await c.request("SETUP", track, { Transport: u.transport });
    const ssrc = parseInt(/ssrc=([0-9A-F]+)/.exec(setup.headers.get("transport")!)![1]!, 16);
    assert.equal((await c.request("PLAY", url)).status, 200);
    await until(() => u.rtcp.length > 0, 5000, "an RTCP sender report");
    const sr = u.rtcp[0]!;
    const arrived = Date.now();
    assert.equal(sr[1], 200, "SR first in the compound packet (RFC 3550 §6.1)");
    assert.equal(sr.readUInt32BE(4), ssrc);
    const ntpMs = (sr.readUInt32BE(8) - 2_208_988_800) * 1000 + (sr.readUInt32BE(12) / 2 ** 32) * 1000;
    assert.ok(Math.abs(ntpMs - arrived) < 5000, "NTP time is the wall clock");
    const srRtp = sr.readUInt32BE(16);
    // the SR's RTP time falls among the timestamps of the packets sent around it (1 s slack)
    const before = u.rtp.filter((p) => p.at <= arrived);
    const last = before[before.length - 1]!;
    const delta = ((srRtp - last.timestamp) | 0) / 90_000;
    assert.ok(delta > -1 && delta < 1, `SR rtptime is ${delta.toFixed(3)} s from the last RTP packet`);
    assert.ok(sr.readUInt32BE(20) > 0, "sender packet count");
    const sdesAt = (sr.readUInt16BE(2) + 1) * 4;
    assert.equal(sr[sdesAt + 1], 202, "SDES follows");
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
  });

  it("refuses what it does not support with the right codes", async () => {
    const c = await client();
    const u = await udp();
    for (const t of [
      "RTP/AVP;multicast",
      "RTP/SAVP;unicast;client_port=5000-5001",
      "RAW/RAW/UDP;unicast;client_port=5000-5001",
      "RTP/AVP;unicast",
      "RTP/AVP;unicast;client_port=5000-5001;mode=record",
    ])
      assert.equal((await c.request("SETUP", track, { Transport: t })).status, 461, t);
    assert.equal((await c.request("SETUP", track, { Transport: "RTP/AVP;unicast;client_port=x" })).status, 400);
    assert.equal((await c.request("SETUP", track)).status, 400, "no Transport");
    assert.equal((await c.request("SETUP", url, { Transport: u.transport })).status, 459, "SETUP on the aggregate URL");
    assert.equal((await c.request("SETUP", `${server.url("nosuch")}/trackID=0`, { Transport: u.transport })).status, 404);
    assert.equal((await c.request("SETUP", track, { Transport: u.transport })).status, 200);
    assert.equal((await c.request("SETUP", `${server.url("clip2")}/trackID=0`, { Transport: u.transport })).status, 459, "second presentation in one session");

    assert.equal((await c.request("PLAY", url, { Scale: "2" })).status, 456);
    assert.equal((await c.request("PLAY", url, { Speed: "0.5" })).status, 456);
    assert.equal((await c.request("PLAY", url, { Range: "npt=60-" })).status, 457);
    assert.equal((await c.request("PLAY", url, { Range: "smpte=0:00:10-" })).status, 501);
    assert.equal((await c.request("PLAY", url, { Range: "npt=x-" })).status, 400);
    assert.equal((await c.request("PLAY", url, { Session: "DEADBEEF" })).status, 454);
    assert.equal((await c.request("PLAY", server.url("clip2"))).status, 454, "session is for another presentation");
    const bare = await client();
    assert.equal((await bare.request("PLAY", url)).status, 455, "PLAY with no session (Init state)");
    assert.equal((await bare.request("TEARDOWN", url)).status, 454);

    assert.equal((await c.request("SET_PARAMETER", url, { "Content-Type": "text/parameters" }, "volume: 3\r\n")).status, 451);
    assert.equal((await c.request("SET_PARAMETER", url)).status, 200, "empty SET_PARAMETER is a keep-alive");
    const gp = await c.request("GET_PARAMETER", url, { "Content-Type": "text/parameters" }, "position\r\n");
    assert.equal(gp.status, 200);
    assert.match(gp.body, /^position: \d+\.\d{3}/);
    assert.equal((await c.request("GET_PARAMETER", url, {}, "bogus\r\n")).status, 451);
    assert.equal((await c.request("FLY", url)).status, 501);
    const rec = await c.request("RECORD", url);
    assert.equal(rec.status, 405);
    assert.match(rec.headers.get("allow")!, /PLAY/);
    assert.equal((await c.request("OPTIONS", url, { Require: "implicit-play" })).status, 551);

    c.send("OPTIONS * RTSP/2.0\r\nCSeq: 77\r\n\r\n");
    const v = await c.next();
    assert.equal(v.status, 505);
    assert.equal(v.headers.get("cseq"), "77");
    c.send("OPTIONS * RTSP/1.0\r\n\r\n");
    assert.equal((await c.next()).status, 400, "missing CSeq");
    assert.equal((await c.request("TEARDOWN", url)).status, 200);
  });

  it("answers pipelined requests in order, and a request sent byte by byte", async () => {
    const c = await client();
    c.send(
      `OPTIONS ${url} RTSP/1.0\r\nCSeq: 1\r\n\r\nDESCRIBE ${url} RTSP/1.0\r\nCSeq: 2\r\n\r\n` +
        `SET_PARAMETER ${url} RTSP/1.0\r\nCSeq: 3\r\nContent-Length: 0\r\n\r\nOPTIONS ${url} RTSP/1.0\r\nCSeq: 4\r\n\r\n`,
    );
    const got = [await c.next(), await c.next(), await c.next(), await c.next()];
    assert.deepEqual(
      got.map((r) => [r.headers.get("cseq"), r.status]),
      [
        ["1", 200],
        ["2", 200],
        ["3", 200],
        ["4", 200],
      ],
    );
    assert.match(got[1]!.body, /m=video 0 RTP\/AVP 33/);

    const req = Buffer.from(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 9\r\nAccept: application/sdp\r\n\r\n`);
    for (const b of req) {
      c.send(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const r = await c.next();
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cseq"), "9");
  });

  it("admission control answers 453 when the backend's capacity is reserved", async () => {
    const backend = await ConventionalDelivery.open({ capacityBps: Math.round(content.clip.reserveBps * 1.5) });
    const small = await startServer({ port: 0, metrics: { port: 0 }, contentDir: content.dir, backend, log: () => {} });
    try {
      const u = await udp();
      const a = await client(small);
      const b = await client(small);
      const t = `${small.url("clip")}/trackID=0`;
      assert.equal((await a.request("SETUP", t, { Transport: u.transport })).status, 200);
      assert.equal((await b.request("SETUP", t, { Transport: u.transport })).status, 453);
      assert.equal(metricValue(await metricsText(small.metricsPort!), "rtsp_admission_rejected_total"), 1);
      assert.equal((await a.request("TEARDOWN", small.url("clip"))).status, 200);
      assert.equal((await b.request("SETUP", t, { Transport: u.transport })).status, 200, "capacity is released by TEARDOWN");
    } finally {
      await small.close();
      await backend.close();
    }
  });

  it("requires Digest or Basic credentials when configured (401 with WWW-Authenticate)", async () => {
    const secured = await startServer({ port: 0, metrics: false, contentDir: content.dir, auth: { users: { alice: "secret" }, schemes: ["digest", "basic"], realm: "test" }, log: () => {} });
    try {
      const c = await client(secured);
      const u = secured.url("clip");
      assert.equal((await c.request("OPTIONS", u)).status, 200, "OPTIONS is open");
      const denied = await c.request("DESCRIBE", u);
      assert.equal(denied.status, 401);
      const challenges = denied.headers.get("www-authenticate")!.split("\n");
      assert.match(challenges[0]!, /^Digest realm="test", nonce="[0-9a-f]+", algorithm=MD5$/);
      assert.equal(challenges[1], 'Basic realm="test"');
      const basic = (p: string) => `Basic ${Buffer.from(`alice:${p}`).toString("base64")}`;
      assert.equal((await c.request("DESCRIBE", u, { Authorization: basic("nope") })).status, 401);
      assert.equal((await c.request("DESCRIBE", u, { Authorization: basic("secret") })).status, 200);
    } finally {
      await secured.close();
    }
  });
});

describe("session timeout", { skip: haveFfmpeg ? false : "ffmpeg not installed" }, () => {
  let content: TestContent;
  let server: StreamServerHandle;
  let c: RtspTestClient | undefined;
  before(async () => {
    content = await makeTestContent();
    server = await startServer({ port: 0, metrics: false, contentDir: content.dir, sessionTimeoutSec: 1, log: () => {} });
  });
  after(async () => {
    c?.close();
    await server?.close();
    content?.remove();
  });

  it("keeps a session alive with GET_PARAMETER and tears it down when the client goes quiet", async () => {
    c = await RtspTestClient.connect(server.port);
    const url = server.url("clip");
    const setup = await c.request("SETUP", `${url}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" });
    assert.match(setup.headers.get("session")!, /;timeout=1$/);
    const id = c.session!;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const ka = await c.request("GET_PARAMETER", url);
      assert.equal(ka.status, 200, `keep-alive ${i}`);
      assert.match(ka.headers.get("session")!, new RegExp(`^${id};timeout=1$`));
    }
    assert.ok(server.sessions.get(id), "alive after 1.8 s of keep-alives");
    await until(() => server.sessions.get(id) === undefined, 5000, "session expiry");
    assert.equal((await c.request("PLAY", url)).status, 454);
  });
});
