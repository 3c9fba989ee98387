// evaluation.md of `npm run eval` (in docs/, or --out DIR): the run's date, machine and duration, a
// summary table (figure / thesis / ours), then one section per figure of the thesis.
import type { SectionResult, Table } from "./section";

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started */
  load: number;
}

/** A section of the issue's list: either measured, or why it was not. */
export type SectionOutcome = { id: string; title: string; thesis: string; result: SectionResult } | { id: string; title: string; thesis: string; missing: string };

export interface RunInfo {
  date: Date;
  quick: boolean;
  durationSec: number;
  machine: Machine;
  /** how long each section took, s, by id */
  sectionSec: Record<string, number>;
}

/** The commands and the full run's duration, as the header and README state them. */
export const HOW_TO_RUN = [
  "`npm run eval` runs every measurement and writes this file and its plots (docs/evaluation/*.svg); on the 2-core machine this project runs on, a full run takes about 12 minutes (11.6 min on a quiet one, stream delivery in section 4 included; the stream benchmark 6 of them).",
  "`npm run eval -- --quick` is a smoke run of about 3 minutes: every section measured, fewer points and shorter windows; its numbers are not for quoting.",
  "`npm run eval -- --out DIR` writes DIR/evaluation.md and DIR/evaluation/*.svg instead; `lvmm eval [--quick] [--out DIR]` does the same from a checkout.",
];

const esc = (s: string | number) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

export function markdownTable(t: Pick<Table, "columns" | "rows">): string {
  const head = `| ${t.columns.map(esc).join(" | ")} |`;
  const rule = `|${t.columns.map(() => "---").join("|")}|`;
  return [head, rule, ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

function minutes(sec: number): string {
  return sec < 90 ? `${sec.toFixed(0)} s` : `${(sec / 60).toFixed(1)} min`;
}

export function renderReport(run: RunInfo, sections: SectionOutcome[]): string {
  const m = run.machine;
  const out: string[] = [];
  out.push("# Evaluation: the thesis's figures, measured on this implementation");
  out.push("");
  out.push(
    `Written by \`npm run eval${run.quick ? " -- --quick" : ""}\` on ${run.date.toISOString().slice(0, 16).replace("T", " ")} UTC, a ${run.quick ? "**quick** (smoke) run: fewer points and shorter windows, not for quoting" : "full run"}; it took ${minutes(run.durationSec)}.`,
  );
  out.push("");
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB.toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}; load average ${m.load.toFixed(2)} at the start (above ~${m.cores}, other work on the machine skews every figure).`,
  );
  out.push("");
  out.push(
    "The thesis's figures are from its own set-up (Darwin Streaming Server and HiTactix on dedicated hardware, a hardware-assisted LVMM, VMware); ours are measured here, side by side in one run, on the machine above. Each section says how the set-ups differ.",
  );
  out.push("");
  for (const l of HOW_TO_RUN) out.push(`- ${l}`);
  out.push("");
  out.push("## Summary");
  out.push("");
  out.push(
    markdownTable({
      columns: ["#", "figure", "thesis", "ours"],
      rows: sections.map((s, i) => [i + 1, `[${s.title}](#${anchor(i + 1, s.title)})`, s.thesis, "result" in s ? s.result.ours : `not measured in this run (${s.missing})`]),
    }),
  );
  out.push("");
  sections.forEach((s, i) => {
    out.push(`## ${i + 1}. ${s.title}`);
    out.push("");
    out.push(`**Thesis:** ${s.thesis}`);
    out.push("");
    if (!("result" in s)) {
      out.push(`**Ours:** not measured in this run: ${s.missing}.`);
      out.push("");
      return;
    }
    const r = s.result;
    out.push(`**Ours:** ${r.ours}`);
    out.push("");
    out.push(`### Method`);
    out.push("");
    out.push(r.method.trim());
    out.push("");
    out.push(`### Differences from the thesis's set-up`);
    out.push("");
    out.push(r.differences.trim());
    out.push("");
    for (const t of r.tables) {
      out.push(`**${t.caption}**`);
      out.push("");
      out.push(markdownTable(t));
      out.push("");
    }
    for (const p of r.plots) {
      out.push(`![${p.caption}](evaluation/${p.file})`);
      out.push("");
      out.push(`*${p.caption}*`);
      out.push("");
    }
    const sec = run.sectionSec[s.id];
    out.push(
      `<sub>Measured figures (${Object.keys(r.figures).length}, in the run's JSON): ${Object.keys(r.figures).join(", ")}${sec !== undefined ? `; the section took ${minutes(sec)}` : ""}.</sub>`,
    );
    out.push("");
  });
  return out.join("\n");
}

/** GitHub's anchor of "## 3. Title". */
function anchor(n: number, title: string): string {
  return `${n}-${title}`
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");
}
