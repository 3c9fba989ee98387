// The `lvmm/history` request (src/protocols/time-travel-protocol.ts): what to follow (a data
// breakpoint id from dataBreakpointInfo, for memory or a NIC register, or a linear range), the
// search over the run (ReverseControl.memoryHistory: progress, cancel, the machine back where it
// was), and each change as the client shows it: the storing code's frames and source lines, or
// the NIC's receive DMA with its descriptor and frame.
import type { ReverseControl } from "./reverse-control";
import type { Target } from "./target";
import { TimeTravelRequestError } from "./time-travel-requests";
import { summarizeFrame } from "../vmm/recording/packet-view";
import type { HistoryChange, HistoryResult } from "../protocols/time-travel-protocol";
import { firstChangedByte, type MemoryHistory } from "../vmm/memory-history";
import { parseDataId } from "./data-breakpoints";

/** `source` maps a file the debug info names to what the client opens (the session's sourceMap). */
type Source = (file: string) => { name: string; path: string };

export async function historyRequest(rawArgs: unknown, t: Target, r: ReverseControl, source: Source): Promise<HistoryResult> {
  const args = (rawArgs && typeof rawArgs === "object" ? rawArgs : {}) as Record<string, unknown>;
  if (t.isRunning) throw new TimeTravelRequestError("the guest is running; pause it first");
  let linear: number;
  let length: number;
  const target = typeof args.dataId === "string" ? parseDataId(args.dataId) : undefined;
  if (target?.kind === "nic") return nicHistory(target.name, target.offset, args, t, r, source);
  if (target) {
    linear = target.linear;
    length = target.size;
  } else if (typeof args.address === "number" && typeof args.length === "number") {
    linear = args.address;
    length = args.length;
  } else {
    throw new TimeTravelRequestError(`lvmm/history needs a dataId ("ADDRESS:SIZE", as dataBreakpointInfo gives it) or an address and a length; got ${JSON.stringify(rawArgs)}`);
  }
  if (!Number.isInteger(length) || length < 1 || length > 4096) throw new TimeTravelRequestError(`lvmm/history follows 1 to 4096 bytes, got ${length}`);
  const address = t.physical(linear);
  if (address === undefined) throw new TimeTravelRequestError(`0x${(linear >>> 0).toString(16)} is not mapped here`);
  const limit = limitOf(args);
  const h = await r.memoryHistory({ address, length }, limit);
  if (!h) return { address: linear, length, from: r.firstIcount, to: r.presentIcount, truncated: false, cancelled: true, changes: [] };
  return { address: linear, length, from: h.from, to: h.to, truncated: h.truncated, changes: changesOf(h, t, source) };
}

/** The history of one of the NIC's registers (a "e1000:NAME" data id). */
async function nicHistory(name: string, offset: number, args: Record<string, unknown>, t: Target, r: ReverseControl, source: Source): Promise<HistoryResult> {
  const h = await r.memoryHistory({ address: offset, length: 4, register: true }, limitOf(args));
  const base = { address: offset, length: 4, register: name };
  if (!h) return { ...base, from: r.firstIcount, to: r.presentIcount, truncated: false, cancelled: true, changes: [] };
  return { ...base, from: h.from, to: h.to, truncated: h.truncated, changes: changesOf(h, t, source) };
}

function limitOf(args: Record<string, unknown>): number | undefined {
  return typeof args.limit === "number" && Number.isSafeInteger(args.limit) && args.limit > 0 ? args.limit : undefined;
}

/** Each change as the client shows it: the storing code (innermost inlined frame first), or the DMA. */
function changesOf(h: MemoryHistory, t: Target, source: Source): HistoryChange[] {
  const di = t.debugInfo;
  return h.changes.map((c): HistoryChange => {
    const out: HistoryChange = { icount: c.icount, ns: c.ns, by: c.by, old: hex(c.oldBytes), new: hex(c.newBytes), offset: firstChangedByte(c) };
    if (c.pc !== undefined) {
      out.pc = c.pc;
      const frames = di.inlineFramesAt(c.pc).map((f) => ({ function: f.name, ...(f.file ? { source: source(f.file) } : {}), ...(f.line ? { line: f.line } : {}) }));
      const inner = frames[0];
      if (inner) {
        out.function = inner.function;
        if (inner.source) out.source = inner.source;
        if (inner.line) out.line = inner.line;
        if (frames.length > 1) out.frames = frames;
      }
    }
    if (c.rx) out.rx = { index: c.rx.index, frame: summarizeFrame(c.rx.bytes) };
    return out;
  });
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
