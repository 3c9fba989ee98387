// Reads how the debug adapter runs: in the extension host or as a separate Node process.
import * as vscode from "vscode";

export type AdapterMode = "inline" | "process";

export const ADAPTER_MODES: readonly AdapterMode[] = ["inline", "process"];

/** Where the adapter runs and, for "process", which Node starts it. */
export interface AdapterSettings {
  mode: AdapterMode;
  /** Node used for the process mode; "node" means the first one on PATH (the project's Node 20+). */
  nodePath: string;
}

export function readAdapterSettings(folder?: vscode.WorkspaceFolder): AdapterSettings {
  const cfg = vscode.workspace.getConfiguration("lvmm", folder);
  const mode = cfg.get<string>("adapterMode", "process");
  const nodePath = cfg.get<string>("nodePath", "").trim();
  return {
    mode: (ADAPTER_MODES as readonly string[]).includes(mode) ? (mode as AdapterMode) : "process",
    nodePath: nodePath || "node",
  };
}
