// Debug Console completions: the word being typed at the cursor and the names that continue it.
// After "." or "->" they are the members of the struct the expression to the left names; after
// "$" the registers the evaluator knows; otherwise the C identifiers the selected frame sees.
// Knows nothing of DAP or the guest: the scope supplies the names.

export interface CompletionCandidate {
  label: string;
  type: "variable" | "function" | "field" | "property";
  /** The C type, shown beside the label. */
  detail?: string;
}

export interface CompletionScope {
  /** Identifiers visible from the selected frame, innermost first (duplicates allowed). */
  identifiers(): CompletionCandidate[];
  /** Register names as `$name` takes them, without the "$". */
  registerNames(): readonly string[];
  /** Members of the struct or union `expression` names, or points to; [] when it names none. */
  members(expression: string): CompletionCandidate[];
}

export interface Completions {
  items: CompletionCandidate[];
  /** 0-based offset in the text of the word the items replace, and its length. */
  start: number;
  length: number;
}

const IDENT_CHAR = /[A-Za-z0-9_]/;

/** Completions for `text` with the cursor at 0-based offset `cursor`. */
export function complete(text: string, cursor: number, scope: CompletionScope): Completions {
  const before = text.slice(0, Math.max(0, Math.min(cursor, text.length)));
  const m = /(\$?)([A-Za-z_][A-Za-z0-9_]*)?$/.exec(before)!;
  const word = m[2] ?? "";
  const start = before.length - m[0].length;
  const none = { items: [], start: before.length, length: 0 };
  // Inside a number (0x1f) or after another identifier character there is nothing to complete.
  if (start > 0 && IDENT_CHAR.test(before[start - 1]!)) return none;
  const matching = (all: CompletionCandidate[]) => unique(all.filter((c) => c.label.startsWith(word)));
  if (m[1]) {
    const items = scope
      .registerNames()
      .filter((r) => r.startsWith(word))
      .map((r): CompletionCandidate => ({ label: `$${r}`, type: "property", detail: "register" }));
    return { items, start, length: m[0].length };
  }
  const left = before.slice(0, start).trimEnd();
  const op = left.endsWith("->") ? "->" : left.endsWith(".") ? "." : undefined;
  // ">" triggers completion for "->"; after a comparison it completes nothing.
  if (!op && !word && left.endsWith(">")) return none;
  if (op) {
    const object = postfixExpression(left.slice(0, left.length - op.length));
    if (!object) return none;
    return { items: matching(scope.members(object)), start, length: word.length };
  }
  return { items: matching(scope.identifiers()), start, length: word.length };
}

/** The postfix expression that ends `text` ("a[i + 1].b" in "x + a[i + 1].b"), or "" if none. */
function postfixExpression(text: string): string {
  let i = text.trimEnd().length;
  const end = i;
  let depth = 0;
  while (i > 0) {
    const c = text[i - 1]!;
    if (c === "]" || c === ")") depth++;
    else if (c === "[" || c === "(") {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && !(IDENT_CHAR.test(c) || c === "." || c === "$" || (c === ">" && text[i - 2] === "-") || (c === "-" && text[i] === ">"))) break;
    i--;
  }
  return text.slice(i, end).trim();
}

function unique(items: CompletionCandidate[]): CompletionCandidate[] {
  const seen = new Set<string>();
  return items.filter((c) => !seen.has(c.label) && (seen.add(c.label), true));
}
