// Runs a 32-bit Linux ELF under qemu-i386 (user mode), held at its first instruction by QEMU's
// gdbstub on a TCP port, for gdb's `target remote`. QEMU interprets the i386 code itself, so the
// host kernel never executes the ELF: this works on kernels without 32-bit support (no
// IA32 emulation, e.g. ia32_emulation=0) and the same way on every machine.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";

export const QEMU_USER = "qemu-i386";

export interface Gdbstub {
  port: number;
  /** Kills QEMU (SIGKILL: it leaves SIGTERM to the guest, which may not be running yet). */
  stop(): Promise<void>;
}

export function qemuUserAvailable(): boolean {
  const r = spawnSync(QEMU_USER, ["--version"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/** A port free on every interface: qemu-i386 -g binds 0.0.0.0 (gdb still connects on 127.0.0.1). */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "0.0.0.0", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Whether process pid holds a listening TCP socket on port. Read from /proc rather than by
 * connecting: the gdbstub accepts one connection only, and a probe would use it up. Checking the
 * owner also rules out another process that took the port between freeTcpPort() and QEMU.
 */
function listensOn(pid: number, port: number): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(hexPort) && f[3] === "0A") inodes.add(f[9]!); // 0A: TCP_LISTEN
  }
  if (inodes.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m !== null && inodes.has(m[1]!);
    });
  } catch {
    return false; // the process is gone, or an fd closed while we read
  }
}

async function startOnce(elf: string, timeoutMs: number): Promise<Gdbstub | string> {
  const port = await freeTcpPort();
  const proc = spawn(QEMU_USER, ["-g", String(port), elf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  let spawnError: Error | undefined;
  proc.once("error", (e) => (spawnError = e));
  const exited = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`${QEMU_USER} did not start: ${spawnError.message}`);
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await exited;
      return `${QEMU_USER} ${elf} exited (${proc.exitCode ?? proc.signalCode}) before listening on port ${port}: ${stderr.trim()}`;
    }
    if (proc.pid !== undefined && listensOn(proc.pid, port)) return { port, stop };
    await new Promise((r) => setTimeout(r, 20));
  }
  await stop();
  throw new Error(`${QEMU_USER}'s gdbstub did not listen on port ${port} within ${timeoutMs} ms: ${stderr.trim()}`);
}

/** Starts QEMU with the gdbstub listening; a port lost to a race is retried with another. */
export async function startGdbstub(elf: string, timeoutMs = 10_000): Promise<Gdbstub> {
  let why = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await startOnce(elf, timeoutMs);
    if (typeof r !== "string") return r;
    why = r;
  }
  throw new Error(why);
}
