// The contract between `npm run eval` (bench/eval/run.ts) and its sections, one per figure of the
// thesis (its evaluation chapter). Each section measures on the machine it runs on and
// returns what the report prints: the thesis's number, ours, how it was measured, how our set-up
// differs, tables, and plots as vega-lite specs (rendered to SVG by bench/eval/plot.ts).

export interface EvalContext {
  /** --quick: a few minutes in all, every section still measured (fewer rounds, shorter windows). */
  quick: boolean;
  /** The repository's root. */
  root: string;
  /** A scratch directory of this run (removed afterwards). */
  workDir: string;
  /** Progress for the terminal (one line each). */
  log(line: string): void;
}

export interface Table {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface Plot {
  /** File name under docs/evaluation/ (e.g. "delivery-lateness.svg"). */
  file: string;
  caption: string;
  /** A vega-lite spec with its data inline (data.values). */
  spec: Record<string, unknown>;
}

export interface SectionResult {
  /** Stable id, e.g. "linkage-size". */
  id: string;
  title: string;
  /** The thesis's figure, as the thesis states it. */
  thesis: string;
  /** Our figure in one line, the measured number in it. */
  ours: string;
  /** How it was measured (markdown). */
  method: string;
  /** Where and why our set-up differs from the thesis's (markdown). */
  differences: string;
  tables: Table[];
  plots: Plot[];
  /**
   * The measured numbers behind `ours` and the tables, by name. Every one must be a finite
   * number that this run measured: the evaluation test checks that none is missing or NaN.
   */
  figures: Record<string, number>;
}

export type Section = (ctx: EvalContext) => Promise<SectionResult>;
