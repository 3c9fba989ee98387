// Tells VS Code how to start the LVMM debug adapter for a session, per `lvmm.adapterMode`.
import * as vscode from "vscode";
import type { AdapterLoader } from "./adapter-loader";
import type { AdapterSettings } from "./adapter-mode";

export class LvmmAdapterDescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
  /** `env`: what the adapter gets in its environment on top of the extension host's (e.g. LVMM_CONTENT_DIR). */
  constructor(
    private loader: AdapterLoader,
    private readonly settings: (folder?: vscode.WorkspaceFolder) => AdapterSettings,
    private readonly env: Record<string, string> = {},
  ) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const { mode, nodePath } = this.settings(session.workspaceFolder);
    if (mode === "inline") {
      const { LvmmDebugSession } = this.loader.load();
      // The inline adapter shares the extension host's process, so its environment is this one.
      Object.assign(process.env, this.env);
      // LoggingDebugSession is structurally a vscode.DebugAdapter.
      return new vscode.DebugAdapterInlineImplementation(new LvmmDebugSession() as unknown as vscode.DebugAdapter);
    }
    const bundle = this.loader.bundlePath();
    return new vscode.DebugAdapterExecutable(nodePath, [bundle], { env: this.env });
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
