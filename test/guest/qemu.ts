// Runs the I/O engine guest on QEMU's e1000 with a socket netdev: QEMU exchanges raw Ethernet
// frames as UDP datagrams with this process, on 127.0.0.1 only. Every wait is bounded, and
// stop() always kills QEMU.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const QEMU = "qemu-system-i386";
export const GUEST_ELF = join(__dirname, "..", "..", "guest", "build", "ioengine.elf");
export const GUEST_MAC = "52:54:00:12:34:56";

export function qemuAvailable(): boolean {
  const r = spawnSync(QEMU, ["--version"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

interface Waiter<T> {
  test: (v: T) => boolean;
  resolve: (v: T) => void;
}

export class QemuGuest {
  serial = "";
  private readonly frames: Uint8Array[] = [];
  private readonly frameWaiters: Waiter<Uint8Array>[] = [];
  private readonly serialWaiters: Waiter<string>[] = [];
  private proc: ChildProcess | undefined;
  private sock: Socket | undefined;
  private qemuPort = 0;
  private exited: Promise<void> = Promise.resolve();

  async start(cmdline: string): Promise<void> {
    if (!existsSync(GUEST_ELF)) throw new Error(`${GUEST_ELF} is missing: build it with \`make -C guest\``);
    const sock = createSocket("udp4");
    this.sock = sock;
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(0, "127.0.0.1", () => resolve());
    });
    sock.on("message", (msg) => this.onFrame(new Uint8Array(msg)));
    const ourPort = sock.address().port;
    this.qemuPort = await freeUdpPort();
    const args = [
      "-kernel", GUEST_ELF, "-append", cmdline,
      "-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio", "-m", "64",
      "-netdev", `socket,id=n0,udp=127.0.0.1:${ourPort},localaddr=127.0.0.1:${this.qemuPort}`,
      "-device", `e1000,netdev=n0,mac=${GUEST_MAC}`,
    ];
    const proc = spawn(QEMU, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    proc.stdout!.setEncoding("latin1");
    proc.stdout!.on("data", (chunk: string) => this.onSerial(chunk));
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => this.onSerial(`[qemu stderr] ${chunk}`));
  }

  /** Resolve with the serial text once re matches it; reject after ms. */
  waitForSerial(re: RegExp, ms: number): Promise<RegExpMatchArray> {
    return this.wait(this.serialWaiters, () => this.serial, (s) => re.test(s), ms, `serial output matching ${re}`).then(
      (s) => s.match(re)!,
    );
  }

  send(frame: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock!.send(frame, this.qemuPort, "127.0.0.1", (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The oldest received frame (consumed) that satisfies test; reject after ms. */
  nextFrame(test: (f: Uint8Array) => boolean, ms: number, what = "a matching frame"): Promise<Uint8Array> {
    const i = this.frames.findIndex(test);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return this.wait(this.frameWaiters, undefined, test, ms, what);
  }

  /** Frames received and not yet consumed. */
  pendingFrames(): readonly Uint8Array[] {
    return this.frames;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    this.proc = undefined;
    if (this.sock) {
      const s = this.sock;
      this.sock = undefined;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  private onSerial(chunk: string): void {
    this.serial += chunk;
    for (const w of [...this.serialWaiters]) {
      if (w.test(this.serial)) {
        this.serialWaiters.splice(this.serialWaiters.indexOf(w), 1);
        w.resolve(this.serial);
      }
    }
  }

  private onFrame(frame: Uint8Array): void {
    const w = this.frameWaiters.find((x) => x.test(frame));
    if (w) {
      this.frameWaiters.splice(this.frameWaiters.indexOf(w), 1);
      w.resolve(frame);
    } else {
      this.frames.push(frame);
    }
  }

  private wait<T>(list: Waiter<T>[], current: (() => T) | undefined, test: (v: T) => boolean, ms: number, what: string): Promise<T> {
    if (current && test(current())) return Promise.resolve(current());
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        test,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      const timer = setTimeout(() => {
        list.splice(list.indexOf(waiter), 1);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; serial so far:\n${this.serial.slice(-2000)}`));
      }, ms);
      list.push(waiter);
    });
  }
}
