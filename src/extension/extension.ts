// Entry point of the VS Code extension: registers the lvmm debugger's adapter factory, the
// status bar, and the I/O Engine panel with the stream server's commands. Activated by the
// `lvmm` debug type, the panel's view or one of its commands.
import { homedir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { CONTENT_DIR_ENV, DEBUG_TYPE } from "../protocols/adapter-contract";
import { LvmmAdapterDescriptorFactory } from "./adapter-factory";
import { BundleAdapterLoader } from "./adapter-loader";
import { readAdapterSettings } from "./adapter-mode";
import { registerStreamServerCommands } from "./io-engine-panel/commands";
import { StreamServerController } from "./io-engine-panel/controller";
import { IO_ENGINE_VIEW_ID, IoEnginePanelView } from "./io-engine-panel/panel-view";
import { RECORDINGS_SETTING, recordingsDirectory } from "./io-engine-panel/recordings";
import { LvmmStatusBar } from "./status-bar";
import { registerTimeTravelCommands } from "./time-travel/commands";
import { DMA_VIEW_ID, DmaInspector } from "./time-travel/dma-tree";
import { HISTORY_VIEW_ID, HistoryView } from "./time-travel/history-tree";
import { TIMELINE_VIEW_ID, TimelineView } from "./time-travel/timeline-view";

/** What activate() returns: the extension's exports, used by the extension-host tests. */
export interface LvmmExtensionApi {
  readonly statusBar: LvmmStatusBar;
  readonly adapterFactory: LvmmAdapterDescriptorFactory;
  /** the stream server the I/O Engine panel controls, and the panel's view */
  readonly ioEngine: { readonly controller: StreamServerController; readonly view: IoEnginePanelView };
  /** the Timeline webview and the NIC DMA inspector in the Run and Debug side bar */
  readonly timeTravel: { readonly timeline: TimelineView; readonly dma: DmaInspector; readonly history: HistoryView };
}

let controller: StreamServerController | undefined;

export function activate(context: vscode.ExtensionContext): LvmmExtensionApi {
  // What the extension writes (the sample clip, recordings) goes to its global storage: an
  // installed extension's own folder may be read-only and is replaced on every update.
  const storage = context.globalStorageUri.fsPath;
  const adapterFactory = new LvmmAdapterDescriptorFactory(new BundleAdapterLoader(context.extensionPath), readAdapterSettings, {
    [CONTENT_DIR_ENV]: join(storage, "content"),
  });
  const statusBar = new LvmmStatusBar();
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, adapterFactory), statusBar);

  const output = vscode.window.createOutputChannel("LVMM Stream Server");
  // Recordings go where the user works: the setting, else the first workspace folder, else global storage.
  const recordDir = () => {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
    return recordingsDirectory({
      setting: vscode.workspace.getConfiguration("lvmm", folder?.uri).get<string>(RECORDINGS_SETTING),
      workspaceFolder: folder?.uri.fsPath,
      globalStorage: storage,
      home: homedir(),
    });
  };
  controller = new StreamServerController({ root: context.extensionPath, storage, recordDir, log: (line) => output.appendLine(line) });
  const view = new IoEnginePanelView(context.extensionUri, controller);
  context.subscriptions.push(output, view, vscode.window.registerWebviewViewProvider(IO_ENGINE_VIEW_ID, view), ...registerStreamServerCommands(controller));
  const timeline = new TimelineView(context.extensionUri, context.workspaceState);
  const dma = new DmaInspector();
  const history = new HistoryView();
  context.subscriptions.push(
    timeline,
    dma,
    history,
    vscode.window.registerWebviewViewProvider(TIMELINE_VIEW_ID, timeline),
    vscode.window.registerTreeDataProvider(DMA_VIEW_ID, dma),
    vscode.window.registerTreeDataProvider(HISTORY_VIEW_ID, history),
    ...registerTimeTravelCommands(timeline, dma, history),
  );
  return { statusBar, adapterFactory, ioEngine: { controller, view }, timeTravel: { timeline, dma, history } };
}

/** Stops the stream server (its process would otherwise outlive the window's extension host). */
export function deactivate(): Promise<void> | undefined {
  const c = controller;
  controller = undefined;
  return c?.dispose();
}
