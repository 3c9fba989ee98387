// Reads the summary the test bundle writes (see suite/index.ts) and checks it against the exit code.
import { existsSync, readFileSync } from "node:fs";
import type { HostTestResults } from "../suite/index";

export function readResults(path: string): HostTestResults | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as HostTestResults;
}

/** A run passed only if VS Code reported exit 0 and the suite ran tests with no failure. */
export function verdict(code: number, results: HostTestResults | undefined): { ok: boolean; summary: string } {
  if (!results) return { ok: false, summary: `the test bundle wrote no results (extension host exit code ${code})` };
  const summary = `${results.passed} passed, ${results.failed} failed` + (results.pending ? `, ${results.pending} skipped` : "");
  return { ok: code === 0 && results.failed === 0 && results.passed > 0, summary };
}

/** One line per test, failures followed by their error. */
export function formatResults(results: HostTestResults): string[] {
  const lines: string[] = [];
  for (const t of results.tests) {
    const mark = t.state === "passed" ? "✔" : t.state === "failed" ? "✖" : "-";
    lines.push(`  ${mark} ${t.title}${t.ms !== undefined ? ` (${t.ms} ms)` : ""}`);
    if (t.error) lines.push(...t.error.split("\n").map((l) => `      ${l}`));
  }
  return lines;
}
