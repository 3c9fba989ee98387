// `lvmm diff A B`: where two recordings of one kernel part (run-diff.ts), with the source line
// each run was at there: each recording is replayed once, forward through its own points of the
// partings, and the CPU's EIP looked up in the kernel's DWARF at each.
import { parse } from "../options";
import { EXIT, UsageError } from "../errors";
import { IMAGE_HELP, IMAGE_OPTIONS, loadRecording, openReplay, replayImages, withRecordingErrors, writeOut, type ReplayImages } from "../recording-file";
import { shortPath } from "../source-path";
import { writeJson } from "../json-output";
import { diffRecordings, type Behaviour, type Parting, type RunDiff } from "../../vmm/recording/run-diff";
import type { Recording } from "../../vmm/recording/reader";
import { RecordingError } from "../../vmm/recording/format";
import { DebugInfo } from "../../adapter/dwarf";
import { sourceStack } from "../../adapter/dwarf/source-stack";

export const DIFF_HELP = `usage: lvmm diff A.lvmmrec B.lvmmrec [--json] [--kernel ELF] [--disk IMG]
  Aligns two recordings of the same kernel on what the guest and its NIC did: the interrupts
  the CPU took, the receive DMA per interrupt (cause, descriptors, bytes) and the console
  lines, each compared in order (the k-th of A against the k-th of B; instruction counts are
  not compared). Prints the first divergence, where each run was in its source there (each
  recording replayed to that point), each sequence's own first difference, and the inputs
  before the divergence that differ (a frame's arrival instruction count, or its bytes).
  Exit status: 0 the runs did the same, 1 they diverged, 2 bad input.
  --json  one JSON object instead: { launch, matched, divergence, partings (each with where:
          { a, b }, the source point of each run), inputs, console: { onlyA, onlyB } }
${IMAGE_HELP}`;

type Where = { a: SourcePoint; b: SourcePoint };

/** Where a run was at one of its instruction counts. */
export interface SourcePoint {
  icount: number;
  eip: number;
  function?: string;
  file?: string;
  line?: number;
  /** The call stack there, innermost first (inlined functions as frames of their own); the first is function/file/line. */
  stack?: { function?: string; file?: string; line?: number }[];
}

export async function diff(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" }, ...IMAGE_OPTIONS }, true);
  if (positionals.length !== 2) throw new UsageError("name two recordings: lvmm diff A.lvmmrec B.lvmmrec");
  return withRecordingErrors(async () => {
    const [pa, pb] = positionals as [string, string];
    const [a, b] = [named(pa), named(pb)];
    const d = diffRecordings(a, b);
    const images = replayImages(values);
    // Each parting's point on each side (the divergence is the first of them).
    const [wa, wb] = [
      await sourcesAt(
        a,
        d.partings.map((p) => pointOf(p, "a")),
        images,
      ),
      await sourcesAt(
        b,
        d.partings.map((p) => pointOf(p, "b")),
        images,
      ),
    ];
    const where: Where[] = d.partings.map((_, i) => ({ a: wa[i]!, b: wb[i]! }));
    if (values.json) await writeJson({ ...d, partings: d.partings.map((p, i) => ({ ...p, where: where[i] })) });
    else await writeOut(report(pa, pb, d, where).join("\n") + "\n");
    return d.divergence ? EXIT.failed : EXIT.ok;
  });
}

/** A recording, its errors naming its file (there are two). */
function named(path: string): Recording {
  try {
    return loadRecording(path);
  } catch (e) {
    if (e instanceof RecordingError) throw new RecordingError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

/** A side's point of the divergence: its k-th behaviour, or where it ended without one. */
function pointOf(p: Parting, side: "a" | "b"): number {
  return (p[side] ?? p[`${side}End`]).icount;
}

/** Where a run was at each of `icounts`: one replay of it, forward through them in order. */
async function sourcesAt(rec: Recording, icounts: number[], images: ReplayImages): Promise<SourcePoint[]> {
  if (!icounts.length) return [];
  const { replayer: r, end } = await openReplay(rec, images);
  try {
    const m = r.machine;
    const kernel = images.kernel?.bytes ?? rec.kernel;
    const di = kernel ? DebugInfo.load(kernel) : undefined;
    const out: SourcePoint[] = [];
    for (const k of icounts.map((icount, i) => ({ icount, i })).sort((x, y) => x.icount - y.icount)) {
      m.run({ untilIcount: Math.min(k.icount, end.icount) });
      const eip = m.cpu.pc >>> 0;
      const line = di?.addressToLine(eip);
      const fn = di?.functionAt(eip)?.name;
      const r = m.cpu.registers();
      const read = (a: number, n: number) => {
        try {
          return m.cpu.readLinear(a >>> 0, n);
        } catch {
          return undefined;
        }
      };
      const stack = di ? sourceStack(di, [r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp, r.esi, r.edi, r.eip, r.eflags], read).map((f) => ({ ...f, ...(f.file ? { file: shortPath(f.file) } : {}) })) : [];
      const top = stack[0];
      out[k.i] = {
        icount: m.icountNumber,
        eip,
        ...(top?.function ? { function: top.function } : fn ? { function: fn } : {}),
        ...(top?.file ? { file: top.file, line: top.line } : line ? { file: shortPath(line.file), line: line.line } : {}),
        ...(stack.length > 1 ? { stack } : {}),
      };
    }
    return out;
  } finally {
    r.destroy();
  }
}

function report(pa: string, pb: string, d: RunDiff, where: Where[]): string[] {
  const out: string[] = [];
  for (const l of d.launch) out.push(`launch settings differ: ${l}`);
  const p = d.divergence;
  if (!p) {
    out.push(`${pa} and ${pb} did the same: ${d.matched.interrupt} interrupts, ${d.matched["rx-dma"]} receive interrupts, ${d.matched.console} console lines`);
  } else {
    out.push(`${pa} and ${pb} part at their ${ordinal(p.k + 1)} ${KIND_NAMES[p.kind]}${p.difference ? ` (${p.difference})` : ""}:`);
    out.push(`  A: ${side(p.a, p.aEnd, where[0]?.a)}`);
    out.push(`  B: ${side(p.b, p.bEnd, where[0]?.b)}`);
    out.push(`  the same before it: ${p.k} ${KIND_NAMES[p.kind]}${p.k === 1 ? "" : "s"}`);
    d.partings.slice(1).forEach((q, i) => {
      out.push(`then the ${KIND_NAMES[q.kind]}s part at the ${ordinal(q.k + 1)}${q.difference ? ` (${q.difference})` : ""}:`);
      out.push(`  A: ${side(q.a, q.aEnd, where[i + 1]?.a)}`);
      out.push(`  B: ${side(q.b, q.bEnd, where[i + 1]?.b)}`);
    });
  }
  if (d.console && (d.console.onlyA.length || d.console.onlyB.length)) {
    out.push("console lines only one run printed:");
    const listed = (xs: Behaviour[], who: string) => {
      for (const x of xs.slice(0, LISTED_LINES)) out.push(`  ${who} ${JSON.stringify(x.key)} at icount ${x.icount}`);
      if (xs.length > LISTED_LINES) out.push(`  ${who} and ${xs.length - LISTED_LINES} more`);
    };
    listed(d.console.onlyA, "A");
    listed(d.console.onlyB, "B");
  }
  const i = d.inputs;
  out.push(`inputs${p ? " before it" : ""}: ${i.a} frames in A, ${i.b} in B; ${i.differing} differ${i.differing ? ":" : ""}`);
  for (const m of i.first) {
    const at = (x: { icount: number; ns: number } | undefined) => (x ? `icount ${x.icount} (t=${(x.ns / 1e9).toFixed(9)} s)` : "none");
    const what = m.differs.includes("missing")
      ? `A ${at(m.a)}, B ${at(m.b)}`
      : [m.differs.includes("arrival") ? `arrived at ${at(m.a)} in A, ${at(m.b)} in B` : "", m.differs.includes("bytes") ? `bytes differ from byte ${m.firstByte}` : ""].filter(Boolean).join("; ");
    out.push(`  frame ${m.k + 1}: ${what}`);
  }
  if (i.differing > i.first.length) out.push(`  and ${i.differing - i.first.length} more`);
  return out;
}

/** Console lines listed per side (all are counted). */
const LISTED_LINES = 10;

const KIND_NAMES = { interrupt: "interrupt", "rx-dma": "receive interrupt", console: "console line" } as const;

function side(b: Behaviour | undefined, end: { icount: number; ns: number }, at: SourcePoint | undefined): string {
  const what = b ? `${b.summary} at icount ${b.icount} (t=${(b.ns / 1e9).toFixed(9)} s)` : `none: the recording ends at icount ${end.icount}`;
  if (!at) return what;
  const frame = (f: { function?: string; file?: string; line?: number }) =>
    f.file ? `${f.file}:${f.line}${f.function ? ` in ${f.function}` : ""}` : `eip 0x${at.eip.toString(16)}${f.function ? ` in ${f.function}` : ""}`;
  // The call stack, innermost first: "at e1000.c:144 in receive_batch < e1000.c:235 in service < ...".
  return `${what}, at ${(at.stack ?? [at]).map(frame).join(" < ")}`;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${s}`;
}
