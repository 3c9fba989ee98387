// The real LVMM debug adapter in a real VS Code, in both adapter modes: the sample workspace's
// launch configuration boots the guest, a source breakpoint set through the editor's API in
// e1000_init is hit, scopes and variables are read, one step over runs, the status bar shows
// the machine's state while the session runs, and the session ends cleanly.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import type { LvmmExtensionApi } from "../../../src/extension/extension";
import { activateLvmm, waitFor } from "./extension-api";

/** The configuration's name in examples/ioengine/.vscode/launch.json. */
const LAUNCH_NAME = "LVMM: boot the I/O engine with UDP echo traffic";
const WAIT_MS = 15_000;

interface DapMessage {
  type: string;
  event?: string;
  command?: string;
  body?: Record<string, unknown>;
}

/** Records what the adapter sends for sessions of type lvmm (events only). */
class EventLog {
  readonly events: { session: string; msg: DapMessage }[] = [];
  /** Failed responses, adapter errors and exits, for assertion messages. */
  readonly problems: string[] = [];
  private waiters: { session: string | undefined; pred: (m: DapMessage) => boolean; resolve: (m: DapMessage) => void }[] = [];

  factory(): vscode.DebugAdapterTrackerFactory {
    return {
      createDebugAdapterTracker: (session) => ({
        onError: (e) => this.problems.push(`${session.id}: adapter error ${e.message}`),
        onExit: (code, signal) => this.problems.push(`${session.id}: adapter exited with ${code ?? signal}`),
        onDidSendMessage: (m: DapMessage & { success?: boolean; message?: string }) => {
          if (m.type === "response" && m.success === false) this.problems.push(`${session.id}: ${m.command} failed: ${m.message}`);
          if (m.type !== "event") return;
          this.events.push({ session: session.id, msg: m });
          this.waiters = this.waiters.filter((w) => {
            if ((w.session !== undefined && w.session !== session.id) || !w.pred(m)) return true;
            w.resolve(m);
            return false;
          });
        },
      }),
    };
  }

  /** The next event of `session` (any lvmm session when undefined) that passes `pred`, counting those recorded since index `since`. */
  next(session: string | undefined, what: string, pred: (m: DapMessage) => boolean, ms = WAIT_MS, since = this.events.length): Promise<DapMessage> {
    const seen = this.events.slice(since).find((e) => (session === undefined || e.session === session) && pred(e.msg));
    if (seen) return Promise.resolve(seen.msg);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; events so far: ${this.events.map((e) => e.msg.event).join(", ")}`)), ms);
      this.waiters.push({
        session,
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

const stoppedWith = (reason: string) => (m: DapMessage) => m.event === "stopped" && m.body?.reason === reason;

function lineOf(file: string, text: string): number {
  const i = readFileSync(file, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" not in ${file}`);
  return i + 1;
}

function withTimeout<T>(p: Thenable<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([Promise.resolve(p).finally(() => clearTimeout(timer)), new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]);
}

suite("lvmm debug session (real adapter, sample launch.json)", () => {
  let api: LvmmExtensionApi;
  let root: string;
  const log = new EventLog();
  const disposables: vscode.Disposable[] = [];

  suiteSetup(async function () {
    api = (await activateLvmm()).api;
    root = vscode.extensions.getExtension("lvmm.lvmm")!.extensionPath;
    if (!existsSync(join(root, "guest/build/ioengine.elf")) || !existsSync(join(root, "dist/adapter.js"))) this.skip();
    disposables.push(vscode.debug.registerDebugAdapterTrackerFactory("lvmm", log.factory()));
  });

  suiteTeardown(async () => {
    for (const d of disposables) d.dispose();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await vscode.workspace.getConfiguration("lvmm").update("adapterMode", undefined, vscode.ConfigurationTarget.Global);
  });

  for (const mode of ["process", "inline"] as const) {
    test(`${mode} mode: F5's configuration hits a breakpoint in e1000_init, reads variables, steps over, ends cleanly`, async function () {
      this.timeout(40_000);
      await vscode.workspace.getConfiguration("lvmm").update("adapterMode", mode, vscode.ConfigurationTarget.Global);
      assert.equal(vscode.workspace.getConfiguration("lvmm").get("adapterMode"), mode);

      const file = join(root, "guest/drivers/e1000.c");
      const line = lineOf(file, "mmio = bar0 & ~0xFu;");
      const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(line - 1, 0)));
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      vscode.debug.addBreakpoints([bp]);

      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, "the sample workspace is open");
      const started = new Promise<vscode.DebugSession>((resolve) => {
        const sub = vscode.debug.onDidStartDebugSession((s) => {
          if (s.type !== "lvmm") return;
          sub.dispose();
          resolve(s);
        });
      });
      // Any lvmm session's stop counts (the session object may be announced after its first events).
      const firstStop = log.next(undefined, "the breakpoint's stopped event", stoppedWith("breakpoint"), 25_000);
      firstStop.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const ok = await withTimeout(vscode.debug.startDebugging(folder, LAUNCH_NAME), "startDebugging");
      assert.equal(ok, true, `startDebugging("${LAUNCH_NAME}") in ${mode} mode: ${log.problems.join("; ") || "no adapter error seen"}`);
      const session = await withTimeout(started, "the session to start");
      try {
        await firstStop;

        const st = (await session.customRequest("stackTrace", { threadId: 1 })) as { stackFrames: { id: number; name: string; line: number; source?: { path?: string } }[] };
        const top = st.stackFrames[0]!;
        assert.equal(top.name, "e1000_init");
        assert.equal(top.line, line, "stopped on the breakpoint's line (a DWARF row of e1000.c)");
        assert.ok(top.source?.path?.endsWith("drivers/e1000.c"), top.source?.path);
        assert.ok(
          st.stackFrames.some((f) => f.name === "kmain" || f.name === "start_network"),
          `callers: ${st.stackFrames.map((f) => f.name).join(" < ")}`,
        );

        const { scopes } = (await session.customRequest("scopes", { frameId: top.id })) as { scopes: { name: string; variablesReference: number }[] };
        const locals = scopes.find((s) => s.name === "Locals");
        assert.ok(locals, `scopes: ${scopes.map((s) => s.name).join(", ")}`);
        const { variables } = (await session.customRequest("variables", { variablesReference: locals.variablesReference })) as { variables: { name: string; value: string }[] };
        const names = variables.map((v) => v.name);
        for (const n of ["pci", "info", "bar0"]) assert.ok(names.includes(n), `locals of e1000_init: ${names.join(", ")}`);
        const registers = scopes.find((s) => s.name === "Registers");
        assert.ok(registers, "a Registers scope");
        const regs = (await session.customRequest("variables", { variablesReference: registers.variablesReference })) as { variables: { name: string; value: string; variablesReference: number }[] };
        assert.ok(regs.variables.length > 0, "registers are listed");

        const status = await waitFor("the status bar to show the LVMM state", () => (api.statusBar.text?.startsWith("LVMM: stopped") ? api.statusBar.text : undefined), 5000);
        assert.match(status, /^LVMM: stopped icount \d+ t=\d+\.\d{6} s$/);

        const stepped = log.next(session.id, "the step's stopped event", stoppedWith("step"));
        await session.customRequest("next", { threadId: 1 });
        await stepped;
        const after = (await session.customRequest("stackTrace", { threadId: 1 })) as { stackFrames: { name: string; line: number }[] };
        assert.equal(after.stackFrames[0]?.name, "e1000_init");
        assert.ok(after.stackFrames[0]!.line > line, `step over went from line ${line} to ${after.stackFrames[0]?.line}`);

        // Running: the status bar says so while the guest runs (continue, then pause).
        vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
        await session.customRequest("setBreakpoints", { source: { path: file }, breakpoints: [] });
        await session.customRequest("continue", { threadId: 1 });
        await waitFor("the status bar to show the guest running", () => (api.statusBar.text?.startsWith("LVMM: running") ? api.statusBar.text : undefined), 5000);
        const paused = log.next(session.id, "the pause's stopped event", stoppedWith("pause"));
        await session.customRequest("pause", { threadId: 1 });
        await paused;
      } finally {
        const ended = new Promise<void>((resolve) => {
          const sub = vscode.debug.onDidTerminateDebugSession((s) => {
            if (s.id !== session.id) return;
            sub.dispose();
            resolve();
          });
        });
        await vscode.debug.stopDebugging(session);
        await withTimeout(ended, "the session to terminate", 10_000);
      }
      assert.equal(api.statusBar.text, undefined, "status bar cleared after the session");
      assert.equal(vscode.debug.activeDebugSession, undefined, "no session left running");
    });
  }
});
