// The human-readable event log (`lvmm events`, syntaxes/lvmm-events.tmLanguage.json): one line
// per event, "ICOUNT  TIME s  KIND  details", sorted by instruction count; "#" lines are notes.
import type { RecordedEvent } from "./codec";
import { EVENT_KIND_NAMES, EventKind, type RecordingHeader } from "./format";
import { summarizeFrame } from "./packet-view";

const RXD_STATUS = [
  [0x01, "DD"],
  [0x02, "EOP"],
  [0x04, "IXSM"],
  [0x08, "VP"],
  [0x20, "TCPCS"],
  [0x40, "IPCS"],
  [0x80, "PIF"],
] as const;
const TXD_CMD = [
  [0x01, "EOP"],
  [0x02, "IFCS"],
  [0x04, "IC"],
  [0x08, "RS"],
  [0x10, "RPS"],
  [0x20, "DEXT"],
  [0x40, "VLE"],
  [0x80, "IDE"],
] as const;

export function bits(value: number, names: readonly (readonly [number, string])[]): string {
  const set = names.filter(([b]) => value & b).map(([, n]) => n);
  return set.length ? set.join("|") : "0";
}
export const rxStatusBits = (s: number): string => bits(s, RXD_STATUS);
export const txCmdBits = (c: number): string => bits(c, TXD_CMD);

export function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

export function headerLines(h: RecordingHeader): string[] {
  const l = h.launch;
  return [
    `# lvmm recording: format ${h.formatVersion}, v86 ${h.v86.version}, created ${h.createdAt}`,
    `# kernel ${h.kernel.name} sha256 ${h.kernel.sha256}${h.kernel.embedded ? " (embedded)" : ""}`,
    ...(l.disk ? [`# disk ${l.disk.bytes} bytes sha256 ${l.disk.sha256}${l.disk.embedded ? " (embedded)" : ""}`] : []),
    `# launch cmdline ${JSON.stringify(l.cmdline)} memory ${l.memoryMB} MiB, ${l.mips} MIPS, jit ${l.jit ? "on" : "off"}, mac ${l.mac ?? "none"}, seed ${l.seed}`,
    ...(Object.keys(h.scenario).length ? [`# scenario ${JSON.stringify(h.scenario)}`] : []),
    ...(h.start
      ? [
          `# starts at a snapshot at icount ${h.start.icount}, t=${(h.start.ns / 1e9).toFixed(9)} s, not at power-on${h.start.consoleLine ? ` (console line begun: ${JSON.stringify(h.start.consoleLine)})` : ""}`,
        ]
      : []),
    `#         icount           time  kind        details`,
  ];
}

export function eventLine(e: RecordedEvent): string {
  return `${String(e.icount).padStart(16)} ${(e.ns / 1e9).toFixed(9).padStart(14)}s  ${EVENT_KIND_NAMES[e.kind].padEnd(10)}  ${details(e)}`;
}

function details(e: RecordedEvent): string {
  switch (e.kind) {
    case EventKind.FrameIn:
      return `${e.bytes.length} bytes ${summarizeFrame(e.bytes)}`;
    case EventKind.SerialIn:
    case EventKind.SerialOut:
      return JSON.stringify(e.text);
    case EventKind.ControlCommand:
      return JSON.stringify(e.command);
    case EventKind.Interrupt:
      return `irq ${e.irq}`;
    case EventKind.CheckpointHash:
      return `sha256 ${e.hash}${e.snapshotChunk >= 0 ? ` snapshot chunk ${e.snapshotChunk}` : ""}`;
    case EventKind.InputDigest:
      return `digest ${e.digest}`;
    case EventKind.RxDmaInterrupt: {
      const r = e.rx;
      const ds = r.descriptors.map((d) => `[${d.index}] ${hex32(d.addr)} len ${d.length} ${rxStatusBits(d.status)} dma@${d.dmaIcount}`).join(", ");
      return `#${r.seq} icr ${hex32(r.icr)}${r.rdt !== undefined ? ` rdt ${r.rdt}@${r.rdtIcount}` : ""} ${r.descriptors.length} desc${ds ? `: ${ds}` : ""}`;
    }
    case EventKind.TxDma:
      return `[${e.tx.index}] ${hex32(e.tx.addr)} len ${e.tx.length} ${txCmdBits(e.tx.cmd)} ${summarizeFrame(e.tx.bytes)}`;
    case EventKind.End:
      return `${e.end.reason}${e.end.detail ? `: ${e.end.detail}` : ""}`;
  }
}

/** One event for `lvmm events --json`: its recorded fields, its kind's name and the details of its text line. */
export function eventJson(e: RecordedEvent): Record<string, unknown> {
  return { ...e, kind: EVENT_KIND_NAMES[e.kind], details: details(e) };
}

/** Events sorted by instruction count (stable: same-count events keep their recorded order). */
export function sortedEvents(events: readonly RecordedEvent[]): RecordedEvent[] {
  return events
    .map((e, i) => [e, i] as const)
    .sort((a, b) => a[0].icount - b[0].icount || a[1] - b[1])
    .map(([e]) => e);
}
