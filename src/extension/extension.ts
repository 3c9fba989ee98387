// Entry point of the VS Code extension: registers the lvmm debugger's adapter factory and the
// status bar. Activated by the `lvmm` debug type (see package.json's activationEvents).
import * as vscode from "vscode";
import { DEBUG_TYPE } from "./adapter-contract";
import { LvmmAdapterDescriptorFactory } from "./adapter-factory";
import { BundleAdapterLoader } from "./adapter-loader";
import { readAdapterSettings } from "./adapter-mode";
import { LvmmStatusBar } from "./status-bar";

/** What activate() returns: the extension's exports, used by the extension-host tests. */
export interface LvmmExtensionApi {
  readonly statusBar: LvmmStatusBar;
  readonly adapterFactory: LvmmAdapterDescriptorFactory;
}

export function activate(context: vscode.ExtensionContext): LvmmExtensionApi {
  const adapterFactory = new LvmmAdapterDescriptorFactory(new BundleAdapterLoader(context.extensionPath), readAdapterSettings);
  const statusBar = new LvmmStatusBar();
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, adapterFactory), statusBar);
  return { statusBar, adapterFactory };
}

export function deactivate(): void {}
