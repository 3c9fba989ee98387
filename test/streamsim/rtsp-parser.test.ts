// The RTSP parser, header parsers and authenticator on their own.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { RtspAuthenticator } from "../../src/streamsim/rtsp/auth";
import { parseCSeq, parseRange, parseSession, parseTransport } from "../../src/streamsim/rtsp/headers";
import { RtspRequestParser, type ParsedItem } from "../../src/streamsim/rtsp/parser";

const OPTIONS = "OPTIONS rtsp://127.0.0.1/clip RTSP/1.0\r\nCSeq: 1\r\n\r\n";
const SETPARAM = "SET_PARAMETER rtsp://127.0.0.1/clip RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nhello";

const kinds = (items: ParsedItem[]) => items.map((i) => (i.kind === "error" ? `error:${i.error.status}${i.fatal ? "!" : ""}` : i.kind));

describe("RtspRequestParser", () => {
  it("parses pipelined requests, bodies and interleaved frames from one chunk", () => {
    const rr = Buffer.from([0x24, 1, 0, 3, 9, 9, 9]);
    const items = new RtspRequestParser().push(Buffer.concat([Buffer.from(OPTIONS), rr, Buffer.from(SETPARAM), Buffer.from(OPTIONS)]));
    assert.deepEqual(kinds(items), ["request", "interleaved", "request", "request"]);
    const body = items[2]!.kind === "request" ? items[2]!.request.body.toString() : "";
    assert.equal(body, "hello");
    assert.equal(items[1]!.kind === "interleaved" && items[1]!.channel, 1);
  });

  it("parses the same input fed one byte at a time", () => {
    const p = new RtspRequestParser();
    const all = Buffer.from(OPTIONS + SETPARAM);
    const items: ParsedItem[] = [];
    for (const b of all) items.push(...p.push(Buffer.from([b])));
    assert.deepEqual(kinds(items), ["request", "request"]);
  });

  it("tolerates bare LF line ends and leading blank lines", () => {
    const items = new RtspRequestParser().push(Buffer.from("\r\n\r\nOPTIONS * RTSP/1.0\nCSeq: 3\n\n"));
    assert.deepEqual(kinds(items), ["request"]);
  });

  it("answers framable garbage and keeps going; gives up on unframable input", () => {
    const p = new RtspRequestParser({ maxHeaderBytes: 256, maxHeaders: 4, maxBodyBytes: 16, maxUriLength: 64 });
    const items = p.push(
      Buffer.from(
        "BAD\r\nCSeq: 1\r\n\r\n" +
          "OPTIONS * RTSP/2.0\r\nCSeq: 2\r\n\r\n" +
          `OPTIONS rtsp://h/${"x".repeat(80)} RTSP/1.0\r\nCSeq: 3\r\n\r\n` +
          "OPTIONS * RTSP/1.0\r\nCSeq: 4\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n" +
          "OPTIONS * RTSP/1.0\r\nCSeq: 5\r\nX: a\x00b\r\n\r\n" +
          OPTIONS +
          "SET_PARAMETER * RTSP/1.0\r\nCSeq: 6\r\nContent-Length: 99\r\n\r\n",
      ),
    );
    assert.deepEqual(kinds(items), ["error:400", "error:505", "error:414", "error:400", "error:400", "request", "error:413!"]);
    assert.deepEqual(
      items.slice(0, 5).map((i) => (i.kind === "error" ? i.cseq : "")),
      ["1", "2", "3", "4", "5"],
    );
    assert.deepEqual(p.push(Buffer.from(OPTIONS)), [], "nothing after a fatal error");
  });

  it("reports oversized header sections and input cut off at end of stream", () => {
    const p = new RtspRequestParser({ maxHeaderBytes: 64, maxHeaders: 64, maxBodyBytes: 16, maxUriLength: 64 });
    assert.deepEqual(kinds(p.push(Buffer.from(`OPTIONS * RTSP/1.0\r\nX: ${"y".repeat(100)}`))), ["error:400!"]);
    const q = new RtspRequestParser();
    assert.deepEqual(kinds(q.push(Buffer.from("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n"))), []);
    assert.deepEqual(kinds(q.end()), ["error:400!"]);
  });
});

describe("header parsers", () => {
  it("reads Transport for UDP and TCP, in preference order", () => {
    const [a, b] = parseTransport("RTP/AVP/TCP;unicast;interleaved=2-3, RTP/AVP;unicast;client_port=5000-5001");
    assert.equal(a!.lower, "TCP");
    assert.deepEqual(a!.interleaved, [2, 3]);
    assert.equal(b!.lower, "UDP");
    assert.deepEqual(b!.clientPorts, [5000, 5001]);
    assert.ok(b!.unicast);
    assert.throws(() => parseTransport("RTP/AVP;client_port=99999"));
    assert.throws(() => parseTransport("RTP/AVP/TCP;interleaved=300-301"));
  });

  it("reads Session with timeout and CSeq", () => {
    assert.deepEqual(parseSession("ABC123;timeout=30"), { id: "ABC123", timeoutSec: 30 });
    assert.equal(parseCSeq(" 42 "), 42);
    for (const bad of ["", "abc", "-1", "1.5", "99999999999"]) assert.throws(() => parseCSeq(bad), bad);
  });

  it("reads npt ranges including now- and open ends", () => {
    assert.deepEqual(parseRange("npt=now-"), { start: "now" });
    assert.deepEqual(parseRange("npt=10-"), { start: 10 });
    assert.deepEqual(parseRange("npt=1.5-4"), { start: 1.5, end: 4 });
    assert.deepEqual(parseRange("npt=0:01:02.5-"), { start: 62.5 });
    assert.throws(() => parseRange("npt=5-3"));
    assert.throws(() => parseRange("npt=abc-"));
    assert.throws(() => parseRange("smpte=0:00:00-"), { name: "UnsupportedRangeUnitError" });
  });
});

describe("RtspAuthenticator", () => {
  const md5 = (s: string) => createHash("md5").update(s).digest("hex");
  it("accepts a correct Digest response and flags an expired nonce as stale", () => {
    let now = 1_000_000;
    const auth = new RtspAuthenticator({ users: { alice: "secret" }, realm: "r", nonceTtlSec: 10 }, () => now);
    const first = auth.check("DESCRIBE", "rtsp://h/clip", undefined);
    assert.equal(first.ok, false);
    const challenge = first.ok ? "" : first.challenges[0]!;
    const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
    const answer = (pass: string) => {
      const resp = md5(`${md5(`alice:r:${pass}`)}:${nonce}:${md5("DESCRIBE:rtsp://h/clip")}`);
      return `Digest username="alice", realm="r", nonce="${nonce}", uri="rtsp://h/clip", response="${resp}"`;
    };
    assert.deepEqual(auth.check("DESCRIBE", "rtsp://h/clip", answer("secret")), { ok: true, user: "alice" });
    assert.equal(auth.check("DESCRIBE", "rtsp://h/clip", answer("wrong")).ok, false);
    assert.equal(auth.check("DESCRIBE", "rtsp://h/other", answer("secret")).ok, false, "uri must match");
    now += 11_000;
    const stale = auth.check("DESCRIBE", "rtsp://h/clip", answer("secret"));
    assert.ok(!stale.ok && stale.challenges[0]!.includes("stale=TRUE"));
  });

  it("accepts Basic only when offered", () => {
    const basic = `Basic ${Buffer.from("bob:pw").toString("base64")}`;
    assert.equal(new RtspAuthenticator({ users: { bob: "pw" } }).check("PLAY", "u", basic).ok, false);
    assert.equal(new RtspAuthenticator({ users: { bob: "pw" }, schemes: ["basic"] }).check("PLAY", "u", basic).ok, true);
  });
});
