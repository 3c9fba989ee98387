// Time-travel commands: reverse step over/out (debug toolbar), go to an instruction count, go
// live from the past and edit the next incoming packet, the DMA inspector's "Reveal in
// timeline" and "Go to the DMA write", and "History of This Value" with its view's actions.
import * as vscode from "vscode";
import { TT_REQUEST, type HistoryResult } from "../../protocols/time-travel-protocol";
import { dmaWriteOf, icountOf, type DmaInspector, type DmaNode } from "./dma-tree";
import { activeLvmmSession, lvmmRequest } from "./session";
import type { TimelineView } from "./timeline-view";
import { HISTORY_GOTO_COMMAND, HISTORY_OPEN_COMMAND, HISTORY_VIEW_ID, type HistoryNode, type HistoryView } from "./history-tree";

export const TT_COMMAND = {
  reverseStepOver: "lvmm.reverseStepOver",
  reverseStepOut: "lvmm.reverseStepOut",
  gotoInstruction: "lvmm.gotoInstruction",
  goLive: "lvmm.goLive",
  editNextPacket: "lvmm.editNextPacket",
  revealInTimeline: "lvmm.timeline.reveal",
  gotoDmaWrite: "lvmm.dma.gotoWrite",
  refreshDma: "lvmm.dma.refresh",
  history: "lvmm.history",
} as const;

/**
 * What "History of This Value" is given: the Variables or Watch view's context (a variable in a
 * container, or a watch expression), or, from the palette or an API caller, an expression
 * (optionally with a limit on the changes listed).
 */
type HistoryTarget = { container?: { variablesReference?: number }; variable?: { name?: string; evaluateName?: string }; expression?: string; limit?: number } | string | undefined;

/** Parses "12345", "12,345" or "0x3039" as an instruction count. */
export function parseIcount(text: string): number | undefined {
  const t = text.trim().replace(/[,_\s]/g, "");
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Parses a hex dump or plain hex ("52 54 00 ..." or "525400...") into bytes. */
export function parseHexBytes(text: string): Uint8Array | undefined {
  const t = text.replace(/\s+/g, "");
  if (!t || t.length % 2 || !/^[0-9a-f]+$/i.test(t)) return undefined;
  return Uint8Array.from(t.match(/../g)!.map((h) => parseInt(h, 16)));
}

function report(e: unknown): void {
  void vscode.window.showErrorMessage(`LVMM: ${e instanceof Error ? e.message : String(e)}`);
}

export function registerTimeTravelCommands(timeline: TimelineView, dma: DmaInspector, history: HistoryView): vscode.Disposable[] {
  const run =
    (fn: (...args: never[]) => Promise<unknown>) =>
    async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        report(e);
        return undefined;
      }
    };
  return [
    vscode.commands.registerCommand(
      TT_COMMAND.reverseStepOver,
      run(() => lvmmRequest(TT_REQUEST.reverseStepOver)),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.reverseStepOut,
      run(() => lvmmRequest(TT_REQUEST.reverseStepOut)),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.gotoInstruction,
      run(async (given?: number | string) => {
        let n = typeof given === "number" ? given : typeof given === "string" ? parseIcount(given) : undefined;
        if (n === undefined) {
          const text = await vscode.window.showInputBox({
            title: "Go to instruction count",
            prompt: "Instruction count to move the machine to (decimal or 0x hex)",
            validateInput: (v) => (parseIcount(v) === undefined ? "a non-negative integer" : undefined),
          });
          if (text === undefined) return;
          n = parseIcount(text)!;
        }
        await lvmmRequest(TT_REQUEST.goto, { icount: n });
      }),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.goLive,
      run(async () => {
        const r = await lvmmRequest<{ requeued: number }>(TT_REQUEST.goLive);
        void vscode.window.showInformationMessage(`LVMM: this point is now the present; ${r.requeued} later frame(s) are queued to arrive again.`);
        await timeline.refresh();
      }),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.editNextPacket,
      run(async (given?: string) => {
        const next = await lvmmRequest<{ bytes?: string }>(TT_REQUEST.nextFrame);
        if (!next.bytes) throw new Error("no frame is queued on the wire");
        let text = given;
        if (text === undefined) {
          text = await vscode.window.showInputBox({
            title: "Edit the next incoming packet",
            prompt: "The frame's bytes in hex (Ethernet header first); the guest receives these instead",
            value: Buffer.from(next.bytes, "base64").toString("hex"),
            validateInput: (v) => (parseHexBytes(v) ? undefined : "an even number of hex digits"),
          });
          if (text === undefined) return;
        }
        const bytes = parseHexBytes(text);
        if (!bytes) throw new Error("the packet must be hex bytes");
        await lvmmRequest(TT_REQUEST.editNextFrame, { bytes: Buffer.from(bytes).toString("base64") });
      }),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.revealInTimeline,
      run(async (item?: DmaNode | number) => {
        const n = typeof item === "number" ? item : item ? icountOf(item) : undefined;
        if (n === undefined) throw new Error("select an interrupt or a descriptor in the DMA inspector");
        await timeline.reveal(n);
      }),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.gotoDmaWrite,
      run(async (item?: DmaNode) => {
        const n = item ? dmaWriteOf(item) : undefined;
        if (n === undefined) throw new Error("this item has no DMA write to go to");
        await lvmmRequest(TT_REQUEST.goto, { icount: n });
      }),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.refreshDma,
      run(() => dma.refresh()),
    ),
    vscode.commands.registerCommand(
      TT_COMMAND.history,
      run(async (given?: HistoryTarget) => {
        const t = typeof given === "string" ? { expression: given } : (given ?? {});
        let name = t.expression ?? t.variable?.evaluateName ?? t.variable?.name;
        const inContainer = t.variable?.name !== undefined && t.container?.variablesReference !== undefined;
        if (!activeLvmmSession()) throw new Error("no LVMM debug session is active: start one with F5 first");
        if (!name) {
          name = await vscode.window.showInputBox({ title: "History of a value", prompt: "A C expression naming an object in guest memory (a variable, a field, an element)" });
          if (!name) return;
        }
        const info = await lvmmRequest<{ dataId: string | null; description: string }>(
          "dataBreakpointInfo",
          inContainer ? { variablesReference: t.container!.variablesReference, name: t.variable!.name } : { name },
        );
        if (!info.dataId) throw new Error(info.description);
        // Searching a long run takes a while: the adapter shows progress, with a cancel button.
        const result = await lvmmRequest<HistoryResult>(TT_REQUEST.history, { dataId: info.dataId, ...(t.limit ? { limit: t.limit } : {}) }, Infinity);
        history.show(name, result);
        await vscode.commands.executeCommand(`${HISTORY_VIEW_ID}.focus`);
        return result;
      }),
    ),
    vscode.commands.registerCommand(
      HISTORY_GOTO_COMMAND,
      run(async (node?: HistoryNode) => {
        if (node?.kind !== "change") throw new Error("select a change in the History view");
        await lvmmRequest(TT_REQUEST.goto, { icount: node.c.icount });
      }),
    ),
    vscode.commands.registerCommand(
      HISTORY_OPEN_COMMAND,
      run(async (node?: HistoryNode) => {
        const src = node?.kind === "change" ? node.c.source : undefined;
        if (!src || node?.kind !== "change") throw new Error("this change has no source line (a DMA, or code without line information)");
        const line = Math.max(0, (node.c.line ?? 1) - 1);
        await vscode.window.showTextDocument(vscode.Uri.file(src.path), { selection: new vscode.Range(line, 0, line, 0), preview: true });
      }),
    ),
  ];
}
