// The two GDB stubs the gdb stub bench compares, as processes: `lvmm gdbserver` and QEMU with
// -gdb (optionally replaying a record/replay log), and Debian's gdb in batch mode against one,
// with a Python script timing inside gdb. Every wait is bounded; stop() ends the process.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RspClient } from "../../test/gdbstub/rsp-client";
import { CLI, KERNEL_PATH } from "../../test/helpers/guest";
import { QEMU } from "../eval/lib/qemu-echo";
import { GUEST_CMDLINE } from "../eval/lib/guest";

export interface Stub {
  port: number;
  stop(): Promise<void>;
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once("exit", () => r()));
}

async function kill(p: ChildProcess): Promise<void> {
  p.kill("SIGTERM");
  const done = await Promise.race([exited(p).then(() => true), sleep(5000).then(() => false)]);
  if (!done) p.kill("SIGKILL");
  await exited(p);
}

export async function lvmmStub(args: string[]): Promise<Stub> {
  const p = spawn(process.execPath, [CLI, "gdbserver", "--port", "0", "--quiet", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    p.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /target remote 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.once("exit", (code) => reject(new Error(`lvmm gdbserver exited (${code}): ${out}${err}`)));
  });
  return { port, stop: () => kill(p) };
}

/** A QEMU record/replay log and the image that holds its start snapshot. */
export interface QemuRecording {
  rrFile: string;
  image: string;
  cmdline: string;
}

/**
 * The guest booted with `cmdline` under QEMU's `-icount rr=record` until its console prints a
 * line matching `until`. Without a NIC: QEMU 7.2 replays a log with network input (filter-replay
 * on an e1000) but never stops for gdb at a seek target in it.
 */
export async function qemuRecord(dir: string, cmdline: string, until: RegExp, timeoutMs = 120_000): Promise<QemuRecording> {
  const rec = { rrFile: join(dir, "qemu.rr"), image: join(dir, "qemu-snapshots.qcow2"), cmdline };
  const img = spawnSync("qemu-img", ["create", "-f", "qcow2", rec.image, "64M"], { encoding: "utf8" });
  if (img.status !== 0) throw new Error(`qemu-img (Debian's qemu-utils) is needed for QEMU's snapshots: ${img.error?.message ?? img.stderr}`);
  const p = spawn(QEMU, [...qemuArgs(cmdline), "-serial", "stdio", "-icount", `shift=auto,rr=record,rrfile=${rec.rrFile},rrsnapshot=init`, "-drive", `file=${rec.image},if=none,id=rr`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  p.stdout!.setEncoding("latin1").on("data", (d: string) => (out = (out + d).slice(-20_000)));
  p.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  try {
    for (const t0 = performance.now(); !until.test(out); await sleep(50)) {
      if (p.exitCode !== null) throw new Error(`QEMU exited (${p.exitCode}) while recording: ${out.slice(-1500)}`);
      if (performance.now() - t0 > timeoutMs) throw new Error(`QEMU's guest printed no ${String(until)} in ${timeoutMs / 1000} s: ${out.slice(-1500)}`);
    }
  } finally {
    // SIGTERM: QEMU shuts down in order and closes its log.
    await kill(p);
  }
  return rec;
}

function qemuArgs(cmdline: string): string[] {
  return ["-kernel", KERNEL_PATH, "-append", cmdline, "-nographic", "-no-reboot", "-monitor", "none", "-m", "64", "-nic", "none"];
}

/** QEMU stopped before its first instruction with its gdbstub on a free port (optionally replaying a recording). */
export async function qemuStub(replay?: QemuRecording): Promise<Stub> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const rr = replay ? ["-icount", `shift=auto,rr=replay,rrfile=${replay.rrFile},rrsnapshot=init`, "-drive", `file=${replay.image},if=none,id=rr`] : [];
  const args = [...qemuArgs(replay?.cmdline ?? GUEST_CMDLINE), "-serial", "null", ...rr, "-S", "-gdb", `tcp:127.0.0.1:${port}`];
  const p = spawn(QEMU, args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 100; i++) {
    if (p.exitCode !== null) throw new Error(`QEMU exited (${p.exitCode}): ${err}`);
    try {
      (await RspClient.open(port)).close();
      return { port, stop: () => kill(p) };
    } catch {
      await sleep(100);
    }
  }
  await kill(p);
  throw new Error(`QEMU's gdbstub did not listen on ${port}: ${err}`);
}

/** gdb in batch mode against the stub: `commands` first, then `python` (a script file). Resolves with its output. */
export function gdb(dir: string, port: number, commands: string[], python: string[], timeoutMs = 600_000): Promise<string> {
  const script = join(dir, `gdb-${port}-${Date.now()}.py`);
  writeFileSync(script, python.join("\n") + "\n");
  const args = ["-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push("-ex", c);
  args.push("-x", script, KERNEL_PATH);
  return new Promise((resolve) => {
    const p = spawn("gdb", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const guard = setTimeout(() => {
      out += `\n(gdb killed after ${timeoutMs / 1000} s)`;
      p.kill("SIGKILL");
    }, timeoutMs);
    p.on("exit", () => {
      clearTimeout(guard);
      resolve(out);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
