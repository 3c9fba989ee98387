// Runs a 32-bit Linux ELF under qemu-i386 (user mode), held at its first instruction by QEMU's
// gdbstub on a Unix socket, for gdb's `target remote PATH`. QEMU interprets the i386 code itself,
// so the host kernel never executes the ELF: this works on kernels without 32-bit support (no
// IA32 emulation, e.g. ia32_emulation=0) and the same way on every machine. A Unix socket in a
// private directory (mode 0700) rather than `-g PORT`, which listens on every interface.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const QEMU_USER = "qemu-i386";

export interface Gdbstub {
  /** What gdb's `target remote` takes: the socket's path. */
  target: string;
  /** Kills QEMU (SIGKILL: it leaves SIGTERM to the guest, which may not be running yet) and removes the socket. */
  stop(): Promise<void>;
}

export function qemuUserAvailable(): boolean {
  const r = spawnSync(QEMU_USER, ["--version"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/** Starts QEMU with the gdbstub listening on a socket of its own; no probe connects (the stub takes one connection). */
export async function startGdbstub(elf: string, timeoutMs = 10_000): Promise<Gdbstub> {
  const dir = mkdtempSync(join(tmpdir(), "lvmm-gdbstub-"));
  const target = join(dir, "gdb.sock");
  const proc = spawn(QEMU_USER, ["-g", target, elf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  let spawnError: Error | undefined;
  proc.once("error", (e) => (spawnError = e));
  const exited = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${QEMU_USER} did not start: ${spawnError.message}`);
    }
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await exited;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${QEMU_USER} ${elf} exited (${proc.exitCode ?? proc.signalCode}) before its gdbstub listened: ${stderr.trim()}`);
    }
    // QEMU creates the socket when it listens (bind and listen come before it waits for gdb).
    if (existsSync(target)) return { target, stop };
    await new Promise((r) => setTimeout(r, 20));
  }
  await stop();
  throw new Error(`${QEMU_USER}'s gdbstub did not listen on ${target} within ${timeoutMs} ms: ${stderr.trim()}`);
}
