// The stream server as the panel runs it: StreamServerApp with the chosen architecture (one I/O
// engine booted on the LVMM, or Node's own delivery), plus a timer that reports the session
// table and one chart sample per interval. No vscode import: it runs in the stream-server
// process (worker.ts) and in node tests.
import { readFile } from "node:fs/promises";
import { NoContentError, StreamServerApp } from "../../streamsim/app";
import type { IoEngineDelivery } from "../../streamsim/delivery/ioengine-delivery";
import type { StreamServerHandle } from "../../streamsim/server/stream-server";
import type { ServerStatus } from "../../protocols/io-engine-panel-messages";
import type { FromServer, ServeInfo, ServeOptions } from "../../protocols/stream-server-protocol";
import { sessionRow, StatsSampler } from "./sampler";

/** The server cannot start; the message says why and what to do. */
export class ServeError extends Error {
  override readonly name = "ServeError";
}

export class ServerRuntime {
  private app: StreamServerApp | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly report: (m: FromServer) => void) {}

  get running(): boolean {
    return this.app !== undefined;
  }

  get handle(): StreamServerHandle | undefined {
    return this.app?.server;
  }

  /** the I/O engine (ioengine only) */
  private get engine(): IoEngineDelivery | undefined {
    return this.app?.engines[0];
  }

  async start(o: ServeOptions): Promise<ServeInfo> {
    if (this.busy || this.app) throw new ServeError("the server is already running; stop it first");
    this.busy = true;
    try {
      return await this.open(o);
    } finally {
      this.busy = false;
    }
  }

  private async open(o: ServeOptions): Promise<ServeInfo> {
    const log = (line: string) => this.report({ type: "log", line });
    let kernel: Uint8Array | undefined;
    if (o.arch === "ioengine") {
      try {
        kernel = new Uint8Array(await readFile(o.kernelPath));
      } catch {
        throw new ServeError(`the I/O engine kernel ${o.kernelPath} is missing: run npm run build`);
      }
    }
    try {
      this.app = await StreamServerApp.start({
        arch: o.arch,
        port: o.port,
        metricsPort: o.metricsPort,
        anyPortIfTaken: true,
        contentDir: o.contentDir,
        sampleClip: "try",
        requireContent: true,
        ...(kernel ? { kernel } : {}),
        ...(kernel && o.recordDir ? { record: { dir: o.recordDir } } : {}),
        log,
        announce: (step) => {
          if (step.kind === "engines") log("booting the I/O engine on the LVMM");
        },
      });
    } catch (err) {
      throw err instanceof NoContentError ? new ServeError(err.message) : err;
    }
    const sampler = new StatsSampler();
    const tick = () => this.tick(sampler);
    tick();
    this.timer = setInterval(tick, o.sampleIntervalMs ?? 1000);
    const server = this.app.server;
    const info: ServeInfo = { arch: o.arch, host: server.host, port: server.port, metricsPort: server.metricsPort, contents: [...this.app.contents] };
    const engine = this.engineInfo();
    if (engine) info.engine = engine;
    return info;
  }

  private engineInfo(): ServerStatus["engine"] | undefined {
    const engine = this.engine;
    if (!engine) return undefined;
    const st = engine.status();
    return {
      up: st.up,
      boots: st.boots,
      maxStreams: st.hello?.maxStreams ?? 0,
      // what admission reserves against: measured on this machine once the engine has carried load
      capacityMbps: Math.round(engine.capacityBps / 1e5) / 10,
      disk: st.hello?.dma === false ? "pio" : "dma",
    };
  }

  private tick(sampler: StatsSampler): void {
    const server = this.app?.server;
    if (!server) return;
    const cpu = process.cpuUsage();
    const sessions = server.sessions.all();
    const engine = this.engine?.status();
    const sample = sampler.sample({
      nowMs: performance.now(),
      wallMs: Date.now(),
      sessions,
      totalLateness: server.sessions.totalLateness(),
      ...(engine ? { engine: { deadlineMisses: engine.stats?.deadlineMisses ?? 0, backlogMax: engine.stats?.backlogMax ?? 0, busyRatio: engine.busyRatio } } : {}),
      cpuUs: cpu.user + cpu.system,
    });
    const info = this.engineInfo();
    this.report({ type: "report", rows: sessions.map(sessionRow), ...(sample ? { sample } : {}), ...(info ? { engine: info } : {}) });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }
}
