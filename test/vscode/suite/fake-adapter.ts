// A minimal in-process debug adapter standing in for LvmmDebugSession until src/adapter exists:
// enough DAP to start and end a real session, and one `lvmm/status` event after launch.
import * as vscode from "vscode";
import type { AdapterLoader } from "../../../src/extension/adapter-loader";
import type { AdapterModule } from "../../../src/protocols/adapter-contract";
import type { LvmmStatusBody } from "../../../src/extension/status-format";

interface Request {
  seq: number;
  type: string;
  command: string;
}

export function fakeAdapterLoader(status: LvmmStatusBody): AdapterLoader {
  class FakeLvmmSession implements vscode.DebugAdapter {
    private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
    readonly onDidSendMessage = this.emitter.event;
    private seq = 1;

    handleMessage(message: vscode.DebugProtocolMessage): void {
      const m = message as Request;
      if (m.type !== "request") return;
      const body: Record<string, unknown> = {};
      if (m.command === "initialize") body.supportsConfigurationDoneRequest = true;
      if (m.command === "threads") body.threads = [{ id: 1, name: "cpu0" }];
      this.send({ type: "response", request_seq: m.seq, command: m.command, success: true, body });
      if (m.command === "initialize") this.send({ type: "event", event: "initialized" });
      if (m.command === "launch") this.send({ type: "event", event: "lvmm/status", body: status });
      if (m.command === "disconnect") this.send({ type: "event", event: "terminated" });
    }

    private send(msg: Record<string, unknown>): void {
      this.emitter.fire({ seq: this.seq++, ...msg } as vscode.DebugProtocolMessage);
    }

    dispose(): void {
      this.emitter.dispose();
    }
  }
  const mod = { LvmmDebugSession: FakeLvmmSession } as unknown as AdapterModule;
  return {
    bundlePath: () => {
      throw new Error("the fake adapter runs inline only");
    },
    load: () => mod,
  };
}
