// The Timeline webview view in the Run and Debug side bar: asks the adapter for bucketed
// markers (lvmm/timeline) over the range the webview shows, seeks on click (lvmm/goto), keeps
// bookmarks per workspace, and refreshes whenever the session stops. Records what the webview
// reports rendering, for the extension's tests.
import * as vscode from "vscode";
import { DEBUG_TYPE, STATUS_EVENT } from "../../protocols/adapter-contract";
import { TT_REQUEST, type TimelineData } from "../../protocols/time-travel-protocol";
import { parseWebviewMessage, type Bookmark, type HostToWebview, type WebviewToHost } from "../../protocols/time-travel-messages";
import { activeLvmmSession, lvmmRequest } from "./session";
import { timelineHtml } from "./timeline-html";
import { hostWebview } from "../webview-host";

export const TIMELINE_VIEW_ID = "lvmm.timeline";
const BOOKMARKS_KEY = "lvmm.timeline.bookmarks";
/** Refreshes at most this often while the guest runs (status events come every 500 ms). */
const REFRESH_MIN_MS = 400;

export class TimelineView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly received = new vscode.EventEmitter<WebviewToHost>();
  readonly onDidReceiveMessage = this.received.event;
  lastRendered: Extract<WebviewToHost, { type: "rendered" }> | undefined;
  /** The last data posted (tests read it). */
  lastData: TimelineData | undefined;
  private lastQuery: { from?: number; to?: number; buckets: number } = { buckets: 512 };
  private lastRefresh = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly state: vscode.Memento,
  ) {
    this.disposables.push(
      this.received,
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== STATUS_EVENT) return;
        const stopped = (e.body as { state?: string })?.state !== "running";
        if (stopped || Date.now() - this.lastRefresh > REFRESH_MIN_MS) void this.refresh();
      }),
      vscode.debug.onDidChangeActiveDebugSession(() => void this.refresh()),
      vscode.debug.onDidTerminateDebugSession(() => void this.refresh()),
    );
  }

  get isResolved(): boolean {
    return this.view !== undefined;
  }

  /** Whether the view is on screen now (the Run and Debug side bar shows it, expanded). */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  get bookmarks(): Bookmark[] {
    return this.state.get<Bookmark[]>(BOOKMARKS_KEY, []);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.disposables.push(
      ...hostWebview(
        view,
        this.extensionUri,
        "timeline",
        timelineHtml,
        (m) => void this.handleMessage(m),
        () => {
          if (this.view === view) this.view = undefined;
        },
      ),
    );
  }

  private post(m: HostToWebview): void {
    if (this.view) void this.view.webview.postMessage(m);
  }

  /** Asks the adapter again for the range on display. */
  async refresh(): Promise<void> {
    this.lastRefresh = Date.now();
    if (!activeLvmmSession()) {
      this.lastData = undefined;
      this.post({ type: "data", data: undefined, reason: "no LVMM debug session" });
      return;
    }
    try {
      this.lastData = await lvmmRequest<TimelineData>(TT_REQUEST.timeline, this.lastQuery);
      this.post({ type: "data", data: this.lastData });
    } catch (e) {
      this.post({ type: "data", data: undefined, reason: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Centers the view on an instruction count ("Reveal in timeline"). */
  async reveal(icount: number): Promise<void> {
    if (!this.view) await vscode.commands.executeCommand(`${TIMELINE_VIEW_ID}.focus`);
    this.view?.show?.(true);
    this.post({ type: "reveal", icount });
  }

  async seek(icount: number): Promise<void> {
    await lvmmRequest(TT_REQUEST.goto, { icount });
  }

  /** Acts on one message from the webview (public so tests can drive what a click would send). */
  async handleMessage(raw: unknown): Promise<void> {
    const m = parseWebviewMessage(raw);
    if (m instanceof Error) {
      void vscode.window.showWarningMessage(`LVMM timeline: ignored a message: ${m.message}`);
      return;
    }
    if (m.type === "rendered") this.lastRendered = m;
    this.received.fire(m);
    try {
      switch (m.type) {
        case "ready":
          this.post({ type: "bookmarks", bookmarks: this.bookmarks });
          await this.refresh();
          return;
        case "query":
          this.lastQuery = { buckets: m.buckets, ...(m.from !== undefined ? { from: m.from } : {}), ...(m.to !== undefined ? { to: m.to } : {}) };
          await this.refresh();
          return;
        case "seek":
          await this.seek(m.icount);
          return;
        case "addBookmark": {
          const label = `#${this.bookmarks.length + 1} @ ${m.icount}`;
          await this.setBookmarks([...this.bookmarks.filter((b) => b.icount !== m.icount), { icount: m.icount, label }].sort((a, b) => a.icount - b.icount));
          return;
        }
        case "removeBookmark":
          await this.setBookmarks(this.bookmarks.filter((b) => b.icount !== m.icount));
          return;
        case "rendered":
          return;
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`LVMM timeline: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async setBookmarks(list: Bookmark[]): Promise<void> {
    await this.state.update(BOOKMARKS_KEY, list);
    this.post({ type: "bookmarks", bookmarks: list });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
