// The extension as VS Code sees it: loaded from the installed .vsix (run-host.ts; the repository
// under test:desktop), activated, its debugger type, settings and the sample workspace's launch
// configuration.
import * as assert from "node:assert/strict";
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { suite, test } from "mocha";
import * as vscode from "vscode";
import { ADAPTER_BUNDLE } from "../../../src/protocols/adapter-contract";
import { activateLvmm } from "./extension-api";

suite("LVMM extension", () => {
  test("is loaded from the installed .vsix (or the repository) and activates", async () => {
    const { ext, api } = await activateLvmm();
    // run-host.ts installs the .vsix into the server and names the installed folder here
    const installed = process.env.LVMM_HOST_TEST_EXTENSION_DIR;
    if (installed) {
      assert.equal(realpathSync(ext.extensionPath), realpathSync(installed), "the extension runs from its installed copy");
      for (const dir of ["src", "test", "bench", "node_modules", "dist/test", ".cache", "recordings"]) {
        assert.equal(existsSync(join(ext.extensionPath, dir)), false, `the installed extension has no ${dir}/`);
      }
    }
    assert.equal(ext.isActive, true);
    assert.equal(ext.packageJSON.name, "lvmm");
    assert.ok(api.statusBar, "activate() returns the status bar");
    assert.equal(api.statusBar.text, undefined, "status bar hidden with no session");
  });

  test("contributes the lvmm debugger with C and asm breakpoints", async () => {
    const { ext } = await activateLvmm();
    const debuggers = ext.packageJSON.contributes.debuggers as { type: string; configurationAttributes: { launch: { properties: Record<string, unknown> } } }[];
    const lvmm = debuggers.find((d) => d.type === "lvmm");
    assert.ok(lvmm, "debugger type lvmm contributed");
    for (const key of ["kernel", "cmdline", "memoryMB", "stopOnEntry"]) {
      assert.ok(key in lvmm.configurationAttributes.launch.properties, `launch attribute ${key}`);
    }
    const languages = (ext.packageJSON.contributes.breakpoints as { language: string }[]).map((b) => b.language);
    assert.ok(languages.includes("c") && languages.includes("asm"), `breakpoint languages: ${languages}`);
  });

  test("declares the lvmm.adapterMode setting, default process", () => {
    const mode = vscode.workspace.getConfiguration("lvmm").inspect<string>("adapterMode");
    assert.equal(mode?.defaultValue, "process");
  });

  test("opens the sample workspace with an lvmm launch configuration for the real kernel", () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, "a workspace folder is open");
    assert.equal(folder.uri.path.endsWith("/examples/ioengine"), true, folder.uri.toString());
    const configs = vscode.workspace.getConfiguration("launch", folder.uri).get<Record<string, unknown>[]>("configurations") ?? [];
    const launch = configs.find((c) => c.type === "lvmm");
    assert.ok(launch, "launch.json has an lvmm configuration");
    assert.equal(launch.request, "launch");
    assert.equal(launch.stopOnEntry, false);
    const kernel = String(launch.kernel).replace("${workspaceFolder}", folder.uri.fsPath);
    assert.ok(existsSync(kernel), `the kernel it names exists (built by npm run build): ${kernel}`);
  });

  test("process mode runs dist/adapter.js with node, or says the adapter is not built", async () => {
    const { ext, api } = await activateLvmm();
    const session = { workspaceFolder: vscode.workspace.workspaceFolders?.[0] } as vscode.DebugSession;
    const bundle = join(ext.extensionPath, ADAPTER_BUNDLE);
    if (existsSync(bundle)) {
      const d = api.adapterFactory.createDebugAdapterDescriptor(session);
      assert.ok(d instanceof vscode.DebugAdapterExecutable);
      assert.equal(d.command, "node");
      assert.deepEqual(d.args, [bundle]);
    } else {
      assert.throws(
        () => api.adapterFactory.createDebugAdapterDescriptor(session),
        (e: unknown) => e instanceof Error && e.name === "AdapterUnavailableError" && e.message.includes(bundle) && e.message.includes("npm run build"),
      );
    }
  });
});
