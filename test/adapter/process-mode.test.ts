// The adapter as the extension's "process" mode runs it (node dist/adapter.js over stdio), and
// the bundle's inline contract: require() exports LvmmDebugSession and starts nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ADAPTER_BUNDLE, guestPath, launchArgs, lineOf, startProcess, topFrame, withAdapter } from "./dap-harness";

describe("adapter process", () => {
  test("dist/adapter.js serves DAP on stdio: breakpoint, evaluate, lvmm/status, disconnect", async () => {
    await withAdapter(async (dc) => {
      const statuses: unknown[] = [];
      dc.on("lvmm/status", (e: DebugProtocol.Event) => statuses.push(e.body));
      const line = lineOf("drivers/e1000.c", "mmio = bar0 & ~0xFu;");
      await dc.hitBreakpoint(launchArgs(), { path: guestPath("drivers/e1000.c"), line });
      const f = await topFrame(dc);
      assert.equal(f.name, "e1000_init");
      const r = await dc.evaluateRequest({ expression: "boot_options.hz", frameId: f.id, context: "watch" });
      assert.equal(r.body.result, "1000");
      const last = statuses[statuses.length - 1] as { state: string; icount: number; virtualSeconds: number };
      assert.equal(last.state, "stopped");
      assert.ok(last.icount > 0 && last.virtualSeconds > 0);
    }, startProcess);
  });

  test("require(dist/adapter.js) exports LvmmDebugSession without starting a server", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the built CommonJS bundle as VS Code does
    const mod = require(ADAPTER_BUNDLE) as { LvmmDebugSession?: unknown };
    assert.equal(typeof mod.LvmmDebugSession, "function");
  });
});
