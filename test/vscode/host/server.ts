// Starts the VS Code server (from code-server's package) under Node 24 on 127.0.0.1 and stops
// it with every process it spawned (it runs in its own process group).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";

export interface VscodeServer {
  port: number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  node24: string;
  serverMain: string;
  /** Scratch folder: server data (user settings, extensions, logs) and the server's log. */
  dataDir: string;
  /** Extra environment for the server and so for the extension host it starts. */
  env: Record<string, string>;
  timeoutMs: number;
}

// The server prints this line once it listens; with --port 0 it is how we learn the port.
const LISTENING = /Extension host agent listening on (\d+)/;

export function startVscodeServer(opts: ServerOptions): Promise<VscodeServer> {
  const args = [
    opts.serverMain,
    "--host", "127.0.0.1",
    "--port", "0",
    "--without-connection-token",
    "--accept-server-license-terms",
    "--disable-telemetry",
    "--enable-smoke-test-driver",
    "--disable-workspace-trust",
    "--server-data-dir", join(opts.dataDir, "server-data"),
  ];
  const child = spawn(opts.node24, args, {
    cwd: opts.dataDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // An empty gallery: the server would otherwise query the marketplace.
    env: { ...process.env, EXTENSIONS_GALLERY: "{}", ...opts.env },
  });
  const log = createWriteStream(join(opts.dataDir, "server.log"));
  child.stdout.pipe(log);
  child.stderr.pipe(log);

  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`VS Code server did not listen within ${opts.timeoutMs} ms; see ${join(opts.dataDir, "server.log")}`)), opts.timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      void stopGroup(child).then(() => reject(e));
    };
    child.once("error", (e) => fail(new Error(`cannot start ${opts.node24}: ${e.message}`)));
    child.once("exit", (code, signal) => fail(new Error(`VS Code server exited early (code ${code}, signal ${signal}); see ${join(opts.dataDir, "server.log")}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = LISTENING.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout.removeAllListeners("data");
      child.stdout.resume();
      resolve({ port: Number(m[1]), stop: () => stopGroup(child) });
    });
  });
}

/** SIGTERM to the whole group, SIGKILL after 3 s if anything is left. */
function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return Promise.resolve();
  const signalGroup = (sig: NodeJS.Signals | 0) => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  if (!signalGroup("SIGTERM")) return Promise.resolve();
  return new Promise((resolve) => {
    const deadline = Date.now() + 3000;
    const poll = setInterval(() => {
      if (!signalGroup(0)) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() > deadline) {
        signalGroup("SIGKILL");
        clearInterval(poll);
        resolve();
      }
    }, 100);
  });
}
