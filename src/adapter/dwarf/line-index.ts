// Address <-> source line lookups over the rows of every unit's line program: what line is
// at a pc, which addresses a source line has, and the address range of a line's row block.
import type { LineProgram } from "./line.js";

export interface LineEntry {
  address: number;
  /** Address of the next row in the same sequence: this row covers [address, end). */
  end: number;
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  prologueEnd: boolean;
  sequence: number;
  /** Index within its sequence. */
  index: number;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** Address of the row that covers the queried pc. */
  address: number;
}

export interface LineRange {
  file: string;
  line: number;
  /** [start, end): run until pc leaves this range to finish stepping the line. */
  start: number;
  end: number;
}

export class LineIndex {
  readonly sequences: LineEntry[][] = [];
  /** Rows covering at least one byte, sorted by address. */
  private readonly byAddress: LineEntry[];
  private readonly byFile = new Map<string, LineEntry[]>();

  constructor(programs: LineProgram[]) {
    for (const p of programs) {
      let seq: LineEntry[] = [];
      const rows = p.rows;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (row.endSequence) {
          if (seq.length) this.sequences.push(seq);
          seq = [];
          continue;
        }
        const next = rows[i + 1];
        seq.push({
          address: row.address,
          end: next ? next.address : row.address,
          file: p.files[row.file] ?? `<file ${row.file}>`,
          line: row.line,
          column: row.column,
          isStmt: row.isStmt,
          prologueEnd: row.prologueEnd,
          sequence: this.sequences.length,
          index: seq.length,
        });
      }
      if (seq.length) this.sequences.push(seq); // unterminated final sequence
    }
    // Sequences at address 0 in a linked image are functions the linker discarded.
    const hasNonZero = this.sequences.some((s) => s[0]!.address !== 0);
    const live = this.sequences.filter((s) => !hasNonZero || s[0]!.address !== 0);
    this.byAddress = live
      .flat()
      .filter((e) => e.end > e.address)
      .sort((a, b) => a.address - b.address);
    for (const seq of live) {
      for (const e of seq) {
        let list = this.byFile.get(e.file);
        if (!list) this.byFile.set(e.file, (list = []));
        list.push(e);
      }
    }
  }

  get files(): string[] {
    return [...this.byFile.keys()].sort();
  }

  get rowCount(): number {
    return this.byAddress.length;
  }

  entryAt(addr: number): LineEntry | undefined {
    const a = this.byAddress;
    let lo = 0;
    let hi = a.length - 1;
    let best: LineEntry | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.address <= addr) {
        best = a[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best && addr < best.end ? best : undefined;
  }

  /** Rows of `file`: exact path first, else the known file sharing the longest path suffix. */
  entriesForFile(file: string): { file: string; entries: LineEntry[] } | undefined {
    const exact = this.byFile.get(file);
    if (exact) return { file, entries: exact };
    const want = file.replace(/\\/g, "/").split("/").filter(Boolean).reverse();
    let bestScore = 0;
    let best: string | undefined;
    for (const known of this.byFile.keys()) {
      const parts = known.split("/").filter(Boolean).reverse();
      let n = 0;
      while (n < want.length && n < parts.length && want[n] === parts[n]) n++;
      if (n > bestScore) {
        bestScore = n;
        best = known;
      } else if (n === bestScore && n > 0) best = undefined; // ambiguous
    }
    return best ? { file: best, entries: this.byFile.get(best)! } : undefined;
  }

  /** The row block of the line at `addr`: adjacent rows of the same file and line. */
  lineRangeAt(addr: number): LineRange | undefined {
    const e = this.entryAt(addr);
    if (!e) return undefined;
    const seq = this.sequences[e.sequence]!;
    let first = e.index;
    while (first > 0 && seq[first - 1]!.line === e.line && seq[first - 1]!.file === e.file) first--;
    let last = e.index;
    while (last + 1 < seq.length && seq[last + 1]!.line === e.line && seq[last + 1]!.file === e.file) last++;
    return { file: e.file, line: e.line, start: seq[first]!.address, end: seq[last]!.end };
  }
}
