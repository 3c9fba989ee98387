// The stream server as one application object, built from one configuration (the shape of
// mediamtx's core.go): it makes the sample clip if asked, opens the delivery backend (Node's own,
// a pool of I/O engines each on its thread, one engine, or an engine attached to a machine the
// debugger runs), starts the RTSP and /metrics server on it, and closes them in order. `lvmm
// serve`, the debugger's "serve" launch, the I/O Engine panel's server process and serve-cli.ts are
// thin users of it; their defaults are STREAM_SERVER_DEFAULTS (defaults.ts).
import { readdir } from "node:fs/promises";
import type { Machine } from "../vmm/machine";
import { makeSampleClip } from "./content/sample-clip";
import type { DeliveryBackend } from "./delivery/backend";
import { ConventionalDelivery } from "./delivery/conventional";
import { IoEngineDelivery } from "./delivery/ioengine-delivery";
import { IoEnginePool } from "./delivery/ioengine-pool";
import type { ContentDisk } from "./ioengine/content-disk";
import { enableBenchHooks } from "./management/metrics-server";
import { startServer, type StreamServerHandle } from "./server/stream-server";
import { STREAM_SERVER_DEFAULTS as DEFAULTS } from "./defaults";

export type StreamServerArch = "ioengine" | "conventional";

export interface StreamServerConfig {
  /** ioengine: delivery on the I/O engine on the LVMM; conventional: Node delivers itself */
  arch: StreamServerArch;
  /** RTSP, /metrics and media sockets listen here */
  host?: string;
  /** RTSP port; 0 = any free port */
  port?: number;
  /** /metrics port; 0 = any free port */
  metricsPort?: number;
  /** a port that is taken falls back to any free one (the panel's server) instead of failing */
  anyPortIfTaken?: boolean;
  contentDir?: string;
  /**
   * Make the sample clip in the content directory first: true (default when no contentDir is
   * given) fails if it cannot be made; "try" logs why and serves what the directory has.
   */
  sampleClip?: boolean | "try";
  /** fail (NoContentError) rather than serve an empty catalogue */
  requireContent?: boolean;
  /** ioengine: the guest kernel (guest/build/ioengine.elf) the engines boot */
  kernel?: Uint8Array;
  /** ioengine: a pool of this many engines, each on its own thread (metrics labelled by engine); absent: one engine */
  engines?: number;
  /** ioengine: deliver on a machine the debugger created and runs, instead of booting engines */
  attach?: { machine: Machine; bootId: number; disk: ContentDisk; mips: number };
  /** ioengine: record each engine as a flight recorder: the last windowSec of each incarnation go to dir */
  record?: { dir: string; windowSec?: number };
  /** the capacity delivery declares (Mbit/s); default: the backend's own */
  capacityMbps?: number;
  sessionTimeoutSec?: number;
  /** benchmarks only: GET /bench/stall on the metrics port (bench/streams.bench.ts) */
  benchHooks?: boolean;
  /** the server's and the engines' log lines */
  log?: (line: string) => void;
  /** ioengine: the engine's serial console, line by line */
  console?: (line: string) => void;
  /** the long steps, before they start (for a progress line) */
  announce?: (step: StreamServerStep) => void;
}

export type StreamServerStep = { kind: "sample-clip"; contentDir: string } | { kind: "engines"; count: number; record?: { dir: string; windowSec: number } };

/** requireContent and nothing to serve. */
export class NoContentError extends Error {
  override readonly name = "NoContentError";
  constructor(readonly contentDir: string) {
    super(`no content in ${contentDir}: install ffmpeg (to make the sample clip) or ingest a file there`);
  }
}

export class StreamServerApp {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly arch: StreamServerArch,
    readonly server: StreamServerHandle,
    readonly backend: DeliveryBackend,
    /** the I/O engines delivering (none for conventional) */
    readonly engines: readonly IoEngineDelivery[],
    readonly contentDir: string,
    /** the sample clip's name, if this start made (or found) it */
    readonly sampleClip: string | undefined,
    /** what the server can play, the sample clip first */
    readonly contents: readonly string[],
  ) {}

  /** The content directory, with the sample clip made in it if the configuration asks for it. */
  static async prepareContent(c: Pick<StreamServerConfig, "contentDir" | "sampleClip" | "log" | "announce">): Promise<{ contentDir: string; sampleClip?: string }> {
    const contentDir = c.contentDir ?? DEFAULTS.contentDir;
    const want = c.sampleClip ?? c.contentDir === undefined;
    if (!want) return { contentDir };
    c.announce?.({ kind: "sample-clip", contentDir });
    try {
      return { contentDir, sampleClip: (await makeSampleClip({ contentDir, durationSec: DEFAULTS.sampleClipSec })).name };
    } catch (err) {
      if (want !== "try") throw err;
      c.log?.(`cannot make the sample clip (${(err as Error).message}); serving what ${contentDir} has`);
      return { contentDir };
    }
  }

  static async start(c: StreamServerConfig): Promise<StreamServerApp> {
    const { contentDir, sampleClip } = await StreamServerApp.prepareContent(c);
    const host = c.host ?? DEFAULTS.host;
    const log = c.log;
    const { backend, engines } = await openBackend(c, contentDir, host);
    let contents: string[];
    if (engines.length) contents = [...engines[0]!.diskContent];
    else contents = (await readdir(contentDir).catch(() => [] as string[])).filter((f) => f.endsWith(".hint")).map((f) => f.slice(0, -5));
    if (sampleClip) contents = [sampleClip, ...contents.filter((n) => n !== sampleClip)];
    let server: StreamServerHandle;
    try {
      if (c.requireContent && contents.length === 0) throw new NoContentError(contentDir);
      if (c.benchHooks) enableBenchHooks();
      server = await listen(c, { host, contentDir, backend, ...(log ? { log } : {}) });
    } catch (err) {
      await backend.close();
      throw err;
    }
    return new StreamServerApp(c.arch, server, backend, engines, contentDir, sampleClip, contents);
  }

  /** rtsp://host:port/<name> */
  url(name: string): string {
    return this.server.url(name);
  }

  /** Stops RTSP (its sessions end), then delivery; once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.server.close();
      } finally {
        await this.backend.close();
      }
    })();
    return this.closing;
  }
}

async function openBackend(c: StreamServerConfig, contentDir: string, host: string): Promise<{ backend: DeliveryBackend; engines: IoEngineDelivery[] }> {
  const capacity = c.capacityMbps !== undefined ? { capacityMbps: c.capacityMbps } : {};
  const log = c.log ? { log: c.log } : {};
  if (c.arch === "conventional") {
    const backend = await ConventionalDelivery.open({ host, ...(c.capacityMbps !== undefined ? { capacityBps: c.capacityMbps * 1e6 } : {}) });
    return { backend, engines: [] };
  }
  if (c.attach) {
    const engine = await IoEngineDelivery.attach({ ...c.attach, host, ...log });
    return { backend: engine, engines: [engine] };
  }
  if (!c.kernel) throw new TypeError("StreamServerApp: arch ioengine needs the guest kernel");
  const record = c.record ? { dir: c.record.dir, windowSec: c.record.windowSec ?? DEFAULTS.recordWindowSec } : undefined;
  c.announce?.({ kind: "engines", count: c.engines ?? 1, ...(record ? { record } : {}) });
  const o = {
    kernel: c.kernel,
    contentDir,
    host,
    ...capacity,
    ...log,
    ...(c.console ? { console: c.console } : {}),
    ...(record ? { record: { dir: record.dir, windowNs: record.windowSec * 1e9 } } : {}),
  };
  if (c.engines === undefined) {
    const engine = await IoEngineDelivery.open(o);
    return { backend: engine, engines: [engine] };
  }
  const pool = await IoEnginePool.open({ ...o, engines: c.engines });
  return { backend: pool, engines: [...pool.engines] };
}

/** startServer on the configured ports; with anyPortIfTaken, a port that is taken falls back to any free one. */
async function listen(c: StreamServerConfig, o: { host: string; contentDir: string; backend: DeliveryBackend; log?: (m: string) => void }): Promise<StreamServerHandle> {
  let port = c.port ?? DEFAULTS.port;
  let metricsPort = c.metricsPort ?? DEFAULTS.metricsPort;
  const say = o.log ?? (() => {});
  for (let attempt = 0; ; attempt++) {
    try {
      return await startServer({
        ...o,
        port,
        metrics: { host: o.host, port: metricsPort },
        ...(c.sessionTimeoutSec !== undefined ? { sessionTimeoutSec: c.sessionTimeoutSec } : {}),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { port?: number };
      if (!c.anyPortIfTaken || e.code !== "EADDRINUSE" || attempt >= 2) throw err;
      if (e.port === port && port !== 0) {
        say(`port ${port} is in use; RTSP takes any free port`);
        port = 0;
      } else if (metricsPort !== 0) {
        say(`port ${metricsPort} is in use; /metrics takes any free port`);
        metricsPort = 0;
      } else throw err;
    }
  }
}
