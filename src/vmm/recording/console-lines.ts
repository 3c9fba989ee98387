// The guest's console, cut into lines the way a recording stores them and its replay checks
// them: one assembler for both, so the two cannot disagree on what a line is.

/** Longer lines are cut here (the rest of the line is dropped, as the guest's log is text). */
const MAX_LINE = 4096;

export class ConsoleLineAssembler {
  private line: string;

  /** `partial`: the line the guest had begun to print before (a recording that starts mid-run). */
  constructor(partial = "") {
    this.line = partial;
  }

  /** Takes one byte of serial output; at a newline, returns the line it ends (without a trailing CR). */
  byte(byte: number): string | undefined {
    if (byte !== 0x0a) {
      if (this.line.length < MAX_LINE) this.line += String.fromCharCode(byte);
      return undefined;
    }
    const text = this.line.replace(/\r$/, "");
    this.line = "";
    return text;
  }

  /** The line begun and not yet ended. */
  get partial(): string {
    return this.line;
  }
}
