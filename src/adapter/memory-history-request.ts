// The `lvmm/history` request (src/protocols/time-travel-protocol.ts): which range to follow (a
// data breakpoint id from dataBreakpointInfo, or a linear range), the search over the run
// (ReverseControl.memoryHistory: progress, cancel, the machine back where it was), and each
// change as the client shows it: the storing instruction's function and source line, or the
// NIC's receive DMA with its descriptor and frame.
import type { ReverseControl } from "./reverse-control";
import type { Target } from "./target";
import { TimeTravelRequestError } from "./time-travel-requests";
import { summarizeFrame } from "../vmm/recording/packet-view";
import type { HistoryChange, HistoryResult } from "../protocols/time-travel-protocol";

/** `source` maps a file the debug info names to what the client opens (the session's sourceMap). */
export async function historyRequest(rawArgs: unknown, t: Target, r: ReverseControl, source: (file: string) => { name: string; path: string }): Promise<HistoryResult> {
  const args = (rawArgs && typeof rawArgs === "object" ? rawArgs : {}) as Record<string, unknown>;
  if (t.isRunning) throw new TimeTravelRequestError("the guest is running; pause it first");
  let linear: number;
  let length: number;
  const m = typeof args.dataId === "string" ? /^(\d+):(\d+)$/.exec(args.dataId) : null;
  if (m) {
    linear = Number(m[1]);
    length = Number(m[2]);
  } else if (typeof args.address === "number" && typeof args.length === "number") {
    linear = args.address;
    length = args.length;
  } else {
    throw new TimeTravelRequestError(`lvmm/history needs a dataId ("ADDRESS:SIZE", as dataBreakpointInfo gives it) or an address and a length; got ${JSON.stringify(rawArgs)}`);
  }
  if (!Number.isInteger(length) || length < 1 || length > 4096) throw new TimeTravelRequestError(`lvmm/history follows 1 to 4096 bytes, got ${length}`);
  const address = t.physical(linear);
  if (address === undefined) throw new TimeTravelRequestError(`0x${(linear >>> 0).toString(16)} is not mapped here`);
  const limit = typeof args.limit === "number" && Number.isSafeInteger(args.limit) && args.limit > 0 ? args.limit : undefined;
  const h = await r.memoryHistory({ address, length }, limit);
  if (!h) return { address: linear, length, from: r.firstIcount, to: r.presentIcount, truncated: false, cancelled: true, changes: [] };
  const di = t.debugInfo;
  const changes = h.changes.map((c): HistoryChange => {
    let offset = 0;
    while (offset < length - 1 && c.oldBytes[offset] === c.newBytes[offset]) offset++;
    const out: HistoryChange = { icount: c.icount, ns: c.ns, by: c.by, old: hex(c.oldBytes), new: hex(c.newBytes), offset };
    if (c.pc !== undefined) {
      out.pc = c.pc;
      const fn = di.functionAt(c.pc)?.name;
      const at = di.addressToLine(c.pc);
      if (fn) out.function = fn;
      if (at) {
        out.source = source(at.file);
        out.line = at.line;
      }
    }
    if (c.rx) out.rx = { index: c.rx.index, frame: summarizeFrame(c.rx.bytes) };
    return out;
  });
  return { address: linear, length, from: h.from, to: h.to, truncated: h.truncated, changes };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
