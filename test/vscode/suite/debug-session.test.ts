// A real lvmm debug session in the editor, against a stand-in inline adapter: the factory is
// used, the session starts and ends, `lvmm/status` events reach the status bar, and clicking
// the status bar item reveals the Timeline view.
import * as assert from "node:assert/strict";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import { activateLvmm, waitFor } from "./extension-api";
import { fakeAdapterLoader } from "./fake-adapter";

suite("lvmm debug session (stand-in adapter)", () => {
  const disposables: vscode.Disposable[] = [];

  suiteSetup(async () => {
    const { api } = await activateLvmm();
    disposables.push(api.adapterFactory.useLoader(fakeAdapterLoader({ state: "paused", icount: 1234567, virtualSeconds: 0.0025 })));
    await vscode.workspace.getConfiguration("lvmm").update("adapterMode", "inline", vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    for (const d of disposables) d.dispose();
    await vscode.workspace.getConfiguration("lvmm").update("adapterMode", undefined, vscode.ConfigurationTarget.Global);
  });

  test("starts, shows lvmm/status in the status bar, and clears it when the session ends", async () => {
    const { api } = await activateLvmm();
    const folder = vscode.workspace.workspaceFolders?.[0];
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const sub = vscode.debug.onDidStartDebugSession((s) => {
        sub.dispose();
        resolve(s);
      });
    });
    const ok = await vscode.debug.startDebugging(folder, { type: "lvmm", request: "launch", name: "stand-in", kernel: "${workspaceFolder}/../../guest/build/ioengine.elf" });
    assert.equal(ok, true, "startDebugging accepted the lvmm configuration");
    const session = await started;
    assert.equal(session.type, "lvmm");

    const text = await waitFor("the status bar to show lvmm/status", () => api.statusBar.text);
    assert.equal(text, "LVMM: paused icount 1234567 t=0.002500 s");

    const ended = new Promise<void>((resolve) => {
      const sub = vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.id === session.id) {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.debug.stopDebugging(session);
    await ended;
    assert.equal(api.statusBar.text, undefined, "status bar cleared after the session");
  });

  test("clicking the status bar item reveals the Timeline view", async () => {
    const { api } = await activateLvmm();
    const folder = vscode.workspace.workspaceFolders?.[0];
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const sub = vscode.debug.onDidStartDebugSession((s) => {
        sub.dispose();
        resolve(s);
      });
    });
    const ok = await vscode.debug.startDebugging(folder, { type: "lvmm", request: "launch", name: "stand-in", kernel: "${workspaceFolder}/../../guest/build/ioengine.elf" });
    assert.equal(ok, true);
    const session = await started;
    try {
      await waitFor("the status bar to show lvmm/status", () => api.statusBar.text);
      // Another side bar in front: the Timeline (in Run and Debug) is not on screen.
      await vscode.commands.executeCommand("workbench.view.explorer");
      const timeline = api.timeTravel.timeline;
      await waitFor("the Timeline view to be hidden", () => (timeline.visible ? undefined : true));

      const click = api.statusBar.command;
      assert.ok(click, "the status bar item has a command");
      await vscode.commands.executeCommand(click.command, ...(click.arguments ?? []));
      await waitFor("the Timeline view to be visible", () => (timeline.visible ? true : undefined));
      assert.equal(timeline.isResolved, true);
    } finally {
      await vscode.debug.stopDebugging(session);
    }
  });
});
