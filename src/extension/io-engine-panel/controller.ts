// What the I/O Engine panel controls: the stream-server process (either architecture), the load
// generator's clients (in the extension host, so they are not the server's own load), and the
// chart window. It speaks the panel's message union; the view just posts what it emits. No
// vscode import, so it runs in node tests too.
import { join } from "node:path";
import { LoadGenerator, type LoadTotals } from "../../loadgen/load-generator";
import { ServerProcess, SERVER_BUNDLE } from "../stream-server/server-process";
import type { ServeInfo } from "../../protocols/stream-server-protocol";
import type { Arch, HostToWebview, LoadStatus, LoadTransport, RecordingInfo, ServerStatus, SessionRow, StatsSample } from "../../protocols/io-engine-panel-messages";
import { parseRecordingLog } from "./recordings";
import { STREAM_SERVER_DEFAULTS } from "../../streamsim/defaults";

export const DEFAULT_RTSP_PORT = STREAM_SERVER_DEFAULTS.port;
export const DEFAULT_METRICS_PORT = STREAM_SERVER_DEFAULTS.metricsPort;
/** samples kept for the charts: 5 minutes at one per second */
export const HISTORY_LENGTH = 300;
/** recordings the panel lists (the newest) */
export const RECORDINGS_LISTED = 20;

export interface StartOptions {
  port?: number;
  metricsPort?: number;
  content?: string;
}

export interface ControllerOptions {
  /** the extension's root: dist/stream-server.js and guest/build/ioengine.elf live under it */
  root: string;
  /**
   * A writable folder of the extension's own (VS Code's global storage for it): the sample clip
   * goes to content/ and the flight recorder's recordings to recordings/. An installed extension's
   * root may be read-only and is replaced on update. Default: the repository's layout under root
   * (.cache/content, recordings/).
   */
  storage?: string;
  /**
   * Where the I/O engine's flight recorder writes, asked at each start (the setting and the
   * workspace may change): see recordingsDirectory(). Default: recordings/ in `storage`.
   */
  recordDir?: () => string;
  log(line: string): void;
}

export class StreamServerController {
  private statusNow: ServerStatus = { state: "stopped" };
  private rowsNow: SessionRow[] = [];
  private readonly samples: StatsSample[] = [];
  private loadNow: LoadStatus | undefined;
  private process: ServerProcess | undefined;
  private info: ServeInfo | undefined;
  private content: string | undefined;
  private load: LoadGenerator | undefined;
  private loadTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(m: HostToWebview) => void>();
  private busy: Promise<unknown> = Promise.resolve();
  private recordingsNow: RecordingInfo[] = [];

  constructor(private readonly o: ControllerOptions) {}

  /** where the sample clip is made and the served content is read from */
  get contentDir(): string {
    return this.o.storage ? join(this.o.storage, "content") : join(this.o.root, ".cache", "content");
  }
  /** where the I/O engine's flight recorder writes its recordings */
  get recordDir(): string {
    return this.o.recordDir?.() ?? join(this.o.storage ?? this.o.root, "recordings");
  }
  /** the I/O engine's kernel (a replay of its recordings needs the same image) */
  get kernelPath(): string {
    return join(this.o.root, "guest", "build", "ioengine.elf");
  }
  /** the recordings written while this window ran, newest first */
  get recordings(): readonly RecordingInfo[] {
    return this.recordingsNow;
  }

  get status(): ServerStatus {
    return this.statusNow;
  }
  get sessions(): readonly SessionRow[] {
    return this.rowsNow;
  }
  get history(): readonly StatsSample[] {
    return this.samples;
  }
  get loadStatus(): LoadStatus | undefined {
    return this.loadNow;
  }
  /** the stream-server process id while it runs (tests check it is gone after stop) */
  get serverPid(): number | undefined {
    return this.process?.alive ? this.process.pid : undefined;
  }
  get url(): string | undefined {
    return this.statusNow.url;
  }

  /** Every message the webview should get, as it happens. */
  subscribe(l: (m: HostToWebview) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** What a freshly loaded webview needs to show the present state. */
  snapshot(): HostToWebview[] {
    const out: HostToWebview[] = [
      { type: "status", status: this.statusNow },
      { type: "sessions", rows: this.rowsNow },
      { type: "history", samples: [...this.samples] },
    ];
    if (this.loadNow) out.push({ type: "load", load: this.loadNow });
    out.push(this.recordingsMessage());
    return out;
  }

  private emit(m: HostToWebview): void {
    for (const l of this.listeners) l(m);
  }

  private setStatus(s: ServerStatus): void {
    this.statusNow = s;
    this.emit({ type: "status", status: s });
  }

  private recordingsMessage(): HostToWebview {
    return { type: "recordings", recordings: [...this.recordingsNow], dir: this.recordDir };
  }

  /** A line of the server's log: the flight recorder says there where each recording went. */
  private logLine(line: string): void {
    this.o.log(line);
    const r = parseRecordingLog(line);
    if (!r) return;
    if (r.kind === "failed") return this.notice("error", `recording the I/O engine (boot ${r.bootId}) failed: ${r.message}`);
    const rec: RecordingInfo = { ...r.recording, at: Date.now() };
    this.recordingsNow = [rec, ...this.recordingsNow.filter((x) => x.path !== rec.path)].slice(0, RECORDINGS_LISTED);
    this.emit(this.recordingsMessage());
  }

  notice(level: "info" | "error", text: string): void {
    this.emit({ type: "notice", level, text });
  }

  /** Runs one start/stop at a time, in the order asked. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.busy.then(f, f);
    this.busy = next.catch(() => undefined);
    return next;
  }

  start(arch: Arch, opts: StartOptions = {}): Promise<ServerStatus> {
    return this.serial(async () => {
      if (this.process?.alive) throw new Error(`the server is already running (${this.statusNow.arch}); stop it first`);
      this.samples.length = 0;
      this.rowsNow = [];
      this.emit({ type: "history", samples: [] });
      this.emit({ type: "sessions", rows: [] });
      this.setStatus({ state: "starting", arch });
      let proc: ServerProcess | undefined;
      try {
        proc = new ServerProcess(join(this.o.root, SERVER_BUNDLE), {
          report: (m) => {
            if (proc !== this.process) return;
            this.rowsNow = m.rows;
            this.emit({ type: "sessions", rows: m.rows });
            if (m.sample) {
              this.samples.push(m.sample);
              if (this.samples.length > HISTORY_LENGTH) this.samples.splice(0, this.samples.length - HISTORY_LENGTH);
              this.emit({ type: "sample", sample: m.sample });
            }
            if (m.engine && this.statusNow.state === "running" && JSON.stringify(m.engine) !== JSON.stringify(this.statusNow.engine)) {
              this.setStatus({ ...this.statusNow, engine: m.engine });
            }
          },
          log: (line) => this.logLine(line),
          exit: (code, signal, expected) => {
            if (proc !== this.process) return;
            this.process = undefined;
            this.info = undefined;
            void this.stopLoad();
            if (!expected) {
              const error = `the stream-server process ended unexpectedly (${signal ?? `exit code ${code}`}); see the LVMM output`;
              this.o.log(error);
              this.setStatus({ state: "failed", arch, error });
            }
          },
        });
        this.process = proc;
        this.o.log(`content from ${this.contentDir}`);
        const recordDir = arch === "ioengine" ? this.recordDir : undefined;
        if (recordDir) {
          this.o.log(`recordings to ${recordDir}`);
          this.emit({ type: "recordings", recordings: [...this.recordingsNow], dir: recordDir });
        }
        const info = await proc.start({
          arch,
          port: opts.port ?? DEFAULT_RTSP_PORT,
          metricsPort: opts.metricsPort ?? DEFAULT_METRICS_PORT,
          contentDir: this.contentDir,
          kernelPath: this.kernelPath,
          // As npm start does: the log says where each recording went (the panel lists them), or why it could not be made.
          ...(recordDir ? { recordDir } : {}),
        });
        this.info = info;
        this.content = opts.content && info.contents.includes(opts.content) ? opts.content : info.contents[0];
        this.setStatus(this.runningStatus());
        this.o.log(`${arch} server on rtsp://${info.host}:${info.port}/ (metrics http://127.0.0.1:${info.metricsPort}/metrics)`);
        return this.statusNow;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        this.o.log(`start failed: ${error}`);
        if (proc) {
          this.process = undefined;
          await proc.end();
        }
        this.setStatus({ state: "failed", arch, error });
        throw err;
      }
    });
  }

  private runningStatus(): ServerStatus {
    const info = this.info!;
    const s: ServerStatus = {
      state: "running",
      arch: info.arch,
      contents: info.contents,
      ...(this.content ? { url: `rtsp://${info.host}:${info.port}/${this.content}` } : {}),
      ...(info.metricsPort !== undefined ? { metricsUrl: `http://127.0.0.1:${info.metricsPort}/metrics` } : {}),
    };
    if (info.engine) s.engine = info.engine;
    return s;
  }

  selectContent(content: string): void {
    if (!this.info || !this.info.contents.includes(content)) return;
    this.content = content;
    this.setStatus(this.runningStatus());
  }

  stop(): Promise<ServerStatus> {
    return this.serial(async () => {
      const proc = this.process;
      if (!proc) {
        if (this.statusNow.state !== "failed") this.setStatus({ state: "stopped" });
        return this.statusNow;
      }
      const arch = this.statusNow.arch;
      this.setStatus({ state: "stopping", ...(arch ? { arch } : {}) });
      await this.stopLoad();
      await proc.end();
      this.process = undefined;
      this.info = undefined;
      this.rowsNow = [];
      this.emit({ type: "sessions", rows: [] });
      this.setStatus({ state: "stopped" });
      this.o.log("server stopped");
      return this.statusNow;
    });
  }

  /** Starts N clients on the panel's URL; resolves with the final totals when the run ends. */
  startLoad(clients: number, seconds: number, transport: LoadTransport): Promise<LoadTotals> {
    const url = this.statusNow.url;
    if (this.statusNow.state !== "running" || !url) return Promise.reject(new Error("start the server first"));
    if (this.load?.running) return Promise.reject(new Error("a load test is already running; stop it first"));
    const gen = new LoadGenerator({ url, clients, seconds, transport });
    this.load = gen;
    const publish = () => {
      const t = gen.totals();
      const { perClient: _perClient, ...load } = t;
      this.loadNow = load;
      this.emit({ type: "load", load });
    };
    publish();
    this.loadTimer = setInterval(publish, 1000);
    this.o.log(`load test: ${clients} ${transport.toUpperCase()} clients for ${seconds} s on ${url}`);
    return gen.finished.then((t) => {
      if (this.load === gen) clearInterval(this.loadTimer);
      publish();
      this.o.log(`load test done: ${t.packets} packets, ${t.lost} lost, ${t.errors.length ? t.errors.join("; ") : "no errors"}`);
      return t;
    });
  }

  async stopLoad(): Promise<void> {
    const gen = this.load;
    if (!gen) return;
    await gen.stop();
  }

  async dispose(): Promise<void> {
    this.listeners.clear();
    await this.stopLoad();
    await this.process?.end();
  }
}
