// The panel's five uPlot charts, drawn in the editor's theme colours (--vscode-charts-* and
// friends, read from the webview's computed style) and rebuilt when the theme or the set of
// series changes; otherwise only their data is replaced.
import uPlot from "uplot";
import { chartSeries, type ChartColumns, type ChartName, CHART_NAMES, type Column } from "./chart-data";

const PALETTE_VARS = ["--vscode-charts-blue", "--vscode-charts-orange", "--vscode-charts-green", "--vscode-charts-purple", "--vscode-charts-red", "--vscode-charts-yellow"];
const FALLBACK = ["#3794ff", "#d18616", "#89d185", "#b180d7", "#f14c4c", "#cca700"];
const HEIGHT = 130;

function themeColour(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** "10:13:20": one line per x tick instead of uPlot's two-line date and time */
function clock(unixSec: number): string {
  const d = new Date(unixSec * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

interface Theme {
  palette: string[];
  axis: string;
  grid: string;
  font: string;
}

function readTheme(): Theme {
  const family = themeColour("--vscode-font-family", "sans-serif");
  return {
    palette: PALETTE_VARS.map((v, i) => themeColour(v, FALLBACK[i]!)),
    axis: themeColour("--vscode-charts-foreground", themeColour("--vscode-foreground", "#ccc")),
    grid: themeColour("--vscode-charts-lines", "rgba(128,128,128,0.3)"),
    font: `11px ${family}`,
  };
}

interface SeriesSpec {
  labels: string[];
  /** fixed colours by series index (palette index), else by position */
  colours?: number[];
  yRange?: [number, number];
}

function seriesSpec(name: ChartName, c: ChartColumns): SeriesSpec {
  switch (name) {
    case "bitrate":
    case "lateness":
      // session ids are 16 hex digits; the first 6 tell the streams apart in a legend
      return { labels: c.streams.map((id) => id.slice(0, 6)) };
    case "misses":
      return { labels: ["misses/s"], colours: [4] };
    case "queue":
      return { labels: ["queue"], colours: [1] };
    case "cpu":
      return { labels: ["guest busy", "server CPU"], colours: [2, 0], yRange: [0, 100] };
  }
}

class Chart {
  private plot: uPlot | undefined;
  private key = "";

  constructor(
    private readonly el: HTMLElement,
    private readonly name: ChartName,
  ) {}

  update(c: ChartColumns, ys: Column[], theme: Theme, themeKey: string): void {
    const spec = seriesSpec(this.name, c);
    const key = `${themeKey}|${spec.labels.join(",")}`;
    const data = [c.xs, ...ys] as uPlot.AlignedData;
    if (this.plot && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    const axis = { stroke: theme.axis, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 }, font: theme.font };
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        legend: { show: spec.labels.length > 0 },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: spec.yRange ? { range: spec.yRange } : { range: (_u, _min, max) => [0, Math.max(1e-9, max) * 1.1] } },
        axes: [
          { ...axis, values: (_u, ticks) => ticks.map(clock) },
          { ...axis, size: 44 },
        ],
        series: [
          {},
          ...spec.labels.map((label, i) => {
            const colour = theme.palette[(spec.colours?.[i] ?? i) % theme.palette.length]!;
            return { label, stroke: colour, width: 1.5, spanGaps: false, points: { show: false } };
          }),
        ],
      },
      data,
      this.el,
    );
  }

  width(): number {
    return Math.max(160, this.el.clientWidth);
  }

  resize(): void {
    this.plot?.setSize({ width: this.width(), height: HEIGHT });
  }
}

export class PanelCharts {
  private readonly charts: Record<ChartName, Chart>;
  private theme = readTheme();
  private themeKey = "0";

  constructor(root: Document) {
    this.charts = Object.fromEntries(CHART_NAMES.map((n) => [n, new Chart(root.getElementById(`chart-${n}`)!, n)])) as Record<ChartName, Chart>;
    new ResizeObserver(() => {
      for (const n of CHART_NAMES) this.charts[n].resize();
    }).observe(root.body);
  }

  /** The editor's theme changed (VS Code swaps the body's classes and CSS variables). */
  retheme(): void {
    this.theme = readTheme();
    this.themeKey = String(Number(this.themeKey) + 1);
  }

  draw(c: ChartColumns): void {
    const series = chartSeries(c);
    for (const n of CHART_NAMES) this.charts[n].update(c, series[n], this.theme, this.themeKey);
  }
}
