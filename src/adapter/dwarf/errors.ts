// Typed errors for DWARF parsing: callers (the debug adapter) can tell corrupt debug info apart
// from their own bugs and show the user what to rebuild.

export type DwarfErrorCode =
  | "truncated" // a read ran past the end of a section
  | "missing-section" // a section the data refers to is absent
  | "unsupported-version" // DWARF version or unit type we do not read
  | "bad-abbrev" // abbreviation code/table is inconsistent
  | "bad-form" // unknown DW_FORM
  | "bad-reference" // a DIE reference points nowhere
  | "bad-line-program" // .debug_line header or opcodes are invalid
  | "bad-cfi" // .debug_frame/.eh_frame entry is invalid
  | "bad-expression" // a DWARF expression is malformed
  | "corrupt"; // anything else structurally wrong

export class DwarfError extends Error {
  override readonly name = "DwarfError";
  constructor(
    readonly code: DwarfErrorCode,
    message: string,
    readonly section?: string,
    readonly offset?: number,
  ) {
    super(section !== undefined ? `${message} (in ${section}${offset !== undefined ? ` at offset 0x${offset.toString(16)}` : ""})` : message);
  }
}
