// Shows the machine's state, instruction count and virtual time from `lvmm/status` events.
import * as vscode from "vscode";
import { DEBUG_TYPE, STATUS_EVENT } from "./adapter-contract";
import { formatStatus, isLvmmStatusBody } from "./status-format";

export class LvmmStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The session whose status is on display; events of other sessions are ignored. */
  private sessionId: string | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem("lvmm.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "LVMM machine status";
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

  private onEvent(e: vscode.DebugSessionCustomEvent): void {
    if (e.session.type !== DEBUG_TYPE || e.event !== STATUS_EVENT || !isLvmmStatusBody(e.body)) return;
    this.sessionId = e.session.id;
    this.item.text = formatStatus(e.body);
    this.item.tooltip = `LVMM session "${e.session.name}"`;
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
