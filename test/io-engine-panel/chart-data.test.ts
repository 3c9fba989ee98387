// Chart data shaping: samples become uPlot columns with one series per stream, nulls where a
// stream or a figure is absent, and a bounded number of stream series.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import type { StatsSample } from "../../src/protocols/io-engine-panel-messages";
import { chartSeries, nonEmptyCharts, shapeCharts } from "../../src/webview/io-engine-panel/chart-data";

const s = (t: number, streams: [string, number, number | null][], extra: Partial<StatsSample> = {}): StatsSample => ({
  t,
  streams: streams.map(([id, bitrateBps, latenessMs]) => ({ id, bitrateBps, latenessMs })),
  deadlineMissesPerSec: 0,
  queueDepth: null,
  guestBusy: null,
  serverCpu: 0.05,
  ...extra,
});

test("one column per stream, in order of first appearance, null where the stream is absent", () => {
  const c = shapeCharts([
    s(10, [["a", 1e6, 0.5]]),
    s(11, [
      ["a", 2e6, 0.25],
      ["b", 5e5, null],
    ]),
    s(12, [["b", 1e6, 1]]),
  ]);
  assert.deepEqual(c.xs, [10, 11, 12]);
  assert.deepEqual(c.streams, ["a", "b"]);
  assert.deepEqual(c.bitrateMbps, [
    [1, 2, null],
    [null, 0.5, 1],
  ]);
  assert.deepEqual(c.latenessMs, [
    [0.5, 0.25, null],
    [null, null, 1],
  ]);
  assert.deepEqual(c.serverCpuPct, [5, 5, 5]);
  assert.deepEqual(c.guestBusyPct, [null, null, null]);
});

test("conventional samples leave the engine-only charts empty; I/O-engine ones fill them", () => {
  const conventional = shapeCharts([s(1, [["a", 1e6, 0.1]]), s(2, [["a", 1e6, 0.1]], { deadlineMissesPerSec: 3 })]);
  assert.deepEqual(conventional.deadlineMisses, [0, 3]);
  assert.deepEqual(nonEmptyCharts(conventional), ["bitrate", "lateness", "misses", "cpu"]);
  const engine = shapeCharts([s(1, [["a", 1e6, 0.1]], { queueDepth: 2, guestBusy: 0.25 })]);
  assert.deepEqual(engine.queueDepth, [2]);
  assert.deepEqual(engine.guestBusyPct, [25]);
  assert.deepEqual(nonEmptyCharts(engine), ["bitrate", "lateness", "misses", "queue", "cpu"]);
  assert.deepEqual(chartSeries(engine).cpu, [[25], [5]]);
});

test("no samples: no points and nothing non-empty", () => {
  const c = shapeCharts([]);
  assert.deepEqual(c.xs, []);
  assert.deepEqual(c.streams, []);
  assert.deepEqual(nonEmptyCharts(c), []);
});

test("only the most recently seen streams get series when there are too many", () => {
  const samples = [
    s(1, [
      ["old", 1, 0],
      ["x", 1, 0],
    ]),
    s(2, [
      ["y", 1, 0],
      ["x", 1, 0],
    ]),
    s(3, [["z", 1, 0]]),
  ];
  const c = shapeCharts(samples, 3);
  assert.deepEqual(c.streams, ["x", "y", "z"], "the stream gone longest is dropped; order of first appearance kept");
  assert.equal(c.bitrateMbps.length, 3);
  assert.ok(c.bitrateMbps.every((col) => col.length === 3));
});
