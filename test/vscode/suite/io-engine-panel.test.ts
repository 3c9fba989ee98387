// The I/O Engine panel in a real VS Code: the view and commands are contributed, the webview
// loads under its CSP, and for each architecture the stream server starts in its own process,
// a small load (3 simulated RTSP clients) shows up in the webview's session table and charts
// (asserted through the webview's "rendered" reports, not pixels), and stop ends it all. The
// I/O engine's flight recording goes to the workspace (lvmm.recordingsDirectory decides), the
// panel lists it, and its link opens it in a replay debug session.
import * as assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { LvmmExtensionApi } from "../../../src/extension/extension";
import type { ServerStatus, WebviewToHost } from "../../../src/protocols/io-engine-panel-messages";
import type { LoadTotals } from "../../../src/loadgen/load-generator";
import { activateLvmm, waitFor } from "./extension-api";

type Rendered = Extract<WebviewToHost, { type: "rendered" }>;
const COMMANDS = ["lvmm.streamServer.openPanel", "lvmm.streamServer.start", "lvmm.streamServer.stop", "lvmm.streamServer.loadTest"];

/** Resolves with the first webview message that passes `accept` (the latest one counts too). */
function fromWebview<T extends WebviewToHost>(api: LvmmExtensionApi, what: string, accept: (m: WebviewToHost) => m is T, ms: number): Promise<T> {
  const view = api.ioEngine.view;
  return new Promise((resolve, reject) => {
    const last = view.lastRendered;
    if (last && accept(last)) return resolve(last);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for the webview to report ${what}; last rendered: ${JSON.stringify(view.lastRendered)}`));
    }, ms);
    const sub = view.onDidReceiveMessage((m) => {
      if (!accept(m)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(m);
    });
  });
}

const rendered =
  (pred: (r: Rendered) => boolean) =>
  (m: WebviewToHost): m is Rendered =>
    m.type === "rendered" && pred(m);

/** What the recording's "Open in the replay debugger" link sends: a replay session of it starts and stops at its start. */
async function openAsReplay(api: LvmmExtensionApi, file: string): Promise<void> {
  const events: { session: string; event?: string; body?: { reason?: string } }[] = [];
  const tracker = vscode.debug.registerDebugAdapterTrackerFactory("lvmm", {
    createDebugAdapterTracker: (s) => ({ onDidSendMessage: (m: { type: string; event?: string; body?: { reason?: string } }) => void (m.type === "event" && events.push({ session: s.id, ...m })) }),
  });
  let session: vscode.DebugSession | undefined;
  const sub = vscode.debug.onDidStartDebugSession((s) => void (s.type === "lvmm" && (session ??= s)));
  try {
    await api.ioEngine.view.handleMessage({ type: "openRecording", path: file });
    const s = await waitFor("the replay session to start", () => session, 15_000);
    assert.equal(s.configuration.replay, file);
    assert.equal(s.configuration.kernel, api.ioEngine.controller.kernelPath);
    await waitFor("the replay to stop at its start", () => events.find((e) => e.session === s.id && e.event === "stopped" && e.body?.reason === "entry"), 20_000);
    const ended = new Promise<void>((resolve) => {
      const done = vscode.debug.onDidTerminateDebugSession((t) => {
        if (t.id !== s.id) return;
        done.dispose();
        resolve();
      });
    });
    await vscode.debug.stopDebugging(s);
    await ended;
  } finally {
    sub.dispose();
    tracker.dispose();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

suite("I/O Engine panel", () => {
  let api: LvmmExtensionApi;

  suiteSetup(async () => {
    api = (await activateLvmm()).api;
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand("lvmm.streamServer.stop");
  });

  test("contributes its activity-bar container, the webview view and four commands", async () => {
    const { ext } = await activateLvmm();
    const c = ext.packageJSON.contributes;
    assert.ok(c.viewsContainers.activitybar.some((v: { id: string }) => v.id === "lvmm-io-engine"));
    assert.deepEqual(
      c.views["lvmm-io-engine"].map((v: { id: string; type: string }) => [v.id, v.type]),
      [["lvmm.ioEngine", "webview"]],
    );
    const all = await vscode.commands.getCommands(true);
    for (const cmd of COMMANDS) assert.ok(all.includes(cmd), `${cmd} is registered`);
  });

  test("opens: the webview script runs under the CSP and asks for the state", async function () {
    this.timeout(30_000);
    const ready = fromWebview(api, "ready", (m): m is Extract<WebviewToHost, { type: "ready" }> => m.type === "ready", 25_000);
    await vscode.commands.executeCommand("lvmm.streamServer.openPanel");
    await ready;
    assert.equal(api.ioEngine.view.isResolved, true);
    await fromWebview(
      api,
      "its first render",
      rendered(() => true),
      5000,
    );
  });

  test("recordings go to <first workspace folder>/recordings, or where lvmm.recordingsDirectory says", async () => {
    const { controller } = api.ioEngine;
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    assert.equal(controller.recordDir, join(folder, "recordings"));
    const config = vscode.workspace.getConfiguration("lvmm");
    assert.equal(config.inspect<string>("recordingsDirectory")?.defaultValue, "");
    const elsewhere = mkdtempSync(join(tmpdir(), "lvmm-recordings-"));
    try {
      await config.update("recordingsDirectory", elsewhere, vscode.ConfigurationTarget.Global);
      assert.equal(controller.recordDir, elsewhere);
      await config.update("recordingsDirectory", "out/recs", vscode.ConfigurationTarget.Global);
      assert.equal(controller.recordDir, join(folder, "out/recs"), "a relative path is relative to the workspace folder");
    } finally {
      await config.update("recordingsDirectory", undefined, vscode.ConfigurationTarget.Global);
      rmSync(elsewhere, { recursive: true, force: true });
    }
    assert.equal(controller.recordDir, join(folder, "recordings"));
  });

  for (const arch of ["conventional", "ioengine"] as const) {
    test(`${arch}: start, 3 clients reach the webview's session table and charts, stop`, async function () {
      if (arch === "ioengine" && !existsSync(join(vscode.extensions.getExtension("lvmm.lvmm")!.extensionPath, "guest/build/ioengine.elf"))) this.skip();
      this.timeout(arch === "ioengine" ? 70_000 : 45_000);
      const startedAt = Date.now();
      const { controller } = api.ioEngine;
      const status = (await vscode.commands.executeCommand("lvmm.streamServer.start", { arch, port: 0, metricsPort: 0 })) as ServerStatus;
      assert.equal(status.state, "running", `started: ${JSON.stringify(status)}`);
      assert.equal(status.arch, arch);
      assert.match(status.url ?? "", /^rtsp:\/\/127\.0\.0\.1:\d+\/testsrc-640x360-20s$/);
      const pid = controller.serverPid!;
      assert.ok(pid && pid !== process.pid, "the server runs in its own process");
      await fromWebview(
        api,
        "no sessions yet",
        rendered((r) => r.sessions === 0),
        5000,
      );

      // the load runs until the webview shows it (at most 20 s), so a busy machine only makes it longer
      const load = vscode.commands.executeCommand("lvmm.streamServer.loadTest", { clients: 3, seconds: 20 }) as Thenable<LoadTotals>;
      const charts = arch === "ioengine" ? ["bitrate", "lateness", "misses", "queue", "cpu"] : ["bitrate", "lateness", "misses", "cpu"];
      const seen = await fromWebview(
        api,
        `3 sessions and non-empty ${charts.join(", ")} charts`,
        rendered((r) => r.sessions === 3 && r.streamSeries >= 3 && charts.every((c) => r.nonEmptyCharts.includes(c))),
        20_000,
      );
      assert.ok(seen.samples >= 1);
      await controller.stopLoad();
      const totals = await load;
      assert.deepEqual(totals.errors, []);
      assert.equal(totals.perClient.length, 3);
      for (const c of totals.perClient) assert.ok(c.packets > 0, `every client received packets: ${JSON.stringify(totals.perClient)}`);

      // the Copy URL button's message puts the rtsp:// URL on the clipboard
      await api.ioEngine.view.handleMessage({ type: "copyUrl" });
      assert.equal(await vscode.env.clipboard.readText(), status.url);
      const stopped = (await vscode.commands.executeCommand("lvmm.streamServer.stop")) as ServerStatus;
      assert.equal(stopped.state, "stopped");
      await fromWebview(
        api,
        "the empty session table after stop",
        rendered((r) => r.sessions === 0),
        5000,
      );
      await waitFor("the server process to exit", () => (alive(pid) ? undefined : true), 5000);
      if (arch === "ioengine") {
        // As npm start does, the engine ran under a flight recorder, written out when it stopped:
        // into the workspace (not the extension's folder, which an update replaces).
        const dir = join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, "recordings");
        assert.equal(controller.recordDir, dir);
        const made = readdirSync(dir).filter((f) => /^engine-\d+\.lvmmrec$/.test(f) && statSync(join(dir, f)).mtimeMs >= startedAt - 1000);
        assert.equal(made.length, 1, `one new recording in ${dir}: ${made.join(", ")}`);
        const file = join(dir, made[0]!);
        try {
          assert.equal(readFileSync(file).subarray(0, 7).toString("latin1"), "LVMMREC");
          // The panel lists where it went...
          const listed = await waitFor("the panel to list the recording", () => controller.recordings.find((r) => r.path === file), 5000);
          assert.ok(listed.virtualSeconds > 0 && listed.events > 0, JSON.stringify(listed));
          await fromWebview(
            api,
            "the recording in the webview's list",
            rendered((r) => (r.recordings ?? 0) >= 1),
            5000,
          );
          // ...and its link opens it in a replay debug session, stopped at the recording's start.
          await openAsReplay(api, file);
        } finally {
          rmSync(file, { force: true });
          if (readdirSync(dir).length === 0) rmdirSync(dir);
        }
      }
    });
  }
});
