// Running `lvmm gdbserver` and Debian's gdb (batch mode) for the stub's end-to-end tests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { CLI, KERNEL_PATH } from "../helpers/guest";

export const hasGdb = spawnSync("gdb", ["--version"]).status === 0;

export interface StubProcess {
  proc: ChildProcess;
  port: number;
  /** The ELF the server told gdb to load. */
  elf: string;
  stderr(): string;
}

/** Starts `lvmm gdbserver --port 0 --quiet ARGS` and waits for the line that says how to attach. */
export async function startGdbServer(args: string[]): Promise<StubProcess> {
  const proc = spawn(process.execPath, [CLI, "gdbserver", "--port", "0", "--quiet", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  let out = "";
  const { port, elf } = await new Promise<{ port: number; elf: string }>((resolve, reject) => {
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^gdb -ex 'target remote 127\.0\.0\.1:(\d+)' (.+)$/m.exec(out);
      if (m) resolve({ port: Number(m[1]), elf: m[2]! });
    });
    proc.once("exit", (code) => reject(new Error(`lvmm gdbserver exited (${code}): ${out}${err}`)));
  });
  return { proc, port, elf, stderr: () => err };
}

/** Runs gdb in batch mode with these commands against the stub; resolves with everything it printed. */
export function gdb(port: number, commands: string[], elf = KERNEL_PATH): Promise<string> {
  const args = ["-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push("-ex", c);
  args.push(elf);
  return new Promise((resolve) => {
    // One pipe for both streams, so gdb's own output (stdout) and the stub's (stderr) keep their order.
    const p = spawn("sh", ["-c", 'exec "$@" 2>&1', "sh", "gdb", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const guard = setTimeout(() => p.kill(), 240_000); // a hung session fails its assertions, it does not block the run
    p.on("exit", () => {
      clearTimeout(guard);
      resolve(out);
    });
  });
}

/** The counts `monitor icount` printed, in order. */
export function icounts(out: string): number[] {
  return [...out.matchAll(/^icount (\d+) \(virtual time/gm)].map((m) => Number(m[1]));
}
