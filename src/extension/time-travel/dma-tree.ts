// The NIC DMA inspector: a tree of receive interrupts, each with the descriptors the driver
// consumed (index, buffer address, length, status bits decoded), each with its packet decoded
// (Ethernet, ARP, IPv4, UDP, RTP) and a hex dump; transmits the same way. Data comes from the
// adapter's lvmm/dma request and is fetched again whenever the session stops.
import * as vscode from "vscode";
import { DEBUG_TYPE, STATUS_EVENT } from "../../protocols/adapter-contract";
import { TT_REQUEST, type DmaDescriptorInfo, type DmaHistory, type DmaInterruptInfo, type DmaTransmitInfo } from "../../protocols/time-travel-protocol";
import { describeFrame, hexDump } from "../../vmm/recording/packet-view";
import { activeLvmmSession, lvmmRequest } from "./session";

export const DMA_VIEW_ID = "lvmm.dmaInspector";

/** RX descriptor status bits (Intel 8254x SDM 3.2.3.1, table 3-2). */
const RX_STATUS: [number, string][] = [
  [0x01, "DD"],
  [0x02, "EOP"],
  [0x04, "IXSM"],
  [0x08, "VP"],
  [0x20, "TCPCS"],
  [0x40, "IPCS"],
  [0x80, "PIF"],
];
/** RX descriptor error bits (table 3-3). */
const RX_ERRORS: [number, string][] = [
  [0x01, "CE"],
  [0x02, "SE"],
  [0x04, "SEQ"],
  [0x20, "TCPE"],
  [0x40, "IPE"],
  [0x80, "RXE"],
];
/** TX legacy descriptor command bits (3.3.3.1, table 3-11) and status (table 3-12). */
const TX_CMD: [number, string][] = [
  [0x01, "EOP"],
  [0x02, "IFCS"],
  [0x04, "IC"],
  [0x08, "RS"],
  [0x10, "RPS"],
  [0x20, "DEXT"],
  [0x40, "VLE"],
  [0x80, "IDE"],
];
const TX_STATUS: [number, string][] = [
  [0x01, "DD"],
  [0x02, "EC"],
  [0x04, "LC"],
  [0x08, "TU"],
];

export function bits(value: number, names: [number, string][]): string {
  const set = names.filter(([b]) => value & b).map(([, n]) => n);
  return `0x${value.toString(16).padStart(2, "0")}${set.length ? ` (${set.join(" ")})` : ""}`;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
const decode64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

export type DmaNode =
  | { kind: "group"; dir: "rx" | "tx"; label: string }
  | { kind: "interrupt"; rx: DmaInterruptInfo }
  | { kind: "rxDescriptor"; rx: DmaInterruptInfo; d: DmaDescriptorInfo }
  | { kind: "txDescriptor"; tx: DmaTransmitInfo }
  | { kind: "line"; text: string; icount?: number; hexDump?: boolean };

export class DmaInspector implements vscode.TreeDataProvider<DmaNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DmaNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** The last history fetched (tests read it). */
  history: DmaHistory | undefined;
  private error: string | undefined;

  constructor() {
    this.disposables.push(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type === DEBUG_TYPE && e.event === STATUS_EVENT && (e.body as { state?: string })?.state !== "running") void this.refresh();
      }),
      vscode.debug.onDidTerminateDebugSession(() => void this.refresh()),
    );
  }

  async refresh(): Promise<void> {
    if (!activeLvmmSession()) {
      this.history = undefined;
      this.error = undefined;
    } else {
      try {
        this.history = await lvmmRequest<DmaHistory>(TT_REQUEST.dma, { limit: 200 });
        this.error = undefined;
      } catch (e) {
        this.error = e instanceof Error ? e.message : String(e);
      }
    }
    this.changed.fire(undefined);
  }

  getTreeItem(n: DmaNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (n.kind) {
      case "group": {
        const item = new vscode.TreeItem(n.label, C.Expanded);
        item.contextValue = "group";
        return item;
      }
      case "interrupt": {
        const r = n.rx;
        const item = new vscode.TreeItem(`Interrupt ${r.seq}: ${r.descriptors.length} descriptor(s)`, r.descriptors.length ? C.Collapsed : C.None);
        item.description = `ICR ${bits(r.icr, [
          [0x80, "RXT0"],
          [0x10, "RXDMT0"],
          [0x40, "RXO"],
          [0x01, "TXDW"],
          [0x04, "LSC"],
        ])} @ ${r.icrIcount} · ${(r.icrNs / 1e6).toFixed(3)} ms`;
        item.tooltip = `ICR read at instruction ${r.icrIcount}${r.rdtIcount !== undefined ? `; RDT=${r.rdt} written at ${r.rdtIcount}` : ""}`;
        item.contextValue = "dmaEvent";
        item.iconPath = new vscode.ThemeIcon("arrow-down");
        return item;
      }
      case "rxDescriptor": {
        const d = n.d;
        const item = new vscode.TreeItem(`RX desc ${d.index}: ${d.length} bytes at ${hex(d.addr)}`, C.Collapsed);
        item.description = `status ${bits(d.status, RX_STATUS)}${d.errors ? ` errors ${bits(d.errors, RX_ERRORS)}` : ""}`;
        item.tooltip = `DMA write at instruction ${d.dmaIcount}; consumed (RDT write) at ${d.consumedIcount}`;
        item.contextValue = "dmaEvent";
        return item;
      }
      case "txDescriptor": {
        const t = n.tx;
        const item = new vscode.TreeItem(`TX desc ${t.index}: ${t.length} bytes at ${hex(t.addr)}`, C.Collapsed);
        item.description = `cmd ${bits(t.cmd, TX_CMD)} status ${bits(t.status, TX_STATUS)} @ ${t.icount}`;
        item.contextValue = "dmaEvent";
        item.iconPath = new vscode.ThemeIcon("arrow-up");
        return item;
      }
      case "line": {
        const item = new vscode.TreeItem(n.text, C.None);
        if (n.hexDump) item.tooltip = n.text;
        return item;
      }
    }
  }

  getChildren(n?: DmaNode): DmaNode[] {
    if (!n) {
      const h = this.history;
      if (!h) return [{ kind: "line", text: this.error ? `Could not read the DMA log: ${this.error}` : "Start an LVMM debug session to inspect NIC DMA." }];
      const shown = (total: number, n: number) => (total > n ? ` (latest ${n} of ${total})` : "");
      return [
        { kind: "group", dir: "rx", label: `Receive interrupts: ${h.rxTotal}${shown(h.rxTotal, h.rx.length)}` },
        { kind: "group", dir: "tx", label: `Transmit descriptors: ${h.txTotal}${shown(h.txTotal, h.tx.length)}` },
      ];
    }
    switch (n.kind) {
      case "group":
        return n.dir === "rx" ? [...(this.history?.rx ?? [])].reverse().map((rx) => ({ kind: "interrupt", rx })) : [...(this.history?.tx ?? [])].reverse().map((tx) => ({ kind: "txDescriptor", tx }));
      case "interrupt":
        return n.rx.descriptors.map((d) => ({ kind: "rxDescriptor", rx: n.rx, d }));
      case "rxDescriptor":
        return packetLines(decode64(n.d.bytes), n.d.dmaIcount);
      case "txDescriptor":
        return packetLines(decode64(n.tx.bytes), n.tx.icount);
      case "line":
        return [];
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The instruction count an item stands for (its DMA write, or the interrupt's ICR read). */
export function icountOf(n: DmaNode): number | undefined {
  switch (n.kind) {
    case "interrupt":
      return n.rx.icrIcount;
    case "rxDescriptor":
      return n.d.dmaIcount;
    case "txDescriptor":
      return n.tx.icount;
    case "line":
      return n.icount;
    default:
      return undefined;
  }
}

/** The first DMA write of an item (an interrupt's first descriptor). */
export function dmaWriteOf(n: DmaNode): number | undefined {
  if (n.kind === "interrupt") return n.rx.descriptors[0]?.dmaIcount;
  return icountOf(n);
}

function packetLines(bytes: Uint8Array, icount: number): DmaNode[] {
  return [...describeFrame(bytes, "").map((text): DmaNode => ({ kind: "line", text, icount })), ...hexDump(bytes, "", 4096).map((text): DmaNode => ({ kind: "line", text, icount, hexDump: true }))];
}
