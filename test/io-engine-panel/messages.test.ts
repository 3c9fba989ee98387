// The panel's message validation: what the (untrusted) webview may send is checked field by
// field with a reason when wrong; what the host sends is shape-checked in the webview.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { isHostToWebview, LOAD_LIMITS, parseWebviewMessage, type HostToWebview, type StatsSample } from "../../src/protocols/io-engine-panel-messages";

const err = (m: unknown) => {
  const r = parseWebviewMessage(m);
  assert.ok(r instanceof Error, `expected a rejection of ${JSON.stringify(m)}`);
  return r.message;
};

test("valid webview messages come back as typed values, extra fields dropped", () => {
  assert.deepEqual(parseWebviewMessage({ type: "ready" }), { type: "ready" });
  assert.deepEqual(parseWebviewMessage({ type: "stop", evil: "x" }), { type: "stop" });
  assert.deepEqual(parseWebviewMessage({ type: "start", arch: "ioengine" }), { type: "start", arch: "ioengine" });
  assert.deepEqual(parseWebviewMessage({ type: "start", arch: "conventional", content: "clip" }), { type: "start", arch: "conventional", content: "clip" });
  assert.deepEqual(parseWebviewMessage({ type: "loadStart", clients: 10, seconds: 30, transport: "tcp" }), { type: "loadStart", clients: 10, seconds: 30, transport: "tcp" });
  assert.deepEqual(parseWebviewMessage({ type: "rendered", sessions: 3, streamSeries: 3, samples: 4, nonEmptyCharts: ["bitrate"] }), {
    type: "rendered",
    sessions: 3,
    streamSeries: 3,
    samples: 4,
    nonEmptyCharts: ["bitrate"],
  });
});

test("malformed webview messages are rejected with what was wrong", () => {
  assert.match(err(null), /not a panel message/);
  assert.match(err("start"), /not a panel message/);
  assert.match(err({ type: 42 }), /not a panel message/);
  assert.match(err({ type: "launchMissiles" }), /unknown panel message type "launchMissiles"/);
  assert.match(err({ type: "start" }), /arch must be one of conventional, ioengine/);
  assert.match(err({ type: "start", arch: "qemu" }), /arch/);
  assert.match(err({ type: "start", arch: "ioengine", content: "x".repeat(65) }), /content/);
  assert.match(err({ type: "loadStart", clients: 0, seconds: 5, transport: "udp" }), /clients must be an integer from 1 to 200/);
  assert.match(err({ type: "loadStart", clients: LOAD_LIMITS.maxClients + 1, seconds: 5, transport: "udp" }), /clients/);
  assert.match(err({ type: "loadStart", clients: 2.5, seconds: 5, transport: "udp" }), /clients/);
  assert.match(err({ type: "loadStart", clients: "3", seconds: 5, transport: "udp" }), /clients/);
  assert.match(err({ type: "loadStart", clients: 3, seconds: 0, transport: "udp" }), /seconds/);
  assert.match(err({ type: "loadStart", clients: 3, seconds: 5, transport: "sctp" }), /transport must be udp or tcp/);
  assert.match(err({ type: "selectContent" }), /content/);
  assert.match(err({ type: "rendered", sessions: -1, streamSeries: 0, samples: 0, nonEmptyCharts: [] }), /counts/);
  assert.match(err({ type: "rendered", sessions: 1, streamSeries: 0, samples: 0, nonEmptyCharts: [1] }), /chart list/);
});

const sample: StatsSample = { t: 1, streams: [{ id: "a", bitrateBps: 1e6, latenessMs: 0.2 }], deadlineMissesPerSec: 0, queueDepth: null, guestBusy: null, serverCpu: 0.1 };

test("host messages: every kind the extension sends passes the webview's check", () => {
  const ok: HostToWebview[] = [
    { type: "status", status: { state: "running", arch: "ioengine", url: "rtsp://127.0.0.1:8554/x" } },
    { type: "sessions", rows: [{ id: "s", client: "c", content: "x", transport: "UDP", state: "playing", packets: 1, bytes: 2, latenessMeanMs: 0, latenessMaxMs: 0, lost: -1, fractionLost: 0 }] },
    { type: "sample", sample },
    { type: "history", samples: [sample, sample] },
    { type: "load", load: { running: true, clients: 3, transport: "udp", playing: 3, packets: 10, bytes: 100, lost: 0, remainingSec: 2, errors: [] } },
    { type: "notice", level: "info", text: "copied" },
  ];
  for (const m of ok) assert.equal(isHostToWebview(m), true, JSON.stringify(m));
});

test("host messages of the wrong shape are ignored by the webview", () => {
  assert.equal(isHostToWebview({ type: "sample", sample: { ...sample, serverCpu: NaN } }), false);
  assert.equal(isHostToWebview({ type: "sample", sample: { ...sample, streams: [{ id: 1 }] } }), false);
  assert.equal(isHostToWebview({ type: "sessions", rows: "none" }), false);
  assert.equal(isHostToWebview({ type: "notice", level: "shout", text: "x" }), false);
  assert.equal(isHostToWebview({ type: "eval", code: "alert(1)" }), false);
  assert.equal(isHostToWebview(undefined), false);
});
