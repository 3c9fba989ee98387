// The custom DAP requests and events of time travel (reverse stepping, seeks, the timeline and
// the NIC DMA inspector), shared by the adapter and the extension. Types and names only: the
// extension imports this file without pulling in the adapter.

/** Custom requests (DAP has none for reverse step over/out: debug-adapter-protocol#106). */
export const TT_REQUEST = {
  reverseStepOver: "lvmm/reverseStepOver",
  reverseStepOut: "lvmm/reverseStepOut",
  /** { icount } -> stopped "goto" */
  goto: "lvmm/goto",
  /** -> { icount, ns, present, first, inPast } */
  position: "lvmm/position",
  /** TimelineQuery -> TimelineData */
  timeline: "lvmm/timeline",
  /** { limit? } -> DmaHistory */
  dma: "lvmm/dma",
  /** -> { requeued } : the current past position becomes the present */
  goLive: "lvmm/goLive",
  /** -> { ns, bytes (base64) } | {} */
  nextFrame: "lvmm/nextFrame",
  /** { bytes (base64) } : replaces the next queued wire frame */
  editNextFrame: "lvmm/editNextFrame",
  /** HistoryArguments -> HistoryResult: every change to a memory range, first checkpoint to present */
  history: "lvmm/history",
} as const;

export const MARKER_KINDS = ["interrupt", "rx", "tx", "breakpoint", "control", "exception"] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];

export interface TimelineQuery {
  /** Instruction-count range; defaults to the whole run. */
  from?: number;
  to?: number;
  /** Pixel buckets (1..4096). */
  buckets: number;
}

export interface MarkerBuckets {
  /** Events per bucket. */
  counts: number[];
  /** Instruction count of the first event in each bucket (-1 for none). */
  first: number[];
}

export interface TimelineData {
  from: number;
  to: number;
  buckets: number;
  /** Where the machine is, and the run's extent. */
  position: number;
  present: number;
  first: number;
  /** Virtual time (ns) at each bucket boundary (buckets + 1 values; interpolated). */
  ns: number[];
  markers: Record<MarkerKind, MarkerBuckets>;
}

export interface DmaDescriptorInfo {
  index: number;
  addr: number;
  length: number;
  status: number;
  errors: number;
  dmaIcount: number;
  consumedIcount: number;
  /** base64 */
  bytes: string;
}

export interface DmaInterruptInfo {
  seq: number;
  icrIcount: number;
  icrNs: number;
  icr: number;
  rdt?: number;
  rdtIcount?: number;
  descriptors: DmaDescriptorInfo[];
}

export interface DmaTransmitInfo {
  index: number;
  addr: number;
  length: number;
  cmd: number;
  status: number;
  icount: number;
  ns: number;
  bytes: string;
}

export interface DmaHistory {
  /** Totals over the whole run; the lists hold the latest `limit`. */
  rxTotal: number;
  txTotal: number;
  rx: DmaInterruptInfo[];
  tx: DmaTransmitInfo[];
}

export interface PositionInfo {
  icount: number;
  ns: number;
  present: number;
  first: number;
  inPast: boolean;
}

/** What `lvmm/history` follows: a data breakpoint id ("ADDRESS:SIZE" or "e1000:NAME", from dataBreakpointInfo) or a linear range. */
export interface HistoryArguments {
  dataId?: string;
  address?: number;
  length?: number;
  /** Most changes listed (default 10,000). */
  limit?: number;
}

export interface HistoryChange {
  icount: number;
  ns: number;
  by: "cpu" | "dma";
  /** The whole range before and after, hex. */
  old: string;
  new: string;
  /** The first byte that changed, from the range's start. */
  offset: number;
  /** A CPU store: the storing instruction, its function and source line. */
  pc?: number;
  function?: string;
  source?: { name: string; path: string };
  line?: number;
  /** In inlined code: each frame out to the real function, innermost first (the call sites' lines). */
  frames?: { function: string; source?: { name: string; path: string }; line?: number }[];
  /** The NIC's receive DMA: the descriptor it filled and a summary of the frame. */
  rx?: { index: number; frame: string };
}

export interface HistoryResult {
  /** The range as the request named it (linear; a NIC register's offset), and the span searched. */
  address: number;
  length: number;
  /** Set for a NIC register: its datasheet name (changes by the NIC itself come as by "dma"). */
  register?: string;
  from: number;
  to: number;
  truncated: boolean;
  /** The search was cancelled: no changes are listed. */
  cancelled?: boolean;
  changes: HistoryChange[];
}
