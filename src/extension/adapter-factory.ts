// Tells VS Code how to start the LVMM debug adapter for a session, per `lvmm.adapterMode`.
import * as vscode from "vscode";
import type { AdapterLoader } from "./adapter-loader";
import type { AdapterSettings } from "./adapter-mode";

export class LvmmAdapterDescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(
    private loader: AdapterLoader,
    private readonly settings: (folder?: vscode.WorkspaceFolder) => AdapterSettings,
  ) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const { mode, nodePath } = this.settings(session.workspaceFolder);
    if (mode === "inline") {
      const { LvmmDebugSession } = this.loader.load();
      // LoggingDebugSession is structurally a vscode.DebugAdapter.
      return new vscode.DebugAdapterInlineImplementation(new LvmmDebugSession() as unknown as vscode.DebugAdapter);
    }
    return new vscode.DebugAdapterExecutable(nodePath, [this.loader.bundlePath()]);
  }

  /** Runs sessions against another adapter until the result is disposed (extension-host tests). */
  useLoader(loader: AdapterLoader): vscode.Disposable {
    const previous = this.loader;
    this.loader = loader;
    return new vscode.Disposable(() => {
      this.loader = previous;
    });
  }
}
