// The main thread's handle on an engine whose machine runs on its own thread
// (engine-worker.ts). Posts go through a MessageChannel the worker drains synchronously at each
// pacing step, and a shared flag wakes it from its sleep, so a linkage command reaches the
// guest within one step. If the thread dies without a word, the engine is stopped.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { StopReason } from "../../vmm/stop-reason";
import type { DeliveryTarget, LatenessSummary } from "../delivery/backend";
import { interleavedSink } from "../delivery/packet-sink";
import type { PacketSink } from "../delivery/packet-sink";
import type { EngineLoad, EngineWorkerInit, FromEngine, ToEngine } from "./engine-messages";
import type { EngineEvents, EngineRuntime } from "./engine-runtime";
import { WAKE_FLAG_BYTES, wakeEngine } from "./pacer";

const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * The worker's script: dist/engine-worker.js beside a bundle; under tsx (the tests) the
 * TypeScript source, which the worker loads through the tsx loader it inherits; from another
 * bundle's folder (the benches') the project's dist/.
 */
function workerScript(): string {
  const candidates = [join(__dirname, "engine-worker.js"), join(__dirname, "engine-worker.ts"), join(__dirname, "..", "..", "dist", "engine-worker.js")];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the I/O engine's worker script is missing (looked in ${candidates.join(", ")}); run npm run build`);
  return found;
}

export type WorkerEngineOptions = Omit<EngineWorkerInit, "wake" | "console">;

export class WorkerEngine implements EngineRuntime {
  readonly stopped: Promise<StopReason>;
  readonly machine = undefined;
  ports: [number, number] = [0, 0];
  /** the nice value the engine's thread runs at (negative: ahead of ordinary work) */
  nice = 0;
  private halting = false;
  private lastLoad: EngineLoad | undefined;
  private lateness = new Map<number, LatenessSummary>();
  /** interleaved streams: their packets come back to this thread */
  private readonly mainSinks = new Map<number, PacketSink>();
  private readonly wake = new SharedArrayBuffer(WAKE_FLAG_BYTES);
  private readonly wakeFlag = new Int32Array(this.wake);
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private ended: (s: StopReason) => void = () => {};

  private constructor(
    readonly bootId: number,
    o: WorkerEngineOptions,
    private readonly events: EngineEvents,
    ready: (err?: Error) => void,
  ) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    const init: EngineWorkerInit = { ...o, wake: this.wake, console: events.console !== undefined };
    const script = workerScript();
    const workerData = { init, port: channel.port2 };
    this.worker = script.endsWith(".ts")
      ? // the TypeScript source (tests under tsx): tsx's CommonJS hook, registered in the new thread
        new Worker(`require("tsx/cjs"); require(${JSON.stringify(script)});`, { eval: true, workerData, transferList: [channel.port2] })
      : new Worker(script, { workerData, transferList: [channel.port2] });
    this.stopped = new Promise<StopReason>((resolve) => (this.ended = resolve));
    let up = false;
    this.worker.on("message", (m: FromEngine) => {
      if (m.t === "ready") {
        up = true;
        this.ports = m.ports;
        this.nice = m.nice;
        ready();
      } else if (m.t === "stopped") {
        if (!up) ready(new Error(`the I/O engine stopped while booting: ${m.stop.kind}${"detail" in m.stop ? ` (${m.stop.detail})` : ""}`));
        this.ended(m.stop);
      } else this.onMessage(m);
    });
    const died = (why: string) => {
      const stop: StopReason = { kind: "host-request", detail: why };
      if (!up) ready(new Error(`the I/O engine's thread failed while booting: ${why}`));
      this.ended(stop);
    };
    this.worker.on("error", (e) => died(`the engine's thread failed: ${e.message}`));
    this.worker.on("exit", (code) => died(`the engine's thread exited (code ${code})`));
  }

  /** Starts the engine's thread; resolves once its machine is up and its media sockets are bound. */
  static start(bootId: number, o: WorkerEngineOptions, events: EngineEvents): Promise<WorkerEngine> {
    return new Promise((resolve, reject) => {
      const e: WorkerEngine = new WorkerEngine(bootId, o, events, (err) => (err ? reject(err) : resolve(e)));
    });
  }

  get isHalting(): boolean {
    return this.halting;
  }

  clockMs(): number {
    return performance.now();
  }

  private send(m: ToEngine): void {
    this.port.postMessage(m);
    wakeEngine(this.wakeFlag);
  }

  private onMessage(m: Exclude<FromEngine, { t: "ready" | "stopped" }>): void {
    switch (m.t) {
      case "control":
        this.events.control(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
        return;
      case "media":
        for (const it of m.items) {
          const sink = this.mainSinks.get(it.num);
          if (!sink) continue;
          const ok = sink.sendPacket(it.rtcp, it.bytes, 0, it.bytes.length);
          if (!ok) {
            this.mainSinks.delete(it.num);
            this.events.streamFailed(it.num, sink.why);
          }
        }
        return;
      case "rtcp":
        this.events.rtcp(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.from);
        return;
      case "failed":
        this.events.streamFailed(m.num, m.why);
        return;
      case "load":
        this.lastLoad = m.load;
        this.lateness = new Map(m.lateness.map((l) => [l.num, l.lateness]));
        this.events.load?.(m.load);
        return;
      case "console":
        this.events.console?.(m.line);
        return;
      case "log":
        this.events.log(m.msg);
        return;
    }
  }

  sendControl(d: Buffer): void {
    this.send({ t: "control", bytes: d });
  }

  route(num: number, keys: number[], target: DeliveryTarget): void {
    if (target.kind === "udp") {
      this.send({ t: "route", num, keys, target: { kind: "udp", address: target.address, rtpPort: target.rtpPort, rtcpPort: target.rtcpPort } });
      return;
    }
    this.mainSinks.set(num, interleavedSink(target, MAX_QUEUED_BYTES));
    this.send({ t: "route", num, keys, target: { kind: "main" } });
  }

  hold(num: number): void {
    this.send({ t: "hold", num });
  }

  release(num: number): void {
    this.send({ t: "release", num });
  }

  unroute(num: number): void {
    this.mainSinks.delete(num);
    this.lateness.delete(num);
    this.send({ t: "unroute", num });
  }

  load(): EngineLoad | undefined {
    return this.lastLoad;
  }

  sendLateness(num: number): LatenessSummary | undefined {
    return this.lateness.get(num);
  }

  /** Stops the machine (its recording is written first) and ends the thread. */
  async halt(): Promise<void> {
    if (!this.halting) {
      this.halting = true;
      this.send({ t: "halt" });
    }
    await this.stopped;
    await this.worker.terminate();
  }

  /** Kills the engine's thread without a word (tests: a dedicated processor that dies). */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }
}
