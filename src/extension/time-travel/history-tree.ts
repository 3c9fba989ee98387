// The History view: every change to a value over the run (the adapter's lvmm/history), one row
// per change with its instruction count, the bytes before and after, and its writer: the CPU at
// a source line, or the NIC's receive DMA with its descriptor and frame. A click goes to the
// change (lvmm/goto); a CPU change's row also opens its line. The value is chosen with "History
// of This Value" on a variable or watch expression, or by expression from the command palette.
import * as vscode from "vscode";
import type { HistoryChange, HistoryResult } from "../../protocols/time-travel-protocol";

export const HISTORY_VIEW_ID = "lvmm.memoryHistory";
/** Goes to a change (its row's click). */
export const HISTORY_GOTO_COMMAND = "lvmm.history.goto";
/** Opens a CPU change's source line (its row's context action). */
export const HISTORY_OPEN_COMMAND = "lvmm.history.openSource";

export type HistoryNode = { kind: "summary"; text: string } | { kind: "change"; c: HistoryChange; k: number };

/** Bytes a row shows, from the first that changed. */
const SHOWN_BYTES = 8;

export class HistoryView implements vscode.TreeDataProvider<HistoryNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HistoryNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** What the view shows (tests read it): the value's name and the adapter's answer. */
  shown: { name: string; result: HistoryResult } | undefined;

  show(name: string, result: HistoryResult): void {
    this.shown = { name, result };
    this.changed.fire(undefined);
  }

  getChildren(node?: HistoryNode): HistoryNode[] {
    if (node || !this.shown) return [];
    const { name, result: r } = this.shown;
    const n = r.changes.length;
    const what = r.register ? `the NIC's ${r.register} register` : `${r.length} bytes at 0x${hex32(r.address)}`;
    const summary = r.cancelled ? `${name}: cancelled` : `${name} (${what}): ${n} change${n === 1 ? "" : "s"}${r.truncated ? ", the first ones (limit reached)" : ""}`;
    return [{ kind: "summary", text: summary }, ...r.changes.map((c, k): HistoryNode => ({ kind: "change", c, k }))];
  }

  getTreeItem(node: HistoryNode): vscode.TreeItem {
    if (node.kind === "summary") return new vscode.TreeItem(node.text);
    const c = node.c;
    const item = new vscode.TreeItem(`${c.icount.toLocaleString("en-US")}  +${c.offset}: ${bytes(c.old, c.offset)} → ${bytes(c.new, c.offset)}`);
    const register = this.shown?.result.register !== undefined;
    item.description = writer(c, register);
    item.tooltip = new vscode.MarkdownString(
      [
        `**Instruction ${c.icount}**, t = ${(c.ns / 1e9).toFixed(9)} s`,
        `before: \`${c.old}\``,
        `after: \`${c.new}\``,
        `written by ${writer(c, register)}${c.pc !== undefined ? ` (instruction at 0x${hex32(c.pc)})` : ""}`,
        ...(c.frames ? [`inlined: ${c.frames.map((f) => `${f.function}${f.source ? ` ${f.source.name}:${f.line}` : ""}`).join(" < ")}`] : []),
      ].join("\n\n"),
    );
    item.iconPath = new vscode.ThemeIcon(c.by === "dma" ? "arrow-swap" : "edit");
    item.contextValue = c.source ? "historyCpuChange" : "historyChange";
    item.command = { command: HISTORY_GOTO_COMMAND, title: "Go to This Change", arguments: [node] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Where a change came from, in a few words. */
function writer(c: HistoryChange, register: boolean): string {
  if (c.by === "dma") return register ? "the NIC itself" : c.rx ? `NIC receive DMA, descriptor ${c.rx.index}: ${c.rx.frame}` : "a device's DMA";
  const at = c.source ? `${c.source.name}:${c.line}` : c.pc !== undefined ? `0x${hex32(c.pc)}` : "";
  return `CPU${c.function ? ` in ${c.function}` : ""}${at ? ` at ${at}` : ""}`;
}

function bytes(hex: string, offset: number): string {
  const all = hex.match(/../g) ?? [];
  const shown = all.slice(offset, offset + SHOWN_BYTES).join(" ");
  return all.length - offset > SHOWN_BYTES ? `${shown} …` : shown;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
