// What the anchor adapters offer in the Debug Console, Watch and Call Stack views, against the
// real guest stopped in e1000_init: completions (names in scope, members, $registers) with the
// range they replace; setExpression on variables, members, array elements, derefs and registers,
// re-read after the write; stack frames loaded in pages (startFrame/levels, totalFrames).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { guestPath, launchArgs, lineOf, topFrame, withAdapter } from "./dap-harness";

const E1000_C = guestPath("drivers/e1000.c");

async function stopInE1000Init(dc: DebugClient): Promise<number> {
  await dc.hitBreakpoint(launchArgs(), { path: E1000_C, line: lineOf("drivers/e1000.c", "mmio = bar0 & ~0xFu;") });
  return (await topFrame(dc)).id;
}

async function completions(dc: DebugClient, text: string, frameId: number, column = text.length + 1): Promise<DebugProtocol.CompletionItem[]> {
  const r = (await dc.customRequest("completions", { text, column, frameId })) as DebugProtocol.CompletionsResponse;
  return r.body.targets;
}

async function setExpression(dc: DebugClient, expression: string, value: string, frameId: number): Promise<DebugProtocol.SetExpressionResponse> {
  return (await dc.customRequest("setExpression", { expression, value, frameId })) as DebugProtocol.SetExpressionResponse;
}

async function value(dc: DebugClient, expression: string, frameId: number): Promise<string> {
  return (await dc.evaluateRequest({ expression, frameId, context: "watch" })).body.result;
}

describe("Debug Console, Watch and Call Stack features", () => {
  test("initialize announces completions, setExpression and delayed stack loading", async () => {
    await withAdapter(async (dc) => {
      const caps = (await dc.initializeRequest()).body!;
      assert.equal(caps.supportsCompletionsRequest, true);
      assert.deepEqual(caps.completionTriggerCharacters, [".", ">", "$"]);
      assert.equal(caps.supportsSetExpression, true);
      assert.equal(caps.supportsDelayedStackTraceLoading, true);
    });
  });

  test("completions: locals, parameters, globals and functions by prefix; members after . and ->; $registers", async () => {
    await withAdapter(async (dc) => {
      const frameId = await stopInE1000Init(dc);
      const labels = (items: DebugProtocol.CompletionItem[]) => items.map((i) => i.label);

      const bar = await completions(dc, "ba", frameId);
      const bar0 = bar.find((i) => i.label === "bar0");
      assert.ok(bar0, JSON.stringify(labels(bar)));
      assert.equal(bar0.type, "variable");
      assert.equal(bar0.detail, "uint32_t");
      assert.deepEqual([bar0.start, bar0.length], [1, 2], "replaces the typed word (1-based columns)");
      assert.ok(bar.every((i) => i.label.startsWith("ba")));

      const pci = labels(await completions(dc, "pc", frameId));
      assert.ok(pci.includes("pci"), "a parameter");
      assert.ok(pci.includes("pci_read32"), "a function");
      assert.ok(labels(await completions(dc, "mm", frameId)).includes("mmio"), "a file-scope static");
      assert.ok(labels(await completions(dc, "boot_cm", frameId)).includes("boot_cmdline"), "a global of another unit");

      const arrow = await completions(dc, "x + pci->ven", frameId);
      assert.deepEqual(labels(arrow), ["vendor"]);
      assert.deepEqual([arrow[0]!.start, arrow[0]!.length, arrow[0]!.type], [10, 3, "field"]);
      const dot = labels(await completions(dc, "stats.", frameId));
      assert.ok(dot.includes("rx_frames") && dot.length > 3, JSON.stringify(dot));
      assert.ok(labels(await completions(dc, "(*pci).de", frameId)).includes("device"));

      const regs = await completions(dc, "1 + $e", frameId);
      for (const r of ["$eax", "$eip", "$esp", "$eflags"]) assert.ok(labels(regs).includes(r), r);
      assert.deepEqual([regs[0]!.start, regs[0]!.length], [5, 2], "the $ is part of the replaced word");
      assert.ok(labels(await completions(dc, "$", frameId)).includes("$cr2"));

      assert.deepEqual(await completions(dc, "0x1f", frameId), [], "nothing inside a number");
      assert.deepEqual(await completions(dc, "pci > ", frameId), [], "nothing after a comparison");
      // The cursor, not the end of the text, says what is being typed.
      assert.ok(labels(await completions(dc, "ba + 1", frameId, 3)).includes("bar0"));
    });
  });

  test("setExpression writes variables, members, array elements, derefs and registers, and returns the value re-read", async () => {
    await withAdapter(async (dc) => {
      const frameId = await stopInE1000Init(dc);
      const set = async (expression: string, v: string, expected: string) => {
        const r = await setExpression(dc, expression, v, frameId);
        assert.equal(r.body.value, expected, `${expression} = ${v}`);
        assert.equal(await value(dc, expression, frameId), expected, `${expression} reads back`);
      };
      await set("mmio", "0x1234", "4660");
      await set("stats.rx_frames", "41 + 1", "42");
      await set("race_staging[3]", "9", "9");
      await set("*&race_staging[4]", "race_staging[3] * 2", "18");
      await set("((struct e1000_stats *)&stats)->tx_frames", "5", "5");
      await set("$eax", "0x55", "85");
      const regs = (await dc.scopesRequest({ frameId })).body.scopes.find((s) => s.name === "Registers")!;
      const eax = (await dc.variablesRequest({ variablesReference: regs.variablesReference })).body.variables.find((v) => v.name === "eax")!;
      assert.equal(Number(eax.value), 0x55, "the register itself changed");

      await assert.rejects(setExpression(dc, "mmio + 1", "3", frameId), /computed|no storage/);
      await assert.rejects(setExpression(dc, "nosuch", "3", frameId), /no symbol "nosuch"/);
      await assert.rejects(setExpression(dc, "stats", "3", frameId), /cannot assign a number to a value of type struct/);
    });
  });

  test("stackTrace pages through the frames (startFrame, levels) and reports totalFrames", async () => {
    await withAdapter(async (dc) => {
      await stopInE1000Init(dc);
      const all = (await dc.stackTraceRequest({ threadId: 1 })).body;
      assert.ok(all.stackFrames.length >= 3, JSON.stringify(all.stackFrames.map((f) => f.name)));
      assert.equal(all.totalFrames, all.stackFrames.length);
      const first = (await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 1 })).body;
      assert.equal(first.stackFrames.length, 1);
      assert.equal(first.totalFrames, all.stackFrames.length, "the client learns there is more to load");
      const rest = (await dc.stackTraceRequest({ threadId: 1, startFrame: 1, levels: 20 })).body;
      assert.deepEqual(
        rest.stackFrames.map((f) => [f.id, f.name]),
        all.stackFrames.slice(1, 21).map((f) => [f.id, f.name]),
      );
      const past = (await dc.stackTraceRequest({ threadId: 1, startFrame: all.stackFrames.length, levels: 20 })).body;
      assert.deepEqual(past.stackFrames, []);
    });
  });
});
