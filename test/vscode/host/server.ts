// Starts the VS Code server (from code-server's package) under Node 24 on 127.0.0.1 and stops
// it with every process it spawned (it runs in its own process group). installExtension puts a
// .vsix into its extensions folder first, as `code --install-extension` does for a user.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
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
  /** the installed extensions' folder (default: extensions/ in the server data) */
  extensionsDir?: string;
  timeoutMs: number;
}

const serverDataArgs = (o: { dataDir: string; extensionsDir?: string }) => [
  "--accept-server-license-terms",
  "--disable-telemetry",
  "--server-data-dir",
  join(o.dataDir, "server-data"),
  ...(o.extensionsDir ? ["--extensions-dir", o.extensionsDir] : []),
];

export interface InstallOptions {
  node24: string;
  serverMain: string;
  dataDir: string;
  extensionsDir: string;
  vsix: string;
  /** the extension's id (publisher.name), to find its folder once installed */
  id: string;
  timeoutMs: number;
}

/**
 * Installs `vsix` with the server's own CLI (`server-main.js --install-extension`) and resolves
 * with the installed extension's folder. The output goes to install.log in dataDir.
 */
export function installExtension(o: InstallOptions): Promise<string> {
  const child = spawn(o.node24, [o.serverMain, ...serverDataArgs(o), "--install-extension", o.vsix, "--force"], {
    cwd: o.dataDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, EXTENSIONS_GALLERY: "{}" },
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${o.node24}: ${e.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      writeFileSync(join(o.dataDir, "install.log"), out);
      const folder = code === 0 ? installedFolder(o.extensionsDir, o.id) : undefined;
      if (code === 0 && folder) resolve(folder);
      else reject(new Error(`installing ${o.vsix} failed (${signal ?? `exit code ${code}`}): ${out.trim()}`));
    });
  });
}

/** The folder the server's extensions.json gives for extension `id`, if it is there. */
function installedFolder(extensionsDir: string, id: string): string | undefined {
  const index = join(extensionsDir, "extensions.json");
  if (!existsSync(index)) return undefined;
  const list = JSON.parse(readFileSync(index, "utf8")) as { identifier: { id: string }; relativeLocation?: string; location?: { path?: string } }[];
  const e = list.find((x) => x.identifier.id.toLowerCase() === id.toLowerCase());
  const dir = e && (e.relativeLocation ? join(extensionsDir, e.relativeLocation) : e.location?.path);
  return dir && existsSync(join(dir, "package.json")) ? dir : undefined;
}

// The server prints this line once it listens; with --port 0 it is how we learn the port.
const LISTENING = /Extension host agent listening on (\d+)/;

export function startVscodeServer(opts: ServerOptions): Promise<VscodeServer> {
  const args = [opts.serverMain, "--host", "127.0.0.1", "--port", "0", "--without-connection-token", "--enable-smoke-test-driver", "--disable-workspace-trust", ...serverDataArgs(opts)];
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
