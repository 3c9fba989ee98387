// The I/O-engine guest on QEMU (TCG) with its e1000 on a socket/udp netdev: QEMU exchanges raw
// Ethernet frames as UDP datagrams with this process, on 127.0.0.1 only. This process is the
// host-side echo load generator (closed loop, or a fixed rate); QEMU's CPU is read from
// /proc/PID/stat (all its threads), so the generator's own CPU is not counted. wire() hands the
// same cable to anything else that speaks to the guest in frames (the stream delivery driver).
// Every wait is bounded and stop() always ends QEMU (the process it started, by its pid).
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { existsSync, statSync } from "node:fs";
import { cpuSeconds } from "../../lib/proc-stats";
import { buildUdpFrame } from "../../../src/net";
import { GUEST_ADDR, PEER_ADDR, echoFrame } from "../../../src/vmm/recording/echo-load";
import { GUEST_CMDLINE } from "./guest";
import type { FrameWire } from "../../../src/streamsim/ioengine/engine-gateway";

export const QEMU = "qemu-system-i386";

export interface QemuMode {
  /** -icount shift=auto (deterministic instruction counting; TCG's slower mode). */
  icount?: boolean;
  /** Record/replay: -icount ...,rr=record,rrfile=<file>, with a filter-replay on the netdev. */
  rrFile?: string;
  /** With rrFile: replay it (rr=replay) instead of recording; network input comes from the log. */
  replay?: boolean;
  /** A raw disk image for the primary IDE master (the delivery engine's content disk). */
  disk?: string;
  /** The guest's command line (default: the echo set-up's). */
  cmdline?: string;
}

export interface EchoWindow {
  sent: number;
  replies: number;
  /** Bytes of the requests delivered to the guest (frames, as on the wire). */
  rxBytes: number;
  wallMs: number;
  /** QEMU's process CPU over the window (ms). */
  cpuMs: number;
}

function isEchoReply(f: Uint8Array): boolean {
  return f.length > 36 && f[12] === 0x08 && f[13] === 0 && f[23] === 17 && f[34] === 0 && f[35] === 7;
}

export class QemuEcho {
  serial = "";
  private proc: ChildProcess | undefined;
  private sock: Socket | undefined;
  private qemuPort = 0;
  private exited: Promise<void> = Promise.resolve();
  private onReply: (() => void) | undefined;
  private readonly listeners = new Set<(frame: Uint8Array) => void>();
  stderr = "";

  constructor(private readonly kernelPath: string) {}

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  /** Starts QEMU and waits for the guest's "ready" line. */
  async start(mode: QemuMode, timeoutMs = 60_000): Promise<void> {
    if (!existsSync(this.kernelPath)) throw new Error(`${this.kernelPath} is missing: npm run build`);
    const sock = createSocket("udp4");
    this.sock = sock;
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(0, "127.0.0.1", () => resolve());
    });
    // Thousands of frames a second arrive in bursts (stream delivery): a small receive buffer
    // would drop them here and make the guest look slow. The kernel caps it at rmem_max.
    sock.setRecvBufferSize(4 * 1024 * 1024);
    sock.on("message", (msg) => {
      if (isEchoReply(msg)) this.onReply?.();
      for (const fn of this.listeners) fn(msg);
    });
    const ourPort = sock.address().port;
    this.qemuPort = await freeUdpPort();
    const icount = mode.rrFile ? [`-icount`, `shift=auto,rr=${mode.replay ? "replay" : "record"},rrfile=${mode.rrFile}`] : mode.icount ? ["-icount", "shift=auto"] : [];
    const filter = mode.rrFile ? ["-object", "filter-replay,id=replay,netdev=n0"] : [];
    const args = [
      ...["-kernel", this.kernelPath, "-append", mode.cmdline ?? GUEST_CMDLINE],
      ...(mode.disk ? ["-drive", `file=${mode.disk},format=raw,if=ide,index=0,snapshot=on`] : []),
      ...["-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio", "-m", "64"],
      ...icount,
      ...["-netdev", `socket,id=n0,udp=127.0.0.1:${ourPort},localaddr=127.0.0.1:${this.qemuPort}`],
      ...filter,
      ...["-device", "e1000,netdev=n0,mac=52:54:00:12:34:56"],
    ];
    const proc = spawn(QEMU, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    proc.stdout!.setEncoding("latin1").on("data", (s: string) => (this.serial = (this.serial + s).slice(-20_000)));
    proc.stderr!.setEncoding("utf8").on("data", (s: string) => (this.stderr += s));
    const t0 = performance.now();
    while (!/^ready\r?$/m.test(this.serial)) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`QEMU exited (${proc.exitCode ?? proc.signalCode}): ${this.stderr.trim()}\n${this.serial.slice(-1500)}`);
      if (performance.now() - t0 > timeoutMs) throw new Error(`QEMU's guest not ready after ${timeoutMs} ms: ${this.stderr.trim()}\n${this.serial.slice(-1500)}`);
      await sleep(50);
    }
  }

  /** Resolves with the first serial line matching re (searched from the start), or undefined after ms. */
  async serialLine(re: RegExp, ms: number): Promise<string | undefined> {
    const t0 = performance.now();
    for (;;) {
      const m = re.exec(this.serial);
      if (m) return m[0].trimEnd();
      if (performance.now() - t0 > ms || !this.proc || this.proc.exitCode !== null) return undefined;
      await sleep(20);
    }
  }

  /** The guest's cable: frames to its e1000 and from it. */
  wire(): FrameWire {
    return {
      inject: (frame) => this.send(frame),
      onTransmit: (fn) => {
        this.listeners.add(fn);
        return () => this.listeners.delete(fn);
      },
    };
  }

  /** Asks the guest for its counters (the discard port's `stats` query); it prints them on its serial line. */
  queryStats(): void {
    this.send(buildUdpFrame({ srcMac: PEER_ADDR.mac, dstMac: GUEST_ADDR.mac, srcIp: PEER_ADDR.ip, dstIp: GUEST_ADDR.ip, srcPort: 44000, dstPort: 9, payload: new TextEncoder().encode("stats") }));
  }

  private send(frame: Uint8Array): void {
    this.sock!.send(frame, this.qemuPort, "127.0.0.1");
  }

  /** Closed loop: `window` requests in flight, each reply sends the next; lost ones are re-sent after 100 ms of silence. */
  async closedLoop(ms: number, window: number, payload: number): Promise<EchoWindow> {
    const frames = Array.from({ length: 256 }, (_, i) => echoFrame(i, payload));
    let sent = 0;
    let replies = 0;
    let inflight = 0;
    let rxBytes = 0;
    let measuring = false;
    const fill = (): void => {
      while (inflight < window) {
        const f = frames[sent++ & 255]!;
        if (measuring) rxBytes += f.length;
        this.send(f);
        inflight++;
      }
    };
    this.onReply = () => {
      replies++;
      inflight--;
      fill();
    };
    let last = -1;
    const watchdog = setInterval(() => {
      if (replies === last) inflight = 0; // silence: what was in flight is lost
      last = replies;
      fill();
    }, 100);
    try {
      fill();
      await sleep(Math.min(1000, ms * 0.3)); // warm-up: TCG translates the guest's hot paths
      measuring = true;
      const s0 = sent;
      const r0 = replies;
      const c0 = cpuSeconds(this.pid);
      const t0 = performance.now();
      await sleep(ms);
      const cpuMs = (cpuSeconds(this.pid) - c0) * 1000;
      const wallMs = performance.now() - t0;
      return { sent: sent - s0, replies: replies - r0, rxBytes, wallMs, cpuMs };
    } finally {
      clearInterval(watchdog);
      this.onReply = undefined;
    }
  }

  /** Open loop: `rate` requests per second (in 5 ms batches) for `ms`, then 300 ms for stragglers. */
  async fixedRate(ms: number, rate: number, payload: number): Promise<EchoWindow> {
    const frames = Array.from({ length: 256 }, (_, i) => echoFrame(i, payload));
    let sent = 0;
    let replies = 0;
    let rxBytes = 0;
    this.onReply = () => replies++;
    try {
      const c0 = cpuSeconds(this.pid);
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        while (sent < due) {
          const f = frames[sent++ & 255]!;
          rxBytes += f.length;
          this.send(f);
        }
        await sleep(5);
      }
      await sleep(300);
      const cpuMs = (cpuSeconds(this.pid) - c0) * 1000;
      const wallMs = performance.now() - t0;
      return { sent, replies, rxBytes, wallMs, cpuMs };
    } finally {
      this.onReply = undefined;
    }
  }

  /** Ends QEMU: SIGTERM first (it flushes a record/replay log and exits), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const done = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) {
        proc.kill("SIGKILL");
        await Promise.race([this.exited, sleep(5000)]);
      }
    }
    this.proc = undefined;
    if (this.sock) {
      const s = this.sock;
      this.sock = undefined;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
