// Function, instruction, conditional, hit-count and log-point breakpoints, breakpointLocations,
// and a breakpoint in the guest's UDP receive path hit by a real UDP client through the launch
// configuration's udpBridge, all against the real guest kernel and its DWARF.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { DebugInfo } from "../../src/adapter/dwarf";
import { guestPath, KERNEL, launchArgs, launchStopped, lineOf, resumeAndWait, topFrame, withAdapter } from "./dap-harness";

const di = DebugInfo.load(readFileSync(KERNEL));
const E1000_C = guestPath("drivers/e1000.c");
const ECHO_C = guestPath("net/echo.c");
const MTA_LINE = lineOf("drivers/e1000.c", "reg_write(E1000_MTA + 4 * i, 0);");
const MAIN_C = guestPath("kernel/main.c");
/** The loop of copy_cmdline (inlined into kmain) that copies the command line byte by byte. */
const COPY_LINE = lineOf("kernel/main.c", "boot_cmdline[n] = src[n];");
const AFTER_COPY_LINE = lineOf("kernel/main.c", "boot_cmdline[n] = '\\0';");

async function evaluate(dc: Parameters<Parameters<typeof withAdapter>[0]>[0], expression: string, frameId: number): Promise<string> {
  return (await dc.evaluateRequest({ expression, frameId, context: "watch" })).body.result;
}

describe("breakpoint kinds", () => {
  test("function breakpoints stop after the prologue of the named function; unknown names are unverified", async () => {
    await withAdapter(async (dc) => {
      let set: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
      await launchStopped(dc, launchArgs(), async () => {
        set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "e1000_init" }, { name: "no_such_function" }] });
      });
      const [bp, bad] = set!.body.breakpoints;
      assert.equal(bp!.verified, true);
      assert.equal(bad!.verified, false);
      assert.match(bad!.message ?? "", /no_such_function/);
      const fn = di.functionByName("e1000_init")!;
      const address = Number(bp!.instructionReference);
      assert.ok(address > fn.lowPc && address < fn.highPc, "past the prologue, inside the function");

      const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "function breakpoint");
      assert.deepEqual(ev.body.hitBreakpointIds, [bp!.id]);
      const f = await topFrame(dc);
      assert.equal(f.name, "e1000_init");
      assert.equal(Number(f.instructionPointerReference), address);
      assert.equal(f.line, di.addressToLine(address)!.line);
      assert.equal(f.line, bp!.line);
      // A line of the body (gcc's prologue_end row), not the opening brace.
      const open = lineOf("drivers/e1000.c", "bool e1000_init(const struct pci_device *pci");
      assert.ok(f.line > open + 1 && f.line <= lineOf("drivers/e1000.c", "mmio = bar0 & ~0xFu;"), `line ${f.line}`);
    });
  });

  test("a function breakpoint where inlined code begins shows the function's own frame at the call's line; step in enters the inlined frame, step over goes over it", async () => {
    const callLine = lineOf("kernel/main.c", "    copy_cmdline(magic, mbi);");
    const nextLine = lineOf("kernel/main.c", 'kprintf("LVMM I/O engine');
    for (const step of ["in", "over"] as const) {
      await withAdapter(async (dc) => {
        let set: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
        await launchStopped(dc, launchArgs(), async () => {
          set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "kmain" }] });
        });
        const bp = set!.body.breakpoints[0]!;
        const address = Number(bp.instructionReference);
        assert.equal(di.inlineFramesAt(address)[0]!.name, "copy_cmdline", "copy_cmdline's inlined code begins at the breakpoint's address");
        assert.equal(bp.line, callLine, "the Breakpoints view lists the line the stop shows");

        const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
        assert.equal(ev.body.reason, "function breakpoint");
        let st = await dc.stackTraceRequest({ threadId: 1 });
        const frames = () => st.body.stackFrames.map((f) => `${f.name}:${f.line}`).join(" < ");
        const top = st.body.stackFrames[0]!;
        assert.equal(top.name, "kmain", `frames: ${frames()}`);
        assert.equal(top.line, callLine);
        assert.equal(Number(top.instructionPointerReference), address);

        if (step === "in") {
          // As gdb's step at a call site of inlined code: down into copy_cmdline without running.
          await resumeAndWait(dc, () => dc.stepInRequest({ threadId: 1 }));
          st = await dc.stackTraceRequest({ threadId: 1 });
          assert.equal(st.body.stackFrames[0]!.name, "copy_cmdline [inlined]", `frames: ${frames()}`);
          assert.equal(Number(st.body.stackFrames[0]!.instructionPointerReference), address);
          assert.equal(st.body.stackFrames[0]!.line, lineOf("kernel/main.c", "boot_cmdline[0] = '\\0';"));
          assert.equal(st.body.stackFrames[1]!.name, "kmain");
          assert.equal(st.body.stackFrames[1]!.line, callLine);
        } else {
          // As gdb's next: over the whole inlined copy, to kmain's next line.
          await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1 }));
          const f = await topFrame(dc);
          assert.equal(f.name, "kmain");
          assert.equal(f.line, nextLine);
          assert.equal(await evaluate(dc, "boot_cmdline", f.id), `"${String(launchArgs().cmdline)}"`);
        }
      });
    }
  });

  test("instruction breakpoints stop on the exact address; addresses outside RAM are unverified", async () => {
    await withAdapter(async (dc) => {
      const fn = di.functionByName("e1000_start")!;
      let set: DebugProtocol.SetInstructionBreakpointsResponse | undefined;
      await launchStopped(dc, launchArgs(), async () => {
        set = (await dc.customRequest("setInstructionBreakpoints", {
          breakpoints: [{ instructionReference: `0x${fn.lowPc.toString(16)}` }, { instructionReference: "0xfffff000" }],
        })) as DebugProtocol.SetInstructionBreakpointsResponse;
      });
      const [bp, bad] = set!.body.breakpoints;
      assert.equal(bp!.verified, true);
      assert.equal(bad!.verified, false);
      const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "instruction breakpoint");
      assert.deepEqual(ev.body.hitBreakpointIds, [bp!.id]);
      const f = await topFrame(dc);
      assert.equal(Number(f.instructionPointerReference), fn.lowPc);
      assert.equal(f.name, "e1000_start");
    });
  });

  test("a conditional breakpoint in a loop stops only when its C condition holds", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc, launchArgs(), () => dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: COPY_LINE, condition: "n == 5" }] }));
      const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "breakpoint");
      assert.equal(ev.body.text, undefined, "the condition evaluated without error");
      const f = await topFrame(dc);
      assert.equal(f.line, COPY_LINE);
      assert.equal(await evaluate(dc, "n", f.id), "5");
      assert.equal(await evaluate(dc, "src[n]", f.id), "46 '.'", "the 6th character of ip=10.0.2.15");
    });
  });

  test("a hit-count breakpoint stops on the Nth hit; a condition that cannot be evaluated stops and says why", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc, launchArgs(), () => dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: COPY_LINE, hitCondition: "== 3" }] }));
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      const f = await topFrame(dc);
      assert.equal(f.line, COPY_LINE);
      assert.equal(await evaluate(dc, "n", f.id), "2", "third hit: n == 2");

      // A new setBreakpoints starts counting again: "% 5" stops on hits 5 and 10 (n == 7, n == 12).
      await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: COPY_LINE, hitCondition: "% 5" }] });
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(await evaluate(dc, "n", (await topFrame(dc)).id), "7");
      await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(await evaluate(dc, "n", (await topFrame(dc)).id), "12");

      await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: COPY_LINE, condition: "no_such_name > 1" }] });
      const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "breakpoint");
      assert.match(ev.body.text ?? "", /no_such_name > 1.*could not be evaluated/);
    });
  });

  test("a log point prints its interpolated message on every hit without stopping", async () => {
    await withAdapter(async (dc) => {
      const out: string[] = [];
      dc.on("output", (e: DebugProtocol.OutputEvent) => {
        if (e.body.category === "console") out.push(e.body.output);
      });
      await launchStopped(dc, launchArgs(), () =>
        dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: COPY_LINE, logMessage: "arg {n} {src[n]} {no_such_name}" }, { line: AFTER_COPY_LINE }] }),
      );
      const ev = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, "breakpoint");
      assert.equal((await topFrame(dc)).line, AFTER_COPY_LINE, "the log point never stopped; the plain breakpoint after the loop did");
      const logs = out.filter((l) => l.startsWith("arg "));
      const cmdline = String(launchArgs().cmdline);
      assert.equal(logs.length, cmdline.length, `one line per character of "${cmdline}":\n${logs.slice(0, 5).join("")}`);
      assert.match(logs[0]!, /^arg 0 105 'i' <.*no_such_name.*>\n$/, "an expression that fails shows its error in place");
      assert.match(logs[cmdline.length - 1]!, new RegExp(`^arg ${cmdline.length - 1} 48 '0' `));
    });
  });

  test("a breakpoint on the call line of inlined code shows the caller's frame and line; step in then enters the inlined frame", async () => {
    await withAdapter(async (dc) => {
      // reg_write (and mmio_write32 inside it) is inlined into this line of the MTA loop.
      await dc.hitBreakpoint(launchArgs(), { path: E1000_C, line: MTA_LINE });
      let st = await dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0]!;
      assert.equal(top.name, "e1000_init", `frames: ${st.body.stackFrames.map((f) => f.name).join(" < ")}`);
      assert.equal(top.line, MTA_LINE);
      const pc = top.instructionPointerReference;
      const vars = await dc.scopesRequest({ frameId: top.id }).then((s) => dc.variablesRequest({ variablesReference: s.body.scopes.find((x) => x.name === "Locals")!.variablesReference }));
      assert.ok(
        vars.body.variables.some((v) => v.name === "info"),
        "e1000_init's locals",
      );

      await resumeAndWait(dc, () => dc.stepInRequest({ threadId: 1 }));
      st = await dc.stackTraceRequest({ threadId: 1 });
      assert.equal(st.body.stackFrames[0]!.instructionPointerReference, pc, "step in entered the inlined frame without running");
      assert.equal(st.body.stackFrames[0]!.name, "reg_write [inlined]");
      assert.equal(st.body.stackFrames[1]!.name, "e1000_init");
      assert.equal(st.body.stackFrames[1]!.line, MTA_LINE);
    });
  });

  test("a breakpoint on a line where the compiler hoisted an inlined call's first instruction shows that line in its own function", async () => {
    await withAdapter(async (dc) => {
      // GCC schedules an instruction of setup_rx (inlined four lines below) at this line's address.
      const line = lineOf("drivers/e1000.c", "uint32_t ctrl = reg_read(E1000_CTRL);");
      await dc.hitBreakpoint(launchArgs(), { path: E1000_C, line });
      const st = await dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0]!;
      assert.equal(top.name, "e1000_init", `frames: ${st.body.stackFrames.map((f) => `${f.name}:${f.line}`).join(" < ")}`);
      assert.equal(top.line, line);
      // Stepping over from there goes on in e1000_init, to the next line.
      await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1 }));
      const next = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0]!;
      assert.equal(next.name, "e1000_init");
      assert.ok(
        next.line > line && next.line < line + 5,
        `stepped to line ${next.line} at ${next.instructionPointerReference}: ${(await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames.map((f) => `${f.name}:${f.line}`).join(" < ")}`,
      );
    });
  });

  test("step over walks kmain's idle loop line by line although every line calls inlined code", async () => {
    await withAdapter(async (dc) => {
      const loopTop = lineOf("kernel/main.c", "if (!delivery_busy())");
      await dc.hitBreakpoint(launchArgs(), { path: MAIN_C, line: lineOf("kernel/main.c", 'kprintf(net ? "ready\\n"') });
      const seen: number[] = [];
      for (let i = 0; i < 12; i++) {
        await resumeAndWait(dc, () => dc.nextRequest({ threadId: 1 }));
        const f = await topFrame(dc);
        assert.equal(f.name, "kmain", `step ${i} stopped in ${f.name}`);
        seen.push(f.line);
      }
      // Every line of the loop body shows up, in order, not just the loop's jump back (before the
      // fix: only line 130, the same pc on every step).
      const cpuIdle = lineOf("kernel/main.c", "            cpu_idle();");
      const polled = lineOf("kernel/main.c", "if (net && nic.polled)");
      const poll = lineOf("kernel/main.c", "        delivery_poll();");
      const inLoop = seen.slice(seen.indexOf(loopTop));
      assert.ok(inLoop.length >= 5, `reached the loop: ${seen.join(",")}`);
      assert.deepEqual(inLoop.slice(0, 5), [loopTop, cpuIdle, polled, poll, loopTop], `${seen.join(",")}`);
    });
  });

  for (const kind of ["over", "in"] as const) {
    test(`step ${kind} walks an inlined loop one line at a time (rows sharing an address with non-statement rows count)`, async () => {
      await withAdapter(async (dc) => {
        const whileLine = lineOf("kernel/main.c", "while (src[n] && n + 1 < sizeof(boot_cmdline)) {");
        await dc.hitBreakpoint(launchArgs(), { path: MAIN_C, line: whileLine });
        await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
        const trace: string[] = [];
        for (let i = 0; i < 6; i++) {
          await resumeAndWait(dc, () => (kind === "over" ? dc.nextRequest({ threadId: 1 }) : dc.stepInRequest({ threadId: 1 })));
          const f = await topFrame(dc);
          trace.push(`${f.line}:${await evaluate(dc, "n", f.id)}`);
        }
        // Before the fix one step ran the whole loop (every landing looked mid-line) and stopped in kmain.
        assert.deepEqual(trace, [`${COPY_LINE}:0`, `${whileLine}:1`, `${COPY_LINE}:1`, `${whileLine}:2`, `${COPY_LINE}:2`, `${whileLine}:3`]);
      });
    });
  }

  test("breakpointLocations lists only lines with DWARF rows, and setBreakpoints snaps a blank line to the next one", async () => {
    await withAdapter(async (dc) => {
      await launchStopped(dc);
      const fn = di.functionByName("e1000_init")!;
      const first = lineOf("drivers/e1000.c", "bool e1000_init(const struct pci_device *pci");
      const last = lineOf("drivers/e1000.c", "void e1000_start(void)") - 1;
      const r = (await dc.customRequest("breakpointLocations", { source: { path: E1000_C }, line: first, endLine: last })) as DebugProtocol.BreakpointLocationsResponse;
      const lines = [...new Set(r.body.breakpoints.map((b) => b.line))];
      assert.ok(lines.length >= 20, `e1000_init has many statement lines: ${lines.join(",")}`);
      for (const l of lines) {
        assert.ok(l >= first && l <= last, `line ${l} in range`);
        const at = di.lineToAddresses(E1000_C, l);
        assert.equal(at?.line, l, `line ${l} has a row of its own`);
        assert.ok(at!.addresses.some((a) => a >= fn.lowPc && a < fn.highPc) || at!.addresses.length > 0);
      }
      const comment = lineOf("drivers/e1000.c", "/* BAR0 stays where firmware");
      assert.ok(!lines.includes(comment), "a comment line has no location");
      assert.ok(lines.includes(MTA_LINE) && lines.includes(comment + 1));

      const set = await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [{ line: comment }, { line: 1 }] });
      const [snapped, none] = set.body.breakpoints;
      assert.equal(snapped!.verified, true);
      assert.equal(snapped!.line, comment + 1, "snapped to the statement after the comment");
      assert.ok(none!.line !== undefined);
    });
  });
});

describe("UDP bridge launch option", () => {
  test("a datagram from a real UDP client on 127.0.0.1 hits a breakpoint in the echo service's receive handler, and after continue the echo comes back", async () => {
    // A free host port for the bridge (the schema wants 1..65535, not 0).
    const probe = createSocket("udp4");
    probe.bind(0, "127.0.0.1");
    await once(probe, "listening");
    const hostPort = probe.address().port;
    probe.close();

    const client = createSocket("udp4");
    client.bind(0, "127.0.0.1");
    await once(client, "listening");
    try {
      await withAdapter(async (dc) => {
        const ready = new Promise<void>((resolve) => {
          let serial = "";
          dc.on("output", (e: DebugProtocol.OutputEvent) => {
            if (e.body.category !== "stdout") return;
            serial += e.body.output;
            if (/^ready$/m.test(serial)) resolve();
          });
        });
        const consoleLines: string[] = [];
        dc.on("output", (e: DebugProtocol.OutputEvent) => {
          if (e.body.category === "console") consoleLines.push(e.body.output);
        });
        // The echo service's handler, which udp_input calls through its binding table.
        const line = lineOf("net/echo.c", "if (e1000_copybreak_active())");
        const args = launchArgs({ pace: true, udpBridge: [{ hostPort, guestPort: 7 }], guestIp: "10.0.2.15" });
        await Promise.all([
          dc
            .waitForEvent("initialized")
            .then(() => dc.setBreakpointsRequest({ source: { path: ECHO_C }, breakpoints: [{ line }] }))
            .then(() => dc.configurationDoneRequest()),
          dc.launch({ ...args, stopOnEntry: false }),
        ]);
        assert.ok(
          consoleLines.some((l) => l.includes(`UDP 127.0.0.1:${hostPort} -> guest 10.0.2.15:7`)),
          consoleLines.join(""),
        );
        await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error("the guest did not print ready within 15 s")), 15_000))]);

        const replies: string[] = [];
        client.on("message", (m) => replies.push(m.toString()));
        const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
        client.send("hello lvmm", hostPort, "127.0.0.1");
        const ev = await stopped;
        assert.equal(ev.body.reason, "breakpoint");
        const f = await topFrame(dc);
        assert.equal(f.name, "echo");
        assert.equal(f.line, line);
        const st = await dc.stackTraceRequest({ threadId: 1 });
        assert.ok(
          st.body.stackFrames.some((x) => x.name.startsWith("udp_input")),
          `called from udp_input: ${st.body.stackFrames.map((x) => x.name).join(" < ")}`,
        );
        assert.equal(await evaluate(dc, "d->dst_port", f.id), "7");
        assert.equal(await evaluate(dc, "d->len", f.id), String("hello lvmm".length));
        assert.equal(await evaluate(dc, "d->payload[0]", f.id), "104", "'h' (uint8_t shows as a number)");

        await dc.setBreakpointsRequest({ source: { path: ECHO_C }, breakpoints: [] });
        await dc.continueRequest({ threadId: 1 });
        const deadline = Date.now() + 10_000;
        while (replies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(replies, ["hello lvmm"], "the guest echoed the datagram through the bridge");
      });
    } finally {
      client.close();
    }
  });
});
