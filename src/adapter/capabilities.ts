// What the adapter offers a client, each capability with the UI it turns on (the initialize
// response). EXCEPTION_FILTERS (target.ts) are the CPU exceptions the Breakpoints view offers.
import type { DebugProtocol } from "@vscode/debugprotocol";
import { EXCEPTION_FILTERS } from "./target";

export const CAPABILITIES: DebugProtocol.Capabilities = {
  // launch waits for the breakpoints the client sends before configurationDone
  supportsConfigurationDoneRequest: true,
  // Breakpoints view: function breakpoints
  supportsFunctionBreakpoints: true,
  // breakpoint context menu: "Edit Condition" with a C expression
  supportsConditionalBreakpoints: true,
  // breakpoint context menu: "Edit Hit Count"
  supportsHitConditionalBreakpoints: true,
  // "Add Logpoint..." in the editor gutter
  supportsLogPoints: true,
  // gutter hints of the lines where a breakpoint can go
  supportsBreakpointLocationsRequest: true,
  // Disassembly view: breakpoints on instructions
  supportsInstructionBreakpoints: true,
  // Variables/Watch view: "Break on Value Change"
  supportsDataBreakpoints: true,
  // memory view: data breakpoints on a raw address range
  supportsDataBreakpointBytes: true,
  // Breakpoints view: CPU exception filters
  exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ filter: f.id, label: f.label, description: f.description, default: false })),
  // Exception widget with vector, error code, CR2 and faulting EIP
  supportsExceptionInfoRequest: true,
  // hovering a C expression in the editor shows its value
  supportsEvaluateForHovers: true,
  // Variables view: "Set Value" on variables and registers
  supportsSetVariable: true,
  // Variables view: "View Binary Data" / memory view
  supportsReadMemoryRequest: true,
  // memory view: editing bytes
  supportsWriteMemoryRequest: true,
  // Disassembly view ("Open Disassembly View")
  supportsDisassembleRequest: true,
  // the Disassembly view steps by instruction
  supportsSteppingGranularity: true,
  // Variables view: "Display as hex"
  supportsValueFormattingOptions: true,
  // the stop button ends the session with a terminate request first
  supportsTerminateRequest: true,
  // Step Back and Reverse buttons in the debug toolbar (reverse-control.ts)
  supportsStepBack: true,
  // Debug Console: completion of C names in scope, struct members and $registers
  supportsCompletionsRequest: true,
  // Debug Console: the completion list opens by itself after ".", "->" and "$"
  completionTriggerCharacters: [".", ">", "$"],
  // Watch view: "Set Value" on a C lvalue (the Variables view too, through evaluateName)
  supportsSetExpression: true,
  // Call Stack view: the top frames at once, "Load More Stack Frames" for a deep stack
  supportsDelayedStackTraceLoading: true,
  // the Cancel button of a progress notification (a long seek, search or recording read)
  supportsCancelRequest: true,
};
