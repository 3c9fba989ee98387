// The stream server's commands (command palette and the panel's automation): open the panel,
// start and stop the server in either architecture, run a load test. Each takes optional
// arguments so tests and keybindings can skip the prompts.
import * as vscode from "vscode";
import type { LoadTotals } from "../../loadgen/load-generator";
import type { StartOptions, StreamServerController } from "./controller";
import { ARCH_LABELS, ARCHES, LOAD_LIMITS, type Arch, type LoadTransport, type ServerStatus } from "../../protocols/io-engine-panel-messages";
import { IO_ENGINE_VIEW_ID } from "./panel-view";

export const COMMANDS = {
  openPanel: "lvmm.streamServer.openPanel",
  start: "lvmm.streamServer.start",
  stop: "lvmm.streamServer.stop",
  loadTest: "lvmm.streamServer.loadTest",
} as const;

export interface StartArgs extends StartOptions {
  arch?: Arch;
}

export interface LoadTestArgs {
  clients?: number;
  seconds?: number;
  transport?: LoadTransport;
}

async function pickArch(): Promise<Arch | undefined> {
  const pick = await vscode.window.showQuickPick(
    ARCHES.map((a) => ({ label: ARCH_LABELS[a], arch: a })),
    { title: "Start the stream server", placeHolder: "Where does delivery run?" },
  );
  return pick?.arch;
}

export function registerStreamServerCommands(controller: StreamServerController): vscode.Disposable[] {
  const report = (err: unknown) => void vscode.window.showErrorMessage(`LVMM stream server: ${err instanceof Error ? err.message : String(err)}`);
  return [
    vscode.commands.registerCommand(COMMANDS.openPanel, () => vscode.commands.executeCommand(`${IO_ENGINE_VIEW_ID}.focus`)),

    vscode.commands.registerCommand(COMMANDS.start, async (args?: StartArgs): Promise<ServerStatus | undefined> => {
      const arch = args?.arch ?? (await pickArch());
      if (!arch) return undefined;
      if (!ARCHES.includes(arch)) return void report(new Error(`unknown architecture ${JSON.stringify(arch)}`));
      try {
        return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Starting the stream server (${arch})` }, () => controller.start(arch, args ?? {}));
      } catch (err) {
        report(err);
        return controller.status;
      }
    }),

    vscode.commands.registerCommand(COMMANDS.stop, async (): Promise<ServerStatus> => {
      try {
        return await controller.stop();
      } catch (err) {
        report(err);
        return controller.status;
      }
    }),

    vscode.commands.registerCommand(COMMANDS.loadTest, async (args?: LoadTestArgs): Promise<LoadTotals | undefined> => {
      const running = () => controller.status.state === "running";
      if (!running()) {
        const start = "Start the server";
        if ((await vscode.window.showWarningMessage("The stream server is not running.", start)) !== start) return undefined;
        await vscode.commands.executeCommand(COMMANDS.start);
        if (!running()) return undefined;
      }
      let clients = args?.clients;
      if (clients === undefined) {
        const text = await vscode.window.showInputBox({
          title: "Load test",
          prompt: `Simulated RTSP clients (1-${LOAD_LIMITS.maxClients}), each playing ${controller.url} for 30 s`,
          value: "10",
          validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= LOAD_LIMITS.maxClients ? undefined : `a whole number from 1 to ${LOAD_LIMITS.maxClients}`),
        });
        if (text === undefined) return undefined;
        clients = Number(text);
      }
      try {
        return await controller.startLoad(clients, args?.seconds ?? 30, args?.transport ?? "udp");
      } catch (err) {
        report(err);
        return undefined;
      }
    }),
  ];
}
