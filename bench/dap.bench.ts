// Debug Adapter Protocol latencies over a real session: dist/adapter.js as a separate process on
// stdio (the extension's default "process" mode), driven by @vscode/debugadapter-testsupport
// against the guest kernel. Step over of a source line (request sent to `stopped` received, over
// 100 consecutive steps from a breakpoint in e1000_init: its lines, then its MTA-clearing loop
// line by line, whose body is inlined reg_write calls; the first steps decode the function once),
// and setBreakpoints with 100 lines of one file (request to response, repeated). Prints figures;
// asserts nothing about time.
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fmt, percentile, row } from "./lib/report";
import { ROOT } from "../test/helpers/guest";

const ADAPTER = join(ROOT, "dist/adapter.js");
const KERNEL = join(ROOT, "guest/build/ioengine.elf");
const E1000_C = join(ROOT, "guest/drivers/e1000.c");
const STEPS = 100;
const SET_ROUNDS = 60;

function lineOf(file: string, text: string): number {
  const i = readFileSync(file, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" not in ${file}`);
  return i + 1;
}

async function main(): Promise<void> {
  if (!existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: npm run bench builds it first`);
  const dc = new DebugClient(process.execPath, ADAPTER, "lvmm", { cwd: ROOT });
  dc.defaultTimeout = 30_000;
  await dc.start();
  try {
    const line = lineOf(E1000_C, "mmio = bar0 & ~0xFu;");
    const t0 = performance.now();
    await dc.hitBreakpoint({ kernel: KERNEL, cmdline: "ip=10.0.2.15 hz=1000", pace: false, stopOnEntry: false } as DebugProtocol.LaunchRequestArguments, { path: E1000_C, line });
    const toBreakpoint = performance.now() - t0;
    await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [] });

    // Step over, as the editor does it: next, wait for stopped, then the stack trace it shows.
    const step: number[] = [];
    const withStack: number[] = [];
    const functions = new Map<string, number>();
    for (let i = 0; i < STEPS; i++) {
      const t = performance.now();
      const stopped = dc.waitForEvent("stopped");
      await dc.nextRequest({ threadId: 1 });
      await stopped;
      step.push(performance.now() - t);
      const st = await dc.stackTraceRequest({ threadId: 1, levels: 20 });
      withStack.push(performance.now() - t);
      const name = st.body.stackFrames[0]?.name ?? "?";
      functions.set(name, (functions.get(name) ?? 0) + 1);
    }

    // setBreakpoints with 100 lines of e1000.c (lines without code snap to the next statement).
    const first = lineOf(E1000_C, "bool e1000_init(const struct pci_device *pci");
    const lines = Array.from({ length: 100 }, (_, k) => ({ line: first + k }));
    const set: number[] = [];
    let verified = 0;
    for (let i = 0; i < SET_ROUNDS; i++) {
      const t = performance.now();
      const r = await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: lines });
      set.push(performance.now() - t);
      verified = r.body.breakpoints.filter((b) => b.verified).length;
    }
    await dc.setBreakpointsRequest({ source: { path: E1000_C }, breakpoints: [] });

    console.log("DAP latencies (dist/adapter.js as a process over stdio, unpaced guest)");
    row("launch to the first breakpoint in e1000_init (ms)", fmt(toBreakpoint, 0));
    row(`step over a source line, ${STEPS} steps: p50 (ms)`, fmt(percentile(step, 50), 2), "next -> stopped");
    row("  p99 (ms)", fmt(percentile(step, 99), 2), `max ${fmt(Math.max(...step), 1)}`);
    row("  with the stack trace the editor asks for: p50 (ms)", fmt(percentile(withStack, 50), 2));
    row("  p99 (ms)", fmt(percentile(withStack, 99), 2));
    console.log(`  (steps stopped in: ${[...functions].map(([n, c]) => `${n} ${c}`).join(", ")})`);
    row(`setBreakpoints with 100 lines, ${SET_ROUNDS} calls: p50 (ms)`, fmt(percentile(set, 50), 2), `${verified} verified`);
    row("  p99 (ms)", fmt(percentile(set, 99), 2), `first call ${fmt(set[0]!, 1)} ms`);
  } finally {
    await Promise.race([dc.stop(), new Promise((r) => setTimeout(r, 3000))]);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
