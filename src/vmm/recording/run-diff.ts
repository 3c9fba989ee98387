// Run diff: two recordings of the same kernel, aligned on what the guest and its NIC did, and
// the first place they part. Three sequences are compared, each in order (the k-th of one run
// against the k-th of the other): the interrupts the CPU took (by line), the receive DMA per
// interrupt (the cause the driver read, the descriptors it got back with their lengths, status
// and bytes), and the console lines. Instruction counts are not compared: two runs that read
// the same inputs at slightly different counts still did the same thing. Where a sequence first
// differs is that sequence's divergence; the run's is the earliest of them. The inputs before it
// are compared the same way (the k-th frame's arrival and bytes), since they are what a
// divergence usually comes from. Console lines are few, and one line more or less shifts all
// after it, so they are also aligned as diff(1) aligns text: the lines only one run printed.
// Where each side was in its source is the caller's to add (a replay to that count: `lvmm diff`
// does it).
import { createHash } from "node:crypto";
import { EventKind, RecordingError, type RecordingHeader } from "./format";
import type { Recording } from "./reader";
import type { RxInterrupt } from "../nic-dma-log";

export type BehaviourKind = "interrupt" | "rx-dma" | "console";
export const BEHAVIOUR_KINDS: readonly BehaviourKind[] = ["interrupt", "rx-dma", "console"];

/** One thing a run did, as compared. */
export interface Behaviour {
  kind: BehaviourKind;
  /** Its position among the run's behaviours of its kind (0-based). */
  k: number;
  icount: number;
  ns: number;
  /** What is compared (equal keys: the same behaviour). */
  key: string;
  /** For a reader. */
  summary: string;
}

/** Where one sequence parts: the k-th behaviour of each run (absent: that run had no more). */
export interface Parting {
  kind: BehaviourKind;
  k: number;
  a?: Behaviour;
  b?: Behaviour;
  /** Where the run without a k-th behaviour ended. */
  aEnd: { icount: number; ns: number };
  bEnd: { icount: number; ns: number };
  /** What differs between the two (both present). */
  difference?: string;
}

export interface InputMismatch {
  /** The k-th frame of each run (0-based). */
  k: number;
  a?: { icount: number; ns: number; bytes: number };
  b?: { icount: number; ns: number; bytes: number };
  /** arrival: at another instruction count or time; bytes: other contents; missing: one run has no k-th frame. */
  differs: ("arrival" | "bytes" | "missing")[];
  /** The first byte that differs (bytes). */
  firstByte?: number;
}

export interface RunDiff {
  /** Launch settings that differ ("cmdline: \"a\" / \"b\""). */
  launch: string[];
  /** Behaviours of each kind that matched, from the start, before the sequence parted (all of them if it did not). */
  matched: Record<BehaviourKind, number>;
  /** Each sequence's first difference, earliest first. */
  partings: Parting[];
  /** The run's first divergence: the earliest parting (none: the runs did the same). */
  divergence?: Parting;
  /** Frames before the divergence (before each run's own point of it; the whole runs when none). */
  inputs: { a: number; b: number; differing: number; first: InputMismatch[] };
  /** Console lines only one run printed, the two aligned as diff(1) aligns text (undefined: too many lines to align). */
  console?: { onlyA: Behaviour[]; onlyB: Behaviour[] };
}

/** How many differing inputs a diff lists (it counts them all). */
const LISTED_INPUTS = 10;

/** A run's behaviours of one kind, in order (a receive interrupt's with its record, for telling two apart). */
export function behaviours(rec: Recording, kind: BehaviourKind): (Behaviour & { rx?: RxInterrupt })[] {
  const out: (Behaviour & { rx?: RxInterrupt })[] = [];
  const add = (e: { icount: number; ns: number }, key: string, summary: string, rx?: RxInterrupt): void => {
    out.push({ kind, k: out.length, icount: e.icount, ns: e.ns, key, summary, ...(rx ? { rx } : {}) });
  };
  if (kind === "rx-dma") {
    // A receive interrupt is recorded again when the driver handed back more descriptors after
    // it was first written: the last record of each is the whole of it.
    const bySeq = new Map<number, Extract<Recording["events"][number], { kind: EventKind.RxDmaInterrupt }>>();
    for (const e of rec.events) if (e.kind === EventKind.RxDmaInterrupt) bySeq.set(e.rx.seq, e);
    for (const e of [...bySeq.values()].sort((x, y) => x.rx.seq - y.rx.seq)) {
      const ds = e.rx.descriptors;
      const key = [`icr ${e.rx.icr}`, ...ds.map((d) => `${d.index}:${d.length}:${d.status}:${d.errors}:${digest(d.bytes)}`)].join(" ");
      add(e, key, `receive interrupt: ICR 0x${e.rx.icr.toString(16)}, ${ds.length} descriptor${ds.length === 1 ? "" : "s"}${ds.length ? ` (${runLengths(ds.map((d) => d.length))} bytes)` : ""}`, e.rx);
    }
    return out;
  }
  for (const e of rec.events) {
    if (kind === "interrupt" && e.kind === EventKind.Interrupt) add(e, `irq ${e.irq}`, `interrupt, irq ${e.irq}`);
    else if (kind === "console" && e.kind === EventKind.SerialOut) add(e, e.text, `console line ${JSON.stringify(e.text)}`);
  }
  return out;
}

/** Compares two recordings of one kernel (RecordingError "wrong-kernel" for two kernels: their runs cannot be aligned). */
export function diffRecordings(a: Recording, b: Recording): RunDiff {
  if (a.header.kernel.sha256 !== b.header.kernel.sha256) {
    throw new RecordingError(
      "wrong-kernel",
      `the recordings ran different kernels (${a.header.kernel.name} sha256 ${a.header.kernel.sha256.slice(0, 12)}…, ${b.header.kernel.name} sha256 ${b.header.kernel.sha256.slice(0, 12)}…): a diff compares two runs of one kernel`,
    );
  }
  const [aEnd, bEnd] = [endOf(a), endOf(b)];
  const matched: Record<BehaviourKind, number> = { interrupt: 0, "rx-dma": 0, console: 0 };
  const partings: Parting[] = [];
  for (const kind of BEHAVIOUR_KINDS) {
    const [xa, xb] = [behaviours(a, kind), behaviours(b, kind)];
    let i = 0;
    while (i < xa.length && i < xb.length && xa[i]!.key === xb[i]!.key) i++;
    matched[kind] = i;
    if (i === xa.length && i === xb.length) continue;
    const [x, y] = [xa[i], xb[i]];
    const difference = x && y ? (x.rx && y.rx ? rxDifference(x.rx, y.rx) : `${x.key} / ${y.key}`) : undefined;
    partings.push({ kind, k: i, ...(x ? { a: plain(x) } : {}), ...(y ? { b: plain(y) } : {}), aEnd, bEnd, ...(difference ? { difference } : {}) });
  }
  // Earliest first, by where it happened on either side.
  const when = (p: Parting): number => Math.min(p.a?.icount ?? p.aEnd.icount, p.b?.icount ?? p.bEnd.icount);
  partings.sort((x, y) => when(x) - when(y));
  const divergence = partings[0];
  const lines = alignLines(behaviours(a, "console"), behaviours(b, "console"));
  return {
    launch: launchDifferences(a.header, b.header),
    matched,
    partings,
    ...(divergence ? { divergence } : {}),
    inputs: compareInputs(a, b, divergence?.a?.icount ?? aEnd.icount, divergence?.b?.icount ?? bEnd.icount),
    ...(lines ? { console: lines } : {}),
  };
}

/** A behaviour without its record (what a report and --json show). */
function plain(x: Behaviour & { rx?: RxInterrupt }): Behaviour {
  const { rx: _rx, ...rest } = x;
  return rest;
}

/** What tells two receive interrupts apart: the first field that differs. */
function rxDifference(a: RxInterrupt, b: RxInterrupt): string {
  if (a.icr !== b.icr) return `ICR 0x${a.icr.toString(16)} / 0x${b.icr.toString(16)}`;
  if (a.descriptors.length !== b.descriptors.length) return `${a.descriptors.length} / ${b.descriptors.length} descriptors`;
  for (let i = 0; i < a.descriptors.length; i++) {
    const [x, y] = [a.descriptors[i]!, b.descriptors[i]!];
    const d = `descriptor ${i + 1} (ring index ${x.index}${y.index !== x.index ? ` / ${y.index}` : ""})`;
    if (x.index !== y.index) return `${d}: another ring index`;
    if (x.length !== y.length) return `${d}: ${x.length} / ${y.length} bytes`;
    if (x.status !== y.status) return `${d}: status 0x${x.status.toString(16)} / 0x${y.status.toString(16)}`;
    if (x.errors !== y.errors) return `${d}: errors 0x${x.errors.toString(16)} / 0x${y.errors.toString(16)}`;
    const at = firstDifference(x.bytes, y.bytes);
    if (at !== undefined) return `${d}: bytes differ from byte ${at}`;
  }
  return "the same descriptors";
}

/** Lengths with runs folded: "642 × 64", "60, 642 × 3". */
function runLengths(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    out.push(j - i > 1 ? `${xs[i]} × ${j - i}` : String(xs[i]));
    i = j;
  }
  return out.join(", ");
}

/** Most lines a console alignment takes on (its table is the product of the two counts). */
const ALIGN_MAX_CELLS = 4e6;

/** The lines only one run printed: a longest common subsequence of the two, as diff(1) finds. */
function alignLines(a: Behaviour[], b: Behaviour[]): { onlyA: Behaviour[]; onlyB: Behaviour[] } | undefined {
  // The common head and tail need no table.
  let s = 0;
  while (s < a.length && s < b.length && a[s]!.key === b[s]!.key) s++;
  let e = 0;
  while (e < a.length - s && e < b.length - s && a[a.length - 1 - e]!.key === b[b.length - 1 - e]!.key) e++;
  const [x, y] = [a.slice(s, a.length - e), b.slice(s, b.length - e)];
  if (x.length * y.length > ALIGN_MAX_CELLS) return undefined;
  // lcs[i][j]: the longest common subsequence of x[i..] and y[j..].
  const w = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * w);
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i * w + j] = x[i]!.key === y[j]!.key ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const onlyA: Behaviour[] = [];
  const onlyB: Behaviour[] = [];
  let [i, j] = [0, 0];
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i]!.key === y[j]!.key) {
      i++;
      j++;
    } else if (j >= y.length || (i < x.length && lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) onlyA.push(x[i++]!);
    else onlyB.push(y[j++]!);
  }
  return { onlyA, onlyB };
}

function compareInputs(a: Recording, b: Recording, aBefore: number, bBefore: number): RunDiff["inputs"] {
  const frames = (r: Recording, before: number) => r.events.filter((e) => e.kind === EventKind.FrameIn && e.icount < before) as { icount: number; ns: number; bytes: Uint8Array }[];
  const [fa, fb] = [frames(a, aBefore), frames(b, bBefore)];
  const first: InputMismatch[] = [];
  let differing = 0;
  for (let k = 0; k < Math.max(fa.length, fb.length); k++) {
    const [x, y] = [fa[k], fb[k]];
    const differs: InputMismatch["differs"] = [];
    let firstByte: number | undefined;
    if (!x || !y) differs.push("missing");
    else {
      if (x.icount !== y.icount || x.ns !== y.ns) differs.push("arrival");
      firstByte = firstDifference(x.bytes, y.bytes);
      if (firstByte !== undefined) differs.push("bytes");
    }
    if (!differs.length) continue;
    differing++;
    if (first.length < LISTED_INPUTS) {
      const side = (f: typeof x) => f && { icount: f.icount, ns: f.ns, bytes: f.bytes.length };
      first.push({ k, ...(x ? { a: side(x)! } : {}), ...(y ? { b: side(y)! } : {}), differs, ...(firstByte !== undefined ? { firstByte } : {}) });
    }
  }
  return { a: fa.length, b: fb.length, differing, first };
}

function launchDifferences(a: RecordingHeader, b: RecordingHeader): string[] {
  const out: string[] = [];
  const la = a.launch as unknown as Record<string, unknown>;
  const lb = b.launch as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(la), ...Object.keys(lb)])) {
    const [x, y] = [JSON.stringify(la[key] ?? null), JSON.stringify(lb[key] ?? null)];
    if (x !== y) out.push(`${key}: ${x} / ${y}`);
  }
  return out;
}

function endOf(r: Recording): { icount: number; ns: number } {
  const last = r.events[r.events.length - 1];
  return last ? { icount: last.icount, ns: last.ns } : { icount: r.header.start?.icount ?? 0, ns: r.header.start?.ns ?? 0 };
}

function firstDifference(x: Uint8Array, y: Uint8Array): number | undefined {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? undefined : n;
}

function digest(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("base64").slice(0, 12);
}
