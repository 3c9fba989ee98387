// The extension host's side of the stream-server process: forks dist/stream-server.js, sends it
// commands and waits for their replies, and passes its reports on. Killing it is the last
// resort when a stop does not finish. No vscode import (tested in node).
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { isFromServer, type FromServer, type ServeInfo, type ServeOptions, type ToServer } from "../../protocols/stream-server-protocol";

/** The stream-server bundle, relative to the extension's root. */
export const SERVER_BUNDLE = "dist/stream-server.js";

export interface ServerProcessEvents {
  report(m: Extract<FromServer, { type: "report" }>): void;
  log(line: string): void;
  /** the process ended; `expected` when we asked it to */
  exit(code: number | null, signal: NodeJS.Signals | null, expected: boolean): void;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 8_000;

export class ServerProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (info: ServeInfo | undefined) => void; reject: (e: Error) => void }>();
  private exited = false;
  private ending = false;
  readonly done: Promise<void>;

  constructor(
    bundle: string,
    private readonly on: ServerProcessEvents,
  ) {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);
    // process.execPath is the extension host's own Node (Electron's, hence ELECTRON_RUN_AS_NODE).
    this.child = fork(bundle, [], {
      execArgv: [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const lines = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) on.log(line);
    };
    this.child.stdout?.on("data", lines);
    this.child.stderr?.on("data", lines);
    this.child.on("message", (m: unknown) => this.onMessage(m));
    this.done = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        const why = new Error(`the stream-server process exited (${signal ?? `code ${code}`})`);
        for (const p of this.pending.values()) p.reject(why);
        this.pending.clear();
        on.exit(code, signal, this.ending);
        resolve();
      });
    });
    this.child.on("error", (err) => on.log(`stream-server process: ${err.message}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  private onMessage(m: unknown): void {
    if (!isFromServer(m)) return;
    switch (m.type) {
      case "reply": {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.info);
        else p.reject(new Error(m.error));
        return;
      }
      case "report":
        this.on.report(m);
        return;
      case "log":
        this.on.log(m.line);
        return;
    }
  }

  private request(make: (id: number) => ToServer, timeoutMs: number): Promise<ServeInfo | undefined> {
    if (this.exited) return Promise.reject(new Error("the stream-server process is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the stream-server process did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send(make(id));
    });
  }

  async start(options: ServeOptions): Promise<ServeInfo> {
    const info = await this.request((id) => ({ type: "start", id, options }), START_TIMEOUT_MS);
    if (!info) throw new Error("the stream-server process started nothing");
    return info;
  }

  /** Stops the server and ends the process: politely, then SIGKILL if it does not go. */
  async end(): Promise<void> {
    if (this.exited) return;
    this.ending = true;
    try {
      await this.request((id) => ({ type: "stop", id }), STOP_TIMEOUT_MS);
    } catch (err) {
      this.on.log(`stop: ${(err as Error).message}`);
    }
    if (!this.exited) this.child.disconnect();
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.done;
    clearTimeout(killer);
  }
}
