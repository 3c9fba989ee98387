// Shows the machine's state, instruction count and virtual time from `lvmm/status` events;
// clicking it reveals the Timeline view.
import * as vscode from "vscode";
import { DEBUG_TYPE, STATUS_EVENT } from "../protocols/adapter-contract";
import { formatStatus, isLvmmStatusBody } from "./status-format";
import { TIMELINE_VIEW_ID } from "./time-travel/timeline-view";

/** What clicking the item does: reveal the Timeline view in the Run and Debug side bar. */
export const STATUS_BAR_COMMAND: vscode.Command = { command: `${TIMELINE_VIEW_ID}.focus`, title: "Show the LVMM Timeline" };

export class LvmmStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The session whose status is on display; events of other sessions are ignored. */
  private sessionId: string | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem("lvmm.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "LVMM machine status";
    this.item.command = STATUS_BAR_COMMAND;
    this.subscriptions.push(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => this.onEvent(e)),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.id === this.sessionId) this.clear();
      }),
      vscode.debug.onDidChangeActiveDebugSession((s) => {
        if (s && s.type === DEBUG_TYPE && s.id !== this.sessionId) this.clear();
      }),
    );
  }

  /** The text on display, or undefined when hidden (for tests). */
  get text(): string | undefined {
    return this.sessionId === undefined ? undefined : this.item.text;
  }

  /** The command a click on the item runs (for tests). */
  get command(): vscode.Command | undefined {
    const c = this.item.command;
    return typeof c === "string" ? { command: c, title: c } : c;
  }

  private onEvent(e: vscode.DebugSessionCustomEvent): void {
    if (e.session.type !== DEBUG_TYPE || e.event !== STATUS_EVENT || !isLvmmStatusBody(e.body)) return;
    this.sessionId = e.session.id;
    this.item.text = formatStatus(e.body);
    this.item.tooltip = `LVMM session "${e.session.name}": click to show the Timeline`;
    this.item.show();
  }

  private clear(): void {
    this.sessionId = undefined;
    this.item.hide();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
