// What the user reads when the guest stops: the DAP stop reason, a short description and the
// full text for each way the LVMM can stop, and the details of a CPU exception.
import type { StopReason } from "../vmm/stop-reason";
import { hex32 } from "./views/register-view";

export type StopCategory = "entry" | "step" | "breakpoint" | "function breakpoint" | "instruction breakpoint" | "data breakpoint" | "exception" | "pause" | "goto";

/** A line of a source file (the line a breakpoint stands on, or a stop shows). */
export interface SourceLine {
  file: string;
  line: number;
}

/**
 * How a stop shows in the Call Stack view, decided once by whatever ends the run. At the first
 * instruction of inlined code, a breakpoint set in the caller or a step that ends there shows
 * the caller at the call line, as gdb does: the innermost `hiddenInlineFrames` are hidden (step
 * into then enters them without running). At a source breakpoint whose address carries several
 * line rows (gcc schedules another line's code onto the same instruction), the innermost frame
 * shows the breakpoint's own `line`.
 */
export interface StopPresentation {
  hiddenInlineFrames: number;
  line: SourceLine | undefined;
}

/** Every frame as it is, each at its address's line. */
export const PLAIN: StopPresentation = { hiddenInlineFrames: 0, line: undefined };

export interface TargetStop {
  reason: StopCategory;
  description: string;
  text?: string;
  hitBreakpointIds?: number[];
  /** PLAIN when absent. */
  shows?: StopPresentation;
  /** The VMM's own stop reason, when the stop came from the machine rather than the debugger. */
  vm?: StopReason;
  exception?: ExceptionDetails;
}

export interface ExceptionDetails {
  /** Short id for the exception filter and the Exception widget, e.g. "#PF". */
  id: string;
  description: string;
  vector?: number;
  errorCode?: number;
  cr2?: number;
  /** EIP of the faulting instruction, from the frame the CPU pushed. */
  faultingEip?: number;
  breakMode: "always" | "unhandled";
}

/** The Exception widget's one line: vector, error code, CR2 and faulting EIP (with its symbol), as known. */
export function exceptionSummary(x: ExceptionDetails, symbolize: (address: number) => string | undefined): string {
  const details: string[] = [];
  if (x.vector !== undefined) details.push(`vector ${x.vector}`);
  if (x.errorCode !== undefined) details.push(`error code ${hex32(x.errorCode)}`);
  if (x.cr2 !== undefined) details.push(`CR2 ${hex32(x.cr2)}`);
  if (x.faultingEip !== undefined) {
    const sym = symbolize(x.faultingEip);
    details.push(`faulting EIP ${hex32(x.faultingEip)}${sym ? ` <${sym}>` : ""}`);
  }
  return details.join(", ") || x.description;
}

/** Vectors whose exceptions push an error code (IA-32 SDM vol. 3, table 6-1). */
export const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

export function describeVmStop(s: StopReason, faultingEip?: number): TargetStop {
  switch (s.kind) {
    case "paused":
      return { reason: "pause", description: "Paused", vm: s };
    case "host-request":
      return { reason: "pause", description: "Paused", text: s.detail, vm: s };
    case "limit":
      return { reason: "pause", description: "Paused at the run limit", vm: s };
    case "breakpoint":
      return { reason: "breakpoint", description: `Breakpoint at ${hex(s.address)}`, vm: s };
    case "watchpoint": {
      const text =
        s.register !== undefined
          ? `the NIC's register at offset 0x${s.register.toString(16)} changed, ${s.by === "dma" ? "by the NIC itself" : "by the CPU"}: ${bytes(s.oldBytes)} -> ${bytes(s.newBytes)}`
          : `${s.length} byte(s) at ${hex(s.address)} written by ${s.by === "dma" ? "a device (DMA)" : "the CPU"}: ${bytes(s.oldBytes)} -> ${bytes(s.newBytes)}`;
      return { reason: "data breakpoint", description: "Data breakpoint", text, hitBreakpointIds: [s.id], vm: s };
    }
    case "exception": {
      const parts = [`${s.name} (vector ${s.vector})`];
      if (s.errorCode !== undefined) parts.push(`error code ${hex(s.errorCode)}`);
      if (s.cr2 !== undefined) parts.push(`CR2=${hex(s.cr2)}`);
      if (faultingEip !== undefined) parts.push(`faulting EIP=${hex(faultingEip)}`);
      const id = s.name.split(" ")[0] ?? `vector ${s.vector}`;
      const text = `Guest CPU exception ${parts.join(", ")}; stopped on the first instruction of the guest's handler`;
      return {
        reason: "exception",
        description: `Exception ${s.name}`,
        text,
        vm: s,
        exception: { id, description: text, vector: s.vector, errorCode: s.errorCode, cr2: s.cr2, faultingEip, breakMode: "always" },
      };
    }
    case "triple-fault":
      return crash(s, "TRIPLE-FAULT", "Triple fault", `The guest triple-faulted and the machine is frozen for inspection: ${s.detail}`);
    case "hang":
      return crash(s, "HANG", "Hang: interrupts disabled", `The guest hangs: ${s.detail}`);
    case "halted":
      return crash(s, "HALTED", "Guest halted", `The guest stopped for good: ${s.detail}`);
    case "device-fault":
      return crash(s, "DEVICE-FAULT", `Device fault (${s.device})`, `The ${s.device} refused a DMA the guest programmed: ${s.detail}`);
  }
}

function crash(s: StopReason, id: string, description: string, text: string): TargetStop {
  return { reason: "exception", description, text, vm: s, exception: { id, description: text, breakMode: "unhandled" } };
}

function bytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}
