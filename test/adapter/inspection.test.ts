// Inspecting a stopped guest through DAP: a struct local and registers, the Devices scope,
// setVariable, evaluate (registers, symbols, C expressions, casts, x/ dumps), memory read and
// write, disassembly with source lines, and data breakpoints.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { DebugInfo } from "../../src/adapter/dwarf";
import { guestPath, KERNEL, launchArgs, lineOf, readMemory, resumeAndWait, topFrame, withAdapter, writeMemory } from "./dap-harness";

const di = DebugInfo.load(readFileSync(KERNEL));
const E1000_C = guestPath("drivers/e1000.c");

async function stopInE1000Init(dc: DebugClient): Promise<number> {
  const line = lineOf("drivers/e1000.c", "mmio = bar0 & ~0xFu;");
  await dc.hitBreakpoint(launchArgs(), { path: E1000_C, line });
  return (await topFrame(dc)).id;
}

async function evaluate(dc: DebugClient, expression: string, frameId: number) {
  return (await dc.evaluateRequest({ expression, frameId, context: "repl" })).body;
}

describe("inspection", () => {
  test("a struct local expands into its members; registers and devices scopes decode fields", async () => {
    await withAdapter(async (dc) => {
      const frameId = await stopInE1000Init(dc);
      const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
      assert.deepEqual(
        scopes.map((s) => s.name),
        ["Locals", "Globals", "Registers", "Devices"],
      );
      assert.equal(scopes[2]!.presentationHint, "registers");
      // start_network's `struct pci_device dev` lives on kmain's stack (start_network is inlined).
      const stack = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      const sn = stack.find((f) => f.name.startsWith("start_network"))!;
      const snScopes = (await dc.scopesRequest({ frameId: sn.id })).body.scopes;
      const locals = (await dc.variablesRequest({ variablesReference: snScopes[0]!.variablesReference })).body.variables;
      const dev = locals.find((v) => v.name === "dev")!;
      assert.equal(dev.type, "struct pci_device");
      assert.ok(dev.variablesReference > 0 && dev.memoryReference);
      const members = (await dc.variablesRequest({ variablesReference: dev.variablesReference })).body.variables;
      const byName = Object.fromEntries(members.map((m) => [m.name, m.value]));
      assert.equal(byName.vendor, String(0x8086));
      assert.equal(byName.device, String(0x100e));
      assert.match(byName.irq_line ?? "", /^\d+$/, JSON.stringify(byName));

      const regs = (await dc.variablesRequest({ variablesReference: scopes[2]!.variablesReference })).body.variables;
      const eip = regs.find((r) => r.name === "eip")!;
      assert.equal(Number(eip.value), Number((await topFrame(dc)).instructionPointerReference));
      const eflags = regs.find((r) => r.name === "eflags")!;
      const flags = (await dc.variablesRequest({ variablesReference: eflags.variablesReference })).body.variables;
      assert.ok(flags.some((f) => f.name === "IF") && flags.some((f) => f.name === "ZF"), JSON.stringify(flags.map((f) => f.name)));
      assert.ok(regs.find((r) => r.name === "cr0")!.value.includes("PE"));

      const devices = (await dc.variablesRequest({ variablesReference: scopes[3]!.variablesReference })).body.variables;
      assert.deepEqual(
        devices.map((d) => d.name),
        ["e1000", "PIC master", "PIC slave", "PIT"],
      );
      const e1000 = (await dc.variablesRequest({ variablesReference: devices[0]!.variablesReference })).body.variables;
      for (const r of ["ICR", "IMS", "RCTL", "TCTL", "RDH", "RDT", "TDH", "TDT", "RDBAL", "TDBAL"])
        assert.ok(
          e1000.some((v) => v.name === r),
          r,
        );
      const pit = devices.find((d) => d.name === "PIT")!;
      assert.match(pit.value, /1000\.\d Hz/);
    });
  });

  test("setVariable changes a register and a global; evaluate reads registers, symbols, C expressions and dumps memory", async () => {
    await withAdapter(async (dc) => {
      const frameId = await stopInE1000Init(dc);
      const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
      await dc.setVariableRequest({ variablesReference: scopes[2]!.variablesReference, name: "eax", value: "0x1234" });
      assert.equal((await evaluate(dc, "$eax", frameId)).result, String(0x1234));
      assert.equal((await evaluate(dc, "boot_options.hz", frameId)).result, "1000");
      assert.equal((await evaluate(dc, "sizeof(struct e1000_rx_desc)", frameId)).result, "16");
      assert.equal((await evaluate(dc, "boot_options.hz == 1000 && sizeof(nic.mac) == 6", frameId)).result, "1");
      const cmd = await evaluate(dc, "boot_cmdline", frameId);
      assert.equal(cmd.result, '"ip=10.0.2.15 hz=1000"');
      const word = await evaluate(dc, "*(uint32_t *)&boot_cmdline", frameId);
      assert.equal(Number(word.result), 0x313d7069); // "ip=1" little-endian
      assert.equal((await evaluate(dc, "(char)boot_cmdline[1] + 1", frameId)).result, String("p".charCodeAt(0) + 1));
      const dump = await evaluate(dc, "x/4xb &boot_cmdline", frameId);
      assert.match(dump.result, /<boot_cmdline>: 0x69 0x70 0x3d 0x31$/);
      assert.match((await evaluate(dc, "&net_input", frameId)).result, /<net_input>/);
      await assert.rejects(dc.evaluateRequest({ expression: "no_such_symbol + 1", frameId, context: "watch" }), /no symbol "no_such_symbol"/);

      // A global through setVariable in the Globals scope.
      const globals = (await dc.variablesRequest({ variablesReference: scopes[1]!.variablesReference })).body.variables;
      const bo = globals.find((g) => g.name === "boot_options")!;
      await dc.setVariableRequest({ variablesReference: bo.variablesReference, name: "hz", value: "250" });
      assert.equal((await evaluate(dc, "boot_options.hz", frameId)).result, "250");
    });
  });

  test("readMemory and writeMemory reach guest memory; unreadable bytes are reported; disassembly carries source lines", async () => {
    await withAdapter(async (dc) => {
      const frameId = await stopInE1000Init(dc);
      const addr = (await evaluate(dc, "&boot_cmdline", frameId)).memoryReference!;
      const r = await readMemory(dc, { memoryReference: addr, count: 8 });
      assert.equal(Buffer.from(r.body!.data!, "base64").toString("latin1"), "ip=10.0.");
      await writeMemory(dc, { memoryReference: addr, offset: 3, data: Buffer.from("99").toString("base64") });
      assert.equal((await evaluate(dc, "boot_cmdline", frameId)).result, '"ip=99.0.2.15 hz=1000"');
      const beyond = await readMemory(dc, { memoryReference: `0x${(32 * 1024 * 1024 - 4).toString(16)}`, count: 8 });
      assert.equal(beyond.body!.unreadableBytes, 4);

      const pc = (await topFrame(dc)).instructionPointerReference!;
      const dis = (await dc.disassembleRequest({ memoryReference: pc, instructionOffset: -4, instructionCount: 10 })).body!.instructions;
      assert.equal(dis.length, 10);
      const here = dis[4]!;
      assert.equal(Number(here.address), Number(pc));
      const loc = di.addressToLine(Number(pc))!;
      const withLine = dis
        .slice(0, 5)
        .reverse()
        .find((i) => i.line !== undefined)!;
      assert.ok(withLine.location?.path?.endsWith("e1000.c"));
      assert.ok(
        dis.every((i, k) => k === 0 || Number(i.address) > Number(dis[k - 1]!.address)),
        "addresses increase",
      );
      assert.ok(loc.line > 0);
    });
  });

  test("data breakpoint on a global stops right after the write that changed it", async () => {
    await withAdapter(async (dc) => {
      const frameId = await stopInE1000Init(dc);
      const info = await dc.dataBreakpointInfoRequest({ name: "nic.link_up", frameId });
      assert.match(info.body.dataId ?? "", /^\d+:1$/);
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
      await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [] });
      assert.equal(set.body.breakpoints[0]!.verified, true);
      const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "data breakpoint");
      assert.deepEqual(ev.body.hitBreakpointIds, [set.body.breakpoints[0]!.id]);
    });
  });
});
