// Plots of `npm run eval`: each section hands a vega-lite spec with its data inline; this compiles
// it to vega and renders it headless to SVG (vega's View.toSVG needs no canvas or browser).
// vega and vega-lite are ES modules with a top-level await (vega-canvas's optional node-canvas):
// they are loaded with import() at run time and kept out of the CommonJS bundle (run.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plot } from "./section";

/** One look for every plot of the report. */
const CONFIG = {
  font: "Helvetica, Arial, sans-serif",
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4, labelLimit: 320 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  view: { stroke: "#ccc" },
};

/** The SVG of a vega-lite spec (data inline). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const full = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 520,
    height: 280,
    background: "white",
    ...spec,
    config: { ...CONFIG, ...((spec.config as object | undefined) ?? {}) },
  };
  const compiled = vegaLite.compile(full as unknown as import("vega-lite").TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the plot to dir/plot.file; returns the path written. */
export async function writePlot(dir: string, plot: Plot): Promise<string> {
  const path = join(dir, plot.file);
  writeFileSync(path, await renderSvg(plot.spec));
  return path;
}
