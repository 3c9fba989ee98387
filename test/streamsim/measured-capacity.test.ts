// The engine's admission limit comes from what its thread measured, not from a declared number.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EngineLoad } from "../../src/streamsim/ioengine/engine-messages";
import { MeasuredCapacity } from "../../src/streamsim/ioengine/measured-capacity";

function load(packetsPerSec: number, threadBusy: number, lateOver5ms = 0): EngineLoad {
  const packets = packetsPerSec / 2;
  return {
    intervalMs: 500,
    busyRatio: 0.01,
    packets,
    bytes: packets * 1328,
    lateOver5ms,
    instructionsPerPacket: 1700,
    hostUsPerPacket: 0,
    threadBusyRatio: threadBusy,
    wakeJitterUs: { p50: 0, p99: 0, max: 0 },
    breakdownUs: { guest: 0, send: 0, gc: 0, step: 0 },
    totalPackets: 0,
    totalInstructions: 0,
  };
}

describe("measured admission capacity", () => {
  it("is the declared capacity until the engine's cost has been measured", () => {
    const c = new MeasuredCapacity(100e6);
    assert.deepEqual(c.estimate(), { bps: 100e6, fixedMsPerSec: undefined, usPerPacket: undefined, basis: "declared" });
    c.update(load(3000, 0.5), 0.5, 0); // no idle report yet: the fixed cost is unknown
    assert.equal(c.estimate().basis, "declared");
  });

  it("separates the thread's fixed cost (idle) from its cost per packet (loaded)", () => {
    const c = new MeasuredCapacity(1e9);
    c.update(load(0, 0.4), 0.5, 0); // start-up: the JIT warming
    c.update(load(0, 0.1), 0.5, 0); // 100 ms/s doing nothing but ticks
    c.update(load(2000, 0.3), 0.5, 0); // +200 ms/s for 2000 packets/s: 100 µs each
    const e = c.estimate();
    assert.equal(e.basis, "measured");
    assert.equal(e.fixedMsPerSec, 100);
    assert.equal(e.usPerPacket, 100);
    // (70% of a core − 100 ms/s) / 100 µs = 6000 packets/s of 1328 bytes
    assert.ok(Math.abs(e.bps - 6000 * 1328 * 8) < 1, String(e.bps));
  });

  it("takes the cost per packet from the most loaded reports, not from light load where a packet costs more", () => {
    const c = new MeasuredCapacity(1e9);
    c.update(load(0, 0.15), 0.5, 0);
    for (let i = 0; i < 4; i++) c.update(load(800, 0.23), 0.5, 0); // 100 µs a packet at 8 streams
    const light = c.estimate().bps;
    for (let i = 0; i < 4; i++) c.update(load(6000, 0.3), 0.5, 0); // 25 µs a packet at 64 streams
    assert.equal(c.estimate().usPerPacket, 25);
    // (70% of a core − 150 ms/s) / 25 µs = 22,000 packets/s, four times what light load said
    assert.ok(Math.abs(c.estimate().bps - 22000 * 1328 * 8) < 1, String(c.estimate().bps));
    assert.ok(c.estimate().bps > 3.5 * light);
    for (let i = 0; i < 4; i++) c.update(load(800, 0.23), 0.5, 0); // back to light load: the loaded measurement still stands
    assert.equal(c.estimate().usPerPacket, 25);
  });

  it("does not charge the work of starting and stopping streams to the packets", () => {
    const c = new MeasuredCapacity(1e9);
    c.update(load(0, 0.15), 0.5, 0);
    for (let i = 0; i < 4; i++) c.update(load(6000, 0.3), 0.5, 0, 0); // 25 µs a packet while streams just play
    const quiet = c.estimate().bps;
    // an RTSP churn: 200 START/STOP a second, and the thread busier for it at a higher packet rate
    for (let i = 0; i < 10; i++) c.update(load(7000, 0.65), 0.5, 0, 100);
    assert.equal(c.estimate().usPerPacket, 25);
    assert.equal(c.estimate().bps, quiet);
    // a stream or two starting (up to 4 commands a second) still counts: 30 µs a packet now
    for (let i = 0; i < 5; i++) c.update(load(8000, 0.39), 0.5, 0, 2);
    assert.equal(c.estimate().usPerPacket, 30);
  });

  it("never admits more than the engine declares", () => {
    const c = new MeasuredCapacity(10e6);
    c.update(load(0, 0.01), 0.5, 0);
    c.update(load(2000, 0.02), 0.5, 0);
    assert.deepEqual([c.estimate().bps, c.estimate().basis], [10e6, "declared"]);
  });

  it("caps the limit below the load at which deadlines were missed, then lets it grow back", () => {
    const c = new MeasuredCapacity(1e9);
    c.update(load(0, 0.1), 0.5, 0);
    c.update(load(2000, 0.3), 0.5, 0);
    c.update(load(4000, 0.6), 0.5, 3); // the guest counted misses at 4000 packets/s, three reports in a row, near the budget
    assert.equal(c.estimate().basis, "measured", "one report with misses is a hiccup");
    c.update(load(4000, 0.6), 0.5, 6);
    c.update(load(4000, 0.6), 0.5, 9);
    const capped = c.estimate();
    assert.equal(capped.basis, "deadline-misses");
    assert.ok(capped.bps < 4000 * 1328 * 8, String(capped.bps));
    c.update(load(3000, 0.4, 0), 0.5, 9);
    assert.ok(c.estimate().bps > capped.bps, "a clean report raises it");
    const late = new MeasuredCapacity(1e9);
    late.update(load(0, 0.1), 0.5, 0);
    for (let i = 0; i < 3; i++) late.update(load(4000, 0.6, 100), 0.5, 0); // 5% of packets left the host over 5 ms late
    assert.equal(late.estimate().basis, "deadline-misses");
  });

  it("does not blame its own capacity for misses while its thread has room (a busy machine, a warming JIT)", () => {
    const c = new MeasuredCapacity(1e9);
    c.update(load(0, 0.1), 0.5, 0);
    for (let i = 0; i < 5; i++) c.update(load(800, 0.15, 40), 0.5, 0); // 10% late, at 15% of a core
    assert.equal(c.estimate().basis, "measured");
  });
});
