// The three stream servers the bench compares, each run as its own process the way a user
// runs it: `lvmm serve --arch ioengine`, `lvmm serve --arch conventional`, and gst-rtsp-server
// (bench/lib/gst-rtsp-server.py) as the outside anchor. One at a time, on 127.0.0.1 only.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describes } from "./rtsp-conn";

/** Log lines worth reporting: the engine going down or rebooting, 5xx answers, failed deliveries. */
const TROUBLE = /engine down|reboot|internal error|: 5\d\d |failed|is down|error/i;

/** A server left behind by a bench that died still ends by itself. */
const MAX_LIFETIME_SEC = 900;
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

export type ServerKind = "ioengine" | "conventional" | "gst";

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  url: string;
  /** lvmm's metrics port (/metrics, /bench/stall); undefined for gst-rtsp-server */
  metricsPort: number | undefined;
  /** the last lines it printed (for a failure's report) */
  tail(): string;
  /** what went wrong in its log (engine down, 5xx, failed deliveries), by kind, with counts */
  trouble(): string[];
  exited(): boolean;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// Debian's python3-gi lives in the system Python; a python3 earlier on PATH (pyenv) lacks it.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Undefined if python3 can load GstRtspServer and the elements the anchor's pipeline needs. */
export function gstAvailable(): string | undefined {
  const r = spawnSync(
    PYTHON,
    [
      "-c",
      "import gi; gi.require_version('GstRtspServer','1.0'); gi.require_version('Gst','1.0'); from gi.repository import Gst, GstRtspServer; Gst.init(None); assert Gst.ElementFactory.find('tsparse') and Gst.ElementFactory.find('rtpmp2tpay')",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  return r.status === 0 ? undefined : (r.stderr || r.error?.message || "python3 failed").trim().split("\n").pop();
}

export interface ServerSetup {
  root: string;
  contentDir: string;
  clip: string;
  /** the clip's MPEG-TS file (gst-rtsp-server serves it directly) */
  clipFile: string;
}

export async function startServerProcess(kind: ServerKind, s: ServerSetup, readyTimeoutMs = 120_000): Promise<RunningServer> {
  const port = await freePort();
  const metricsPort = kind === "gst" ? undefined : await freePort();
  const args =
    kind === "gst"
      ? [join(s.root, "bench", "lib", "gst-rtsp-server.py"), String(port), s.clipFile, `/${s.clip}`, String(MAX_LIFETIME_SEC)]
      : [
          join(s.root, "bin", "lvmm.js"),
          "serve",
          "--arch",
          kind,
          "--no-record",
          "--port",
          String(port),
          "--metrics-port",
          String(metricsPort),
          "--content",
          s.contentDir,
          "--capacity",
          "10000",
          "--bench-hooks",
          "--seconds",
          String(MAX_LIFETIME_SEC),
        ];
  // spawned directly (no shell), so child.pid is the server itself for /proc
  const child: ChildProcess = spawn(kind === "gst" ? PYTHON : process.execPath, args, { cwd: s.root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const trouble = new Map<string, number>();
  const keep = (b: Buffer) => {
    const text = b.toString("utf8");
    out = (out + text).slice(-4000);
    for (const l of text.split("\n")) {
      if (!TROUBLE.test(l)) continue;
      // one entry per kind of message: numbers, stream ids and addresses blanked
      const key = l
        .trim()
        .replace(/\d+(\.\d+)*/g, "#")
        .slice(0, 160);
      if (trouble.size < 100 || trouble.has(key)) trouble.set(key, (trouble.get(key) ?? 0) + 1);
    }
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited = false;
  live.add(child);
  const gone = new Promise<void>((r) => child.once("exit", () => ((exited = true), live.delete(child), r())));
  const url = `rtsp://127.0.0.1:${port}/${s.clip}`;
  const server: RunningServer = {
    kind,
    pid: child.pid!,
    url,
    metricsPort,
    tail: () => out.trim().split("\n").slice(-8).join("\n"),
    trouble: () => [...trouble].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}x ${k}`),
    exited: () => exited,
    async stop() {
      if (exited) return;
      child.kill("SIGINT");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) {
        child.kill("SIGKILL");
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      }
    },
  };
  // ready = a DESCRIBE of the clip is answered 200 (for lvmm: after the engine said HELLO)
  const deadline = performance.now() + readyTimeoutMs;
  try {
    while (!(await describes(url))) {
      if (exited) throw new Error(`${kind} server exited before it was ready:\n${server.tail()}`);
      if (performance.now() > deadline) throw new Error(`${kind} server not ready within ${readyTimeoutMs / 1000} s:\n${server.tail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/** GET http://127.0.0.1:port/path as text (metrics scrape, bench stall hook). */
export async function httpGet(port: number, path: string, timeoutMs = 5000): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return r.text();
}
