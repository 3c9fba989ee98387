// Where the CPU is in the source, as a call stack: each physical frame the unwinder finds, and
// within it each function inlined there, innermost first, with the line it is at (the call
// site's line for outer frames). For reports that name a point of a run (lvmm diff).
import type { DebugInfo } from "./debug-info";
import type { MemoryReader } from "./expr";

export interface SourceFrame {
  function?: string;
  file?: string;
  line?: number;
}

/** `regs` in DWARF i386 order (eax ecx edx ebx esp ebp esi edi eip eflags). */
export function sourceStack(di: DebugInfo, regs: (number | undefined)[], read: MemoryReader, maxFrames = 16): SourceFrame[] {
  const out: SourceFrame[] = [];
  for (const f of di.unwind(regs, read, { maxFrames })) {
    const inlined = di.inlineFramesAt(f.lookupPc);
    if (inlined.length) {
      for (const x of inlined) out.push({ function: x.name, ...(x.file ? { file: x.file } : {}), ...(x.line ? { line: x.line } : {}) });
      continue;
    }
    const at = di.addressToLine(f.lookupPc);
    const fn = di.functionAt(f.lookupPc)?.name;
    out.push({ ...(fn ? { function: fn } : {}), ...(at ? { file: at.file, line: at.line } : {}) });
  }
  return out;
}
