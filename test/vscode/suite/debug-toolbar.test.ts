// The Reverse Step Over and Reverse Step Out buttons: the manifest puts them on the debug
// toolbar (menu id `debug/toolBar`, which VS Code spells with a capital B) with icons of their
// own, and in a real workbench they are on the debug toolbar, enabled, with those icons, while
// an lvmm session (the real adapter, stopped on entry) is paused.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import { TT_COMMAND } from "../../../src/extension/time-travel/commands";
import { activateLvmm, waitFor } from "./extension-api";
import { workbenchElements, workbenchProbeUrl, type WorkbenchElement } from "./workbench-dom";

const WAIT_MS = 15_000;

interface CommandContribution {
  command: string;
  title: string;
  icon?: string | { light: string; dark: string };
  enablement?: string;
}
interface MenuItem {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

/** The buttons, by command, with the file names of their icons under media/. */
const BUTTONS = [
  { command: TT_COMMAND.reverseStepOver, title: "Reverse Step Over", icon: "reverse-step-over" },
  { command: TT_COMMAND.reverseStepOut, title: "Reverse Step Out", icon: "reverse-step-out" },
] as const;

/**
 * Menu ids VS Code reads from `contributes.menus` (its documentation's list, VS Code 1.90 to
 * 1.139). An id it does not know is ignored with only a log warning, as `debug/toolbar` was.
 */
const KNOWN_MENU_IDS = new Set([
  "commandPalette",
  "comments/comment/context",
  "comments/comment/title",
  "comments/commentThread/context",
  "comments/commentThread/title",
  "debug/callstack/context",
  "debug/createConfiguration",
  "debug/toolBar",
  "debug/variables/context",
  "debug/watch/context",
  "editor/context",
  "editor/context/copy",
  "editor/lineNumber/context",
  "editor/title",
  "editor/title/context",
  "editor/title/run",
  "explorer/context",
  "extension/context",
  "file/newFile",
  "interactive/cell/title",
  "interactive/toolbar",
  "menuBar/edit/copy",
  "notebook/cell/execute",
  "notebook/cell/title",
  "notebook/toolbar",
  "ports/item/context",
  "scm/change/title",
  "scm/inputBox",
  "scm/resourceFolder/context",
  "scm/resourceGroup/context",
  "scm/resourceState/context",
  "scm/sourceControl",
  "scm/title",
  "statusBar/remoteIndicator",
  "terminal/context",
  "terminal/title/context",
  "testing/item/context",
  "testing/item/gutter",
  "timeline/item/context",
  "timeline/title",
  "touchBar",
  "view/item/context",
  "view/title",
  "viewContainer/title",
  "webview/context",
]);

/** Polls an asynchronous `probe` until it returns a value other than undefined, or fails after `ms`. */
async function waitForAsync<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite("debug toolbar: Reverse Step Over and Reverse Step Out", () => {
  test("the manifest contributes them to debug/toolBar, for lvmm sessions, with light and dark SVG icons of their own", async () => {
    const { ext } = await activateLvmm();
    const contributes = ext.packageJSON.contributes as { commands: CommandContribution[]; menus: Record<string, MenuItem[]>; submenus?: { id: string }[] };
    const submenus = new Set((contributes.submenus ?? []).map((s) => s.id));
    for (const id of Object.keys(contributes.menus)) {
      assert.ok(KNOWN_MENU_IDS.has(id) || submenus.has(id), `contributes.menus["${id}"] is not a menu VS Code knows`);
    }
    const toolbar = contributes.menus["debug/toolBar"] ?? [];
    for (const b of BUTTONS) {
      const item = toolbar.find((m) => m.command === b.command);
      assert.ok(item, `${b.command} is in contributes.menus["debug/toolBar"]`);
      assert.match(item.when ?? "", /debugType == 'lvmm'/, `${b.command} shows for lvmm sessions only`);
      const cmd = contributes.commands.find((c) => c.command === b.command);
      assert.ok(cmd, `${b.command} is a contributed command`);
      assert.equal(cmd.title, b.title);
      assert.match(cmd.enablement ?? "", /debugState == 'stopped'/, `${b.command} is enabled only while stopped`);
      const icon = cmd.icon;
      if (!icon || typeof icon !== "object") assert.fail(`${b.command} has an icon of its own, not a codicon (${JSON.stringify(icon)})`);
      for (const variant of ["light", "dark"] as const) {
        const rel: string = icon[variant];
        assert.equal(rel.replace(/^\.\//, ""), `media/${b.icon}-${variant}.svg`);
        const file = join(ext.extensionPath, rel);
        assert.ok(existsSync(file), `${file} exists`);
        const svg = readFileSync(file, "utf8");
        assert.match(svg, /^<svg [^>]*width="16" height="16" viewBox="0 0 16 16"/, `${rel} is a 16x16 SVG`);
      }
      assert.notEqual(readFileSync(join(ext.extensionPath, icon.light), "utf8"), readFileSync(join(ext.extensionPath, icon.dark), "utf8"), `${b.command}: light and dark icons differ`);
    }
  });

  suite("in the workbench, while an lvmm session is stopped", function () {
    this.timeout(60_000);
    const disposables: vscode.Disposable[] = [];
    let session: vscode.DebugSession | undefined;

    suiteSetup(async function () {
      if (!workbenchProbeUrl()) this.skip(); // the desktop runner cannot see the DOM
      await activateLvmm();
      let stopped = false;
      disposables.push(
        vscode.debug.registerDebugAdapterTrackerFactory("lvmm", {
          createDebugAdapterTracker: () => ({ onDidSendMessage: (m: { type: string; event?: string }) => void (m.type === "event" && m.event === "stopped" && (stopped = true)) }),
        }),
      );
      const started = new Promise<vscode.DebugSession>((resolve) => {
        const sub = vscode.debug.onDidStartDebugSession((s) => {
          sub.dispose();
          resolve(s);
        });
      });
      const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
        type: "lvmm",
        request: "launch",
        name: "debug toolbar",
        kernel: "${workspaceFolder}/../../guest/build/ioengine.elf",
        stopOnEntry: true,
      });
      assert.equal(ok, true, "startDebugging accepted the lvmm configuration");
      session = await started;
      await waitFor("the session to stop on entry", () => (stopped ? true : undefined), WAIT_MS);
    });

    suiteTeardown(async () => {
      if (session) await vscode.debug.stopDebugging(session);
      for (const d of disposables) d.dispose();
    });

    const describe = (els: WorkbenchElement[]) => els.map((e) => `${e.ariaLabel ?? e.title ?? "?"} [${e.classes.join(" ")}]`).join("; ");
    const variantOf = (kind: vscode.ColorThemeKind) => (kind === vscode.ColorThemeKind.Light || kind === vscode.ColorThemeKind.HighContrastLight ? "light" : "dark");
    /** The debug toolbar's buttons, once both of ours are there and enabled showing the icon for `variant`; then the buttons, ours first. */
    const toolbar = async (variant: "light" | "dark") => {
      let seen: WorkbenchElement[] = [];
      // A remote workbench loads an icon file through vscode-remote-resource?path=<encoded path>.
      const imageOf = (e: WorkbenchElement) => decodeURIComponent(`${e.backgroundImage} ${e.maskImage}`);
      const ours = await waitForAsync(
        `the debug toolbar to show Reverse Step Over and Reverse Step Out, enabled, with their ${variant} icons`,
        async () => {
          seen = await workbenchElements(".debug-toolbar .action-item .action-label");
          const found = BUTTONS.map((b) => seen.find((e) => (e.ariaLabel ?? "").startsWith(b.title)));
          const ready = found.every((e, i) => e && e.visible && e.ariaDisabled !== "true" && !e.classes.includes("disabled") && imageOf(e).includes(`/media/${BUTTONS[i]!.icon}-${variant}.svg`));
          return ready ? (found as WorkbenchElement[]) : undefined;
        },
        WAIT_MS,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; the debug toolbar has: ${seen.map((x) => `${describe([x])} ${imageOf(x)}`).join("; ") || "no buttons"}`);
      });
      return { ours, all: seen };
    };

    test("both buttons are on the debug toolbar beside Step Back, enabled, each with its own icon", async () => {
      const { ours, all } = await toolbar(variantOf(vscode.window.activeColorTheme.kind));
      for (const [i, el] of ours.entries()) {
        assert.ok(!el.classes.some((c) => c.startsWith("codicon-")), `${BUTTONS[i]!.title} shows no codicon: ${el.classes.join(" ")}`);
      }
      // Beside VS Code's own Step Back (order 50 in its navigation group), before Restart (60).
      const at = (title: string) => all.findIndex((e) => (e.ariaLabel ?? "").startsWith(title));
      const [over, out] = BUTTONS.map((b) => at(b.title)) as [number, number];
      assert.ok(at("Step Back") >= 0 && at("Step Back") < over && over < out && out < at("Restart"), `toolbar order: ${describe(all)}`);
    });

    test("they switch to the other variant of their icons with the theme", async () => {
      const config = vscode.workspace.getConfiguration("workbench");
      const before = variantOf(vscode.window.activeColorTheme.kind);
      const other = before === "light" ? "dark" : "light";
      const changed = new Promise<void>((resolve) => {
        const sub = vscode.window.onDidChangeActiveColorTheme(() => {
          sub.dispose();
          resolve();
        });
      });
      await config.update("colorTheme", other === "dark" ? "Default Dark Modern" : "Default Light Modern", vscode.ConfigurationTarget.Global);
      try {
        await changed;
        assert.equal(variantOf(vscode.window.activeColorTheme.kind), other);
        await toolbar(other);
      } finally {
        await config.update("colorTheme", undefined, vscode.ConfigurationTarget.Global);
      }
    });
  });
});
