// What the CLI shows a person at a terminal: colour only on a TTY and never when NO_COLOR is set
// (https://no-color.org), and a progress line on stderr only when stderr is a TTY, redrawn in place
// with a carriage return (no escape codes, so NO_COLOR has nothing to turn off there), cleared
// before other output and at the end.

/** Whether ANSI colour may be written to `stream`. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** `text` in cyan where colour is enabled. */
export function cyan(text: string, stream: { isTTY?: boolean } = process.stdout): string {
  return colourEnabled(stream) ? `\x1b[36m${text}\x1b[0m` : text;
}

/** Redraws at most this often (wall clock), so progress costs nothing measurable. */
const REDRAW_MS = 200;

export class ProgressLine {
  private shown = 0;
  private lastMs = -Infinity;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Shows `doneNs` of `totalNs` virtual time as a percentage and in seconds. */
  update(doneNs: number, totalNs: number): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.lastMs < REDRAW_MS) return;
    this.lastMs = now;
    const percent = totalNs > 0 ? Math.min(100, Math.floor((100 * doneNs) / totalNs)) : 0;
    const text = `${this.label}: ${percent}% (virtual ${(doneNs / 1e9).toFixed(2)} of ${(totalNs / 1e9).toFixed(2)} s)`;
    this.stream.write(`\r${text.padEnd(this.shown)}`);
    this.shown = text.length;
  }

  /** Erases the line (before other output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.stream.write(`\r${" ".repeat(this.shown)}\r`);
    this.shown = 0;
    this.lastMs = -Infinity;
  }
}
