// Where the user's code breakpoints go: a source line to the addresses of its code, a function
// to its first line after the prologue, an instruction reference to a guest RAM address. Each
// kind only places one breakpoint; BreakpointTable.set does the rest, the same for all three.
import { basename } from "node:path";
import type { BreakpointRequest, BreakpointResult } from "./breakpoint-table";
import { functionBreakpointLocation } from "./inline-presentation";
import type { Target } from "./target";

export function setSourceBreakpoints(t: Target, path: string, requests: readonly (BreakpointRequest & { line: number })[]): BreakpointResult[] {
  return t.breakpoints.set(`source:${path}`, "source", requests, (req) => {
    const r = t.debugInfo.lineToAddresses(path, req.line);
    if (r && r.addresses.length > 0) return { addresses: r.addresses, at: { file: r.file, line: r.line } };
    const known = t.debugInfo.sourceFiles().some((f) => f.endsWith("/" + basename(path)));
    return { line: req.line, message: known ? `no code at or after line ${req.line} in ${basename(path)}` : `${basename(path)} is not part of the kernel's debug info` };
  });
}

export function setFunctionBreakpoints(t: Target, requests: readonly (BreakpointRequest & { name: string })[]): BreakpointResult[] {
  return t.breakpoints.set("function", "function", requests, (req) => {
    const address = t.names.breakAddress(req.name.trim());
    if (address === undefined) return { message: `no function or symbol named "${req.name}"` };
    return { addresses: [address], shows: functionBreakpointLocation(t.debugInfo, address) };
  });
}

export function setInstructionBreakpoints(t: Target, requests: readonly (BreakpointRequest & { instructionReference: string; offset?: number })[]): BreakpointResult[] {
  return t.breakpoints.set("instruction", "instruction", requests, (req) => {
    const address = (Number(req.instructionReference) + (req.offset ?? 0)) >>> 0;
    const phys = t.physical(address);
    if (!Number.isFinite(Number(req.instructionReference)) || phys === undefined || phys >= t.machine.cpu.ramBytes) {
      return { message: `${req.instructionReference} is not an address in guest RAM` };
    }
    return { addresses: [address] };
  });
}
