// Shapes the panel's sample window into uPlot's column data: one x column (unix seconds) and
// one column per series, null where a series has no value (a stream not yet started or gone,
// a figure the conventional architecture does not have). Pure: used by the webview and
// unit-tested in node.
import type { StatsSample } from "../../protocols/io-engine-panel-messages";

export type Column = (number | null)[];

export interface ChartColumns {
  xs: number[];
  /** stream ids of the per-stream series, in order of first appearance */
  streams: string[];
  bitrateMbps: Column[];
  latenessMs: Column[];
  deadlineMisses: Column;
  queueDepth: Column;
  guestBusyPct: Column;
  serverCpuPct: Column;
}

export const CHART_NAMES = ["bitrate", "lateness", "misses", "queue", "cpu"] as const;
export type ChartName = (typeof CHART_NAMES)[number];

/**
 * At most `maxStreams` per-stream series: the streams seen most recently (so a long run with
 * client churn keeps showing the live ones), in order of first appearance.
 */
export function shapeCharts(samples: readonly StatsSample[], maxStreams = 12): ChartColumns {
  const lastSeen = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  samples.forEach((s, i) => {
    for (const st of s.streams) {
      if (!firstSeen.has(st.id)) firstSeen.set(st.id, i);
      lastSeen.set(st.id, i);
    }
  });
  const streams = [...lastSeen.entries()]
    .sort((a, b) => b[1] - a[1] || firstSeen.get(a[0])! - firstSeen.get(b[0])!)
    .slice(0, maxStreams)
    .map(([id]) => id)
    .sort((a, b) => firstSeen.get(a)! - firstSeen.get(b)!);
  const col = () => samples.map((): number | null => null);
  const bitrateMbps = streams.map(col);
  const latenessMs = streams.map(col);
  const index = new Map(streams.map((id, k) => [id, k]));
  samples.forEach((s, i) => {
    for (const st of s.streams) {
      const k = index.get(st.id);
      if (k === undefined) continue;
      bitrateMbps[k]![i] = st.bitrateBps / 1e6;
      latenessMs[k]![i] = st.latenessMs;
    }
  });
  return {
    xs: samples.map((s) => s.t),
    streams,
    bitrateMbps,
    latenessMs,
    deadlineMisses: samples.map((s) => s.deadlineMissesPerSec),
    queueDepth: samples.map((s) => s.queueDepth),
    guestBusyPct: samples.map((s) => (s.guestBusy === null ? null : s.guestBusy * 100)),
    serverCpuPct: samples.map((s) => s.serverCpu * 100),
  };
}

const hasValue = (c: Column) => c.some((v) => v !== null);

/** The y columns of each chart, in series order. */
export function chartSeries(c: ChartColumns): Record<ChartName, Column[]> {
  return {
    bitrate: c.bitrateMbps,
    lateness: c.latenessMs,
    misses: [c.deadlineMisses],
    queue: [c.queueDepth],
    cpu: [c.guestBusyPct, c.serverCpuPct],
  };
}

/** Charts with at least one value to draw. */
export function nonEmptyCharts(c: ChartColumns): ChartName[] {
  const series = chartSeries(c);
  return CHART_NAMES.filter((n) => series[n].some(hasValue));
}
