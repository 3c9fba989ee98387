// Public surface of the ELF/DWARF reader for the debug adapter.
export { DebugInfo, type BreakpointLocation, type BreakpointResolution, type FrameState, type InlineFrame, type LoadOptions } from "./debug-info.js";
export { DwarfError, type DwarfErrorCode } from "./errors.js";
export { evaluateLocation, evaluateValue, type ExpressionContext, type Location, type LocationPiece, type MemoryReader, type RegisterReader } from "./expr.js";
export type { LineRange, SourceLocation } from "./line-index.js";
export type { LocationDescription, LocationListEntry } from "./locations.js";
export type { FunctionInfo, GlobalVariable, InlinedCall, Scope, ScopeKind, Variable } from "./program.js";
export type { PcRange } from "./ranges.js";
export { elementType, membersOf, resolveType, sizeOf, typeName, type ArrayDimension, type DwarfType, type Enumerator, type Member } from "./types.js";
export type { Frame, RegisterValues, UnwindOptions } from "./unwind.js";
export { I386, I386_REGISTER_NAMES } from "./constants.js";
