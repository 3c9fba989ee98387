// The sampler turns cumulative counters into per-interval chart values and session rows.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { emptyLateness, LATENESS_BUCKETS_SEC, recordLateness } from "../../src/streamsim/delivery/backend";
import { emptyCounters, type SessionRecord } from "../../src/streamsim/management/session-table";
import { missesIn, sessionRow, StatsSampler, type CounterReading } from "../../src/extension/stream-server/sampler";

function session(id: string, bytes: number, lateSec: number[], extra: Partial<SessionRecord> = {}): SessionRecord {
  const stats = emptyCounters();
  stats.rtpBytes = bytes;
  stats.rtpPackets = lateSec.length;
  for (const l of lateSec) recordLateness(stats.lateness, l);
  return {
    id,
    connectionId: 1,
    remoteAddr: "127.0.0.1",
    content: "clip",
    streamUrl: "rtsp://127.0.0.1/clip/trackID=0",
    transport: { lower: "UDP", clientPorts: [50000, 50001] },
    state: "playing",
    createdAt: 0,
    lastActivity: 0,
    timeoutSec: 60,
    reservedBps: 1e6,
    ssrc: 1,
    seqBase: 0,
    rtpTimeBase: 0,
    started: true,
    atEnd: false,
    stats,
    ...extra,
  };
}

const reading = (nowMs: number, sessions: SessionRecord[], extra: Partial<CounterReading> = {}): CounterReading => {
  const total = emptyLateness();
  for (const s of sessions) for (let i = 0; i < total.buckets.length; i++) total.buckets[i]! += s.stats.lateness.buckets[i]!;
  total.count = sessions.reduce((n, s) => n + s.stats.lateness.count, 0);
  return { nowMs, wallMs: 1_700_000_000_000 + nowMs, sessions, totalLateness: total, cpuUs: nowMs * 100, ...extra };
};

test("the first reading only sets the baseline; then bitrate and mean lateness per interval", () => {
  const sampler = new StatsSampler();
  assert.equal(sampler.sample(reading(0, [session("a", 0, [])])), undefined);
  const x = sampler.sample(reading(2000, [session("a", 250_000, [0.001, 0.003])]))!;
  assert.equal(x.t, 1_700_000_002);
  assert.deepEqual(x.streams, [{ id: "a", bitrateBps: 1_000_000, latenessMs: 2 }]);
  assert.equal(x.queueDepth, null);
  assert.equal(x.guestBusy, null);
  assert.ok(Math.abs(x.serverCpu - 0.1) < 1e-9, `cpu ${x.serverCpu}`);
  const y = sampler.sample(reading(3000, [session("a", 250_000, [0.001, 0.003])]))!;
  assert.deepEqual(y.streams, [{ id: "a", bitrateBps: 0, latenessMs: null }], "no packets: zero bitrate, no lateness");
});

test("conventional deadline misses come from the lateness histogram (> 5 ms, as the engine counts)", () => {
  assert.equal(LATENESS_BUCKETS_SEC.includes(0.005), true);
  const l = emptyLateness();
  for (const v of [0.0049, 0.005, 0.0051, 0.2]) recordLateness(l, v);
  assert.equal(missesIn(l), 2);
  const sampler = new StatsSampler();
  sampler.sample(reading(0, [session("a", 0, [0.001])]));
  const x = sampler.sample(reading(500, [session("a", 1000, [0.001, 0.006, 0.007, 0.5])]))!;
  assert.equal(x.deadlineMissesPerSec, 6, "3 misses in half a second");
});

test("I/O engine figures: the engine's own miss counter, queue depth and guest busy ratio", () => {
  const sampler = new StatsSampler();
  sampler.sample(reading(0, [], { engine: { deadlineMisses: 10, backlogMax: 0, busyRatio: 0.1 } }));
  const x = sampler.sample(reading(1000, [], { engine: { deadlineMisses: 14, backlogMax: 3, busyRatio: 0.25 } }))!;
  assert.equal(x.deadlineMissesPerSec, 4);
  assert.equal(x.queueDepth, 3);
  assert.equal(x.guestBusy, 0.25);
  const rebooted = sampler.sample(reading(2000, [], { engine: { deadlineMisses: 0, backlogMax: 0, busyRatio: 0.05 } }))!;
  assert.equal(rebooted.deadlineMissesPerSec, 0, "a rebooted engine's counter restarting is not negative misses");
});

test("streams not yet playing get no series; new streams count from zero", () => {
  const sampler = new StatsSampler();
  sampler.sample(reading(0, [session("ready", 0, [], { started: false })]));
  const x = sampler.sample(reading(1000, [session("ready", 0, [], { started: false }), session("new", 125_000, [0.001])]))!;
  assert.deepEqual(
    x.streams.map((s) => s.id),
    ["new"],
  );
  assert.equal(x.streams[0]!.bitrateBps, 1_000_000);
});

test("session rows: client with ports, transport, lateness in ms, loss only once the client reported", () => {
  const udp = sessionRow(session("u", 5000, [0.001, 0.003]));
  assert.equal(udp.client, "127.0.0.1:50000-50001");
  assert.equal(udp.transport, "UDP");
  assert.equal(udp.latenessMeanMs, 2);
  assert.equal(udp.latenessMaxMs, 3);
  assert.equal(udp.lost, -1);
  const tcp = session("t", 0, [], { transport: { lower: "TCP", interleaved: [0, 1] } });
  tcp.stats.receiverReports = 2;
  tcp.stats.packetsLost = 7;
  tcp.stats.fractionLost = 0.25;
  const row = sessionRow(tcp);
  assert.equal(row.client, "127.0.0.1 (TCP)");
  assert.equal(row.transport, "TCP ch 0-1");
  assert.equal(row.lost, 7);
  assert.equal(row.fractionLost, 0.25);
});
