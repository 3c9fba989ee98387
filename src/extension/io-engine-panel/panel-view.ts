// The I/O Engine webview view: loads the panel bundle under a strict CSP, posts the
// controller's messages to the webview, and turns the webview's (validated) messages into
// controller calls. Also records what the webview reports rendering, for the extension's tests.
import * as vscode from "vscode";
import type { StreamServerController } from "./controller";
import { parseWebviewMessage, type HostToWebview, type WebviewToHost } from "../../protocols/io-engine-panel-messages";
import { panelHtml } from "./panel-html";
import { replayConfiguration } from "./recordings";
import { hostWebview } from "../webview-host";

export const IO_ENGINE_VIEW_ID = "lvmm.ioEngine";

export class IoEnginePanelView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly received = new vscode.EventEmitter<WebviewToHost>();
  /** every valid message from the webview, as it arrives (tests wait on it) */
  readonly onDidReceiveMessage = this.received.event;
  /** the latest "rendered" report from the webview */
  lastRendered: Extract<WebviewToHost, { type: "rendered" }> | undefined;
  /** messages posted to the webview, by type (for tests) */
  readonly posted = new Map<HostToWebview["type"], number>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: StreamServerController,
  ) {
    const unsubscribe = controller.subscribe((m) => this.post(m));
    this.disposables.push({ dispose: unsubscribe }, this.received);
  }

  get isResolved(): boolean {
    return this.view !== undefined;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.disposables.push(
      ...hostWebview(
        view,
        this.extensionUri,
        "io-engine-panel",
        panelHtml,
        (m) => void this.handleMessage(m),
        () => {
          if (this.view === view) this.view = undefined;
        },
      ),
    );
  }

  private post(m: HostToWebview): void {
    if (!this.view) return;
    this.posted.set(m.type, (this.posted.get(m.type) ?? 0) + 1);
    void this.view.webview.postMessage(m);
  }

  /** Acts on one message from the webview (public so tests can drive what a click would send). */
  async handleMessage(raw: unknown): Promise<void> {
    const m = parseWebviewMessage(raw);
    if (m instanceof Error) {
      this.controller.notice("error", `ignored a panel message: ${m.message}`);
      return;
    }
    if (m.type === "rendered") this.lastRendered = m;
    this.received.fire(m);
    try {
      switch (m.type) {
        case "ready":
          for (const s of this.controller.snapshot()) this.post(s);
          return;
        case "start":
          await this.controller.start(m.arch, m.content ? { content: m.content } : {});
          return;
        case "stop":
          await this.controller.stop();
          return;
        case "selectContent":
          this.controller.selectContent(m.content);
          return;
        case "loadStart":
          void this.controller.startLoad(m.clients, m.seconds, m.transport).catch((e: Error) => this.controller.notice("error", e.message));
          return;
        case "loadStop":
          await this.controller.stopLoad();
          return;
        case "copyUrl": {
          const url = this.controller.url;
          if (!url) return this.controller.notice("error", "start the server first: there is no URL yet");
          await vscode.env.clipboard.writeText(url);
          this.controller.notice("info", `copied ${url}`);
          return;
        }
        case "openRecording":
          await this.openRecording(m.path);
          return;
        case "rendered":
          return;
      }
    } catch (err) {
      this.controller.notice("error", err instanceof Error ? err.message : String(err));
    }
  }

  /** Debugs one of the recordings the panel lists in a replay session (the lvmm "replay" launch option). */
  async openRecording(path: string): Promise<boolean> {
    // Webviews are untrusted: only a recording the panel listed is opened.
    if (!this.controller.recordings.some((r) => r.path === path)) {
      this.controller.notice("error", `not a recording of this panel: ${path}`);
      return false;
    }
    const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], replayConfiguration(path, this.controller.kernelPath));
    if (!ok) this.controller.notice("error", `could not start a replay session of ${path}`);
    return ok;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
