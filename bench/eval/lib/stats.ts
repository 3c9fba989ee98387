// Small numeric helpers for the eval sections: medians and the middle half of rounds (these
// machines are shared and noisy), and rounding for tables.
import { median, percentile } from "../../lib/report";

export { median, percentile };

/** Median and the middle half (25th..75th percentile) of xs. */
export function spread(xs: number[]): { median: number; p25: number; p75: number } {
  return { median: median(xs), p25: percentile(xs, 25), p75: percentile(xs, 75) };
}

/** n rounded to `digits` decimals, as a number (for tables). */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** "12.3 (11.0–13.1)": a median with its middle half, for a table cell. */
export function withSpread(xs: number[], digits = 1): string {
  const s = spread(xs);
  return xs.length > 2 ? `${s.median.toFixed(digits)} (${s.p25.toFixed(digits)}–${s.p75.toFixed(digits)})` : s.median.toFixed(digits);
}

/** Keeps only finite numbers (figures must all be finite), naming what it leaves out. */
export function finiteFigures(f: Record<string, number>, log: (line: string) => void): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(f)) {
    if (Number.isFinite(v)) out[k] = v;
    else log(`figure ${k} was not measured (${v}): left out`);
  }
  return out;
}
