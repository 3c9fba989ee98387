// Starts the LVMM debug adapter for DAP-level tests: in this process as a server on
// 127.0.0.1:0 (the inline mode's code path) or as the child process dist/adapter.js, and
// drives it with @vscode/debugadapter-testsupport's DebugClient. Also finds guest source lines.
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { LvmmDebugSession } from "../../src/adapter/debug-session";

export const ROOT = join(__dirname, "..", "..");
export const KERNEL = join(ROOT, "guest/build/ioengine.elf");
export const ADAPTER_BUNDLE = join(ROOT, "dist/adapter.js");
/** Every DAP wait in these tests is bounded by this. */
export const TIMEOUT_MS = 20_000;

export interface Harness {
  dc: DebugClient;
  close(): Promise<void>;
}

/** The adapter as a server inside this process (the code the extension runs inline). */
export async function startInProcess(): Promise<Harness> {
  const sockets = new Set<Socket>();
  const sessions: LvmmDebugSession[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const s = new LvmmDebugSession();
    sessions.push(s);
    s.setRunAsServer(true);
    s.start(socket, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dc = new DebugClient("node", "unused", "lvmm");
  dc.defaultTimeout = TIMEOUT_MS;
  await dc.start(port);
  return {
    dc,
    close: async () => {
      await Promise.race([dc.stop(), new Promise((r) => setTimeout(r, 2000))]);
      for (const s of sessions) s.dispose();
      for (const so of sockets) so.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The adapter as a separate process, as the extension's "process" mode starts it. */
export async function startProcess(): Promise<Harness> {
  if (!existsSync(ADAPTER_BUNDLE)) throw new Error(`${ADAPTER_BUNDLE} is missing: run "npm run build" (npm test does) first`);
  const dc = new DebugClient(process.execPath, ADAPTER_BUNDLE, "lvmm", { cwd: ROOT });
  dc.defaultTimeout = TIMEOUT_MS;
  await dc.start();
  return {
    dc,
    close: async () => {
      await Promise.race([dc.stop(), new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

/** Runs `fn` with a fresh in-process adapter and always closes it. */
export async function withAdapter<T>(fn: (dc: DebugClient) => Promise<T>, start: () => Promise<Harness> = startInProcess): Promise<T> {
  const h = await start();
  try {
    return await fn(h.dc);
  } finally {
    await h.close();
  }
}

export function launchArgs(extra: Record<string, unknown> = {}): DebugProtocol.LaunchRequestArguments & Record<string, unknown> {
  return { kernel: KERNEL, cmdline: "ip=10.0.2.15 hz=1000", memoryMB: 32, pace: false, ...extra };
}

/** 1-based line of the first line of `file` (under guest/) containing `text`. */
export function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(ROOT, "guest", file), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" not found in guest/${file}`);
  return i + 1;
}

export function guestPath(file: string): string {
  return join(ROOT, "guest", file);
}

/** Launches stopped on entry, with breakpoints set during configuration. */
export async function launchStopped(dc: DebugClient, args = launchArgs(), configure: () => Promise<unknown> = async () => undefined): Promise<void> {
  await Promise.all([
    dc
      .waitForEvent("initialized")
      .then(configure)
      .then(() => dc.configurationDoneRequest()),
    dc.launch({ ...args, stopOnEntry: true }),
    dc.waitForEvent("stopped"),
  ]);
}

/** Sends a request that resumes the guest and waits for the next stopped event. */
export async function resumeAndWait(dc: DebugClient, go: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
  await go();
  return stopped;
}

export async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  const f = st.body.stackFrames[0];
  if (!f) throw new Error("empty stack");
  return f;
}

/** readMemory (DebugClient has no typed helper for it). */
export async function readMemory(dc: DebugClient, args: DebugProtocol.ReadMemoryArguments): Promise<DebugProtocol.ReadMemoryResponse> {
  return (await dc.customRequest("readMemory", args)) as DebugProtocol.ReadMemoryResponse;
}

export async function writeMemory(dc: DebugClient, args: DebugProtocol.WriteMemoryArguments): Promise<DebugProtocol.WriteMemoryResponse> {
  return (await dc.customRequest("writeMemory", args)) as DebugProtocol.WriteMemoryResponse;
}
