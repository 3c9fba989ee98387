// Where a stop at the first instruction of inlined code shows, as gdb does: in the frame the
// user stopped in (a breakpoint's frame, or the caller a step ended in), at the call's line,
// with the inlined frames that begin there hidden until step into enters them.
import type { DebugInfo } from "./dwarf";
import type { CodeBreakpoint } from "./breakpoint-table";
import type { SourceLine, StopPresentation } from "./stop-description";

/**
 * How many innermost inlined frames start exactly at `pc` (their inlined code begins there), so
 * can be shown as the call line of their caller instead.
 */
export function inlineEntriesAt(di: DebugInfo, pc: number): number {
  const frames = di.inlineFramesAt(pc);
  let k = 0;
  for (const f of frames) {
    const r = f.inlined?.ranges;
    if (!r || r.length === 0) break;
    if (pc !== r[0]!.low && pc !== Math.min(...r.map((x) => x.low))) break;
    k++;
  }
  return Math.min(k, Math.max(0, frames.length - 1));
}

/**
 * How many entering inlined frames a stop on `bp` at `pc` hides, so the stop shows the frame the
 * breakpoint was set in, as gdb does (it stops in an inlined frame only for a breakpoint set
 * there). A function breakpoint is set in the function's own frame: inlined calls that begin at
 * its address show as their call line there. A source breakpoint is set in the frame at its
 * line; when none of them is at that line (the compiler hoisted an inlined call's first
 * instruction up to the breakpoint's line, as GCC does with setup_rx in e1000_init), in the
 * function's own frame in the breakpoint's file, which then shows that line. An instruction
 * breakpoint names no frame: the innermost shows.
 */
export function hideForBreakpoint(di: DebugInfo, pc: number, bp: CodeBreakpoint): number {
  const k = inlineEntriesAt(di, pc);
  if (k === 0 || bp.kind === "instruction") return 0;
  if (bp.kind === "function") return k;
  if (bp.line === undefined) return 0;
  const frames = di.inlineFramesAt(pc);
  for (let h = 0; h <= k; h++) {
    const f = frames[h];
    if (f && f.line === bp.line && (bp.file === undefined || f.file === bp.file)) return h;
  }
  const own = frames[k];
  return own && !own.inlined && bp.file !== undefined && own.file === bp.file ? k : 0;
}

/** How a stop on `bp` at `address` shows: the frame the breakpoint was set in, at the breakpoint's line. */
export function breakpointPresentation(di: DebugInfo, address: number, bp: CodeBreakpoint): StopPresentation {
  const hiddenInlineFrames = hideForBreakpoint(di, address, bp);
  // The address came from the breakpoint's line: show that line when the frame is the function's own.
  const shown = di.inlineFramesAt(address)[hiddenInlineFrames];
  const own = bp.kind === "source" && bp.file && bp.line !== undefined && shown && !shown.inlined && shown.file === bp.file && shown.line !== bp.line;
  return { hiddenInlineFrames, line: own ? { file: bp.file!, line: bp.line! } : undefined };
}

/** Where a stop on a function breakpoint at `pc` shows the top frame (the Breakpoints view lists it). */
export function functionBreakpointLocation(di: DebugInfo, pc: number): SourceLine | undefined {
  const f = di.inlineFramesAt(pc)[inlineEntriesAt(di, pc)] ?? di.addressToLine(pc);
  return f?.file !== undefined && f.line !== undefined ? { file: f.file, line: f.line } : undefined;
}
