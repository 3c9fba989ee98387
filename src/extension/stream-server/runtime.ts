// The stream server as the panel runs it: startServer with the chosen delivery backend
// (ConventionalDelivery, or IoEngineDelivery booting the guest on the LVMM), plus a timer that
// reports the session table and one chart sample per interval. No vscode import: it runs in
// the stream-server process (worker.ts) and in node tests.
import { readdir, readFile } from "node:fs/promises";
import { makeSampleClip } from "../../streamsim/content/sampleClip";
import type { DeliveryBackend } from "../../streamsim/delivery/backend";
import { ConventionalDelivery } from "../../streamsim/delivery/conventional";
import { IoEngineDelivery } from "../../streamsim/delivery/ioEngine";
import { DEFAULT_RECORD_WINDOW_NS } from "../../streamsim/ioengine/engineHost";
import { startServer, type StreamServerHandle } from "../../streamsim/server/streamServer";
import type { ServerStatus } from "../../protocols/io-engine-panel-messages";
import type { FromServer, ServeInfo, ServeOptions } from "../../protocols/stream-server-protocol";
import { sessionRow, StatsSampler } from "./sampler";

const HOST = "127.0.0.1";
export const SAMPLE_CLIP_SECONDS = 20;

/** The server cannot start; the message says why and what to do. */
export class ServeError extends Error {
  override readonly name = "ServeError";
}

export class ServerRuntime {
  private server: StreamServerHandle | undefined;
  private backend: DeliveryBackend | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly report: (m: FromServer) => void) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  get handle(): StreamServerHandle | undefined {
    return this.server;
  }

  async start(o: ServeOptions): Promise<ServeInfo> {
    if (this.busy || this.server) throw new ServeError("the server is already running; stop it first");
    this.busy = true;
    try {
      return await this.open(o);
    } finally {
      this.busy = false;
    }
  }

  private async open(o: ServeOptions): Promise<ServeInfo> {
    const log = (line: string) => this.report({ type: "log", line });
    const sample = await makeSampleClip({ contentDir: o.contentDir, durationSec: SAMPLE_CLIP_SECONDS }).catch((err: unknown) => {
      log(`cannot make the sample clip (${(err as Error).message}); serving what ${o.contentDir} has`);
      return undefined;
    });
    let backend: DeliveryBackend;
    let contents: string[];
    if (o.arch === "ioengine") {
      let kernel: Uint8Array;
      try {
        kernel = new Uint8Array(await readFile(o.kernelPath));
      } catch {
        throw new ServeError(`the I/O engine kernel ${o.kernelPath} is missing: run npm run build`);
      }
      log("booting the I/O engine on the LVMM");
      const engine = await IoEngineDelivery.open({
        kernel, contentDir: o.contentDir, host: HOST, log,
        ...(o.recordDir ? { record: { dir: o.recordDir, windowNs: DEFAULT_RECORD_WINDOW_NS } } : {}),
      });
      backend = engine;
      contents = engine.diskContent;
    } else {
      backend = await ConventionalDelivery.open({ host: HOST });
      contents = (await readdir(o.contentDir).catch(() => [] as string[])).filter((f) => f.endsWith(".hint")).map((f) => f.slice(0, -5));
    }
    if (sample) contents = [sample.name, ...contents.filter((c) => c !== sample.name)];
    if (contents.length === 0) {
      await backend.close();
      throw new ServeError(`no content in ${o.contentDir}: install ffmpeg (to make the sample clip) or ingest a file there`);
    }
    try {
      this.server = await listen(o, backend, log);
    } catch (err) {
      await backend.close();
      throw err;
    }
    this.backend = backend;
    const sampler = new StatsSampler();
    const tick = () => this.tick(sampler);
    tick();
    this.timer = setInterval(tick, o.sampleIntervalMs ?? 1000);
    const info: ServeInfo = { arch: o.arch, host: this.server.host, port: this.server.port, metricsPort: this.server.metricsPort, contents };
    const engine = this.engineInfo();
    if (engine) info.engine = engine;
    return info;
  }

  private engineInfo(): ServerStatus["engine"] | undefined {
    if (!(this.backend instanceof IoEngineDelivery)) return undefined;
    const st = this.backend.status();
    return {
      up: st.up,
      boots: st.boots,
      maxStreams: st.hello?.maxStreams ?? 0,
      // what admission reserves against: measured on this machine once the engine has carried load
      capacityMbps: Math.round(this.backend.capacityBps / 1e5) / 10,
      disk: st.hello?.dma === false ? "pio" : "dma",
    };
  }

  private tick(sampler: StatsSampler): void {
    const server = this.server;
    if (!server) return;
    const cpu = process.cpuUsage();
    const sessions = server.sessions.all();
    const engine = this.backend instanceof IoEngineDelivery ? this.backend.status() : undefined;
    const sample = sampler.sample({
      nowMs: performance.now(),
      wallMs: Date.now(),
      sessions,
      totalLateness: server.sessions.totalLateness(),
      ...(engine
        ? { engine: { deadlineMisses: engine.stats?.deadlineMisses ?? 0, backlogMax: engine.stats?.backlogMax ?? 0, busyRatio: engine.busyRatio } }
        : {}),
      cpuUs: cpu.user + cpu.system,
    });
    const info = this.engineInfo();
    this.report({ type: "report", rows: sessions.map(sessionRow), ...(sample ? { sample } : {}), ...(info ? { engine: info } : {}) });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const server = this.server;
    const backend = this.backend;
    this.server = undefined;
    this.backend = undefined;
    await server?.close();
    await backend?.close();
  }
}

/** startServer on the asked ports; a port that is taken falls back to any free one. */
async function listen(o: ServeOptions, backend: DeliveryBackend, log: (m: string) => void): Promise<StreamServerHandle> {
  let port = o.port;
  let metricsPort = o.metricsPort;
  for (let attempt = 0; ; attempt++) {
    try {
      return await startServer({ host: HOST, port, metrics: { host: HOST, port: metricsPort }, contentDir: o.contentDir, backend, log });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { port?: number };
      if (e.code !== "EADDRINUSE" || attempt >= 2) throw err;
      if (e.port === port && port !== 0) {
        log(`port ${port} is in use; RTSP takes any free port`);
        port = 0;
      } else if (metricsPort !== 0) {
        log(`port ${metricsPort} is in use; /metrics takes any free port`);
        metricsPort = 0;
      } else throw err;
    }
  }
}
