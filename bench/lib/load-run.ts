// Runs the load client (bench/lib/load-client.ts) as a process of its own and hands back its
// one JSON result, calling back at the start and end of its measurement window so the bench can
// read the server's CPU time, or stall it, over exactly that window.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface Spread {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface PlayResult {
  clients: number;
  transport: string;
  windowMs: number;
  failed: number;
  /** of the failed: SETUPs the server refused (453 Not Enough Bandwidth, its admission limit) */
  refused: number;
  starved: number;
  errors: string[];
  packets: number;
  lost: number;
  lateness: Spread;
  /** lateness of all packets at percentiles: [percent, ms] (0..99 by 1, 99.5, 99.9, 100) */
  cdf?: [number, number][];
  perStream: ({ packets: number; lost: number } & Spread)[];
}

export interface ChurnResult {
  clients: number;
  windowMs: number;
  cycles: number;
  requests: number;
  errors: string[];
  errorCount: number;
  rtt: Spread;
  byMethod: Record<string, Spread>;
}

const live = new Set<ReturnType<typeof spawn>>();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

export interface WindowHooks {
  start?: () => void;
  end?: () => void;
}

/** The bundled client beside this bundle (out/bench/lib/), or the source through tsx. */
function clientCommand(root: string): string[] {
  const bundled = join(root, "out", "bench", "lib", "load-client.cjs");
  if (__filename.endsWith(".cjs") && existsSync(bundled)) return [bundled];
  return ["--import", "tsx", join(root, "bench", "lib", "load-client.ts")];
}

export function runLoadClient<T = PlayResult>(root: string, args: string[], hooks: WindowHooks = {}, timeoutMs = 120_000): Promise<T> {
  const child = spawn(process.execPath, [...clientCommand(root), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr = (stderr + b.toString("utf8")).slice(-2000)));
  let result: T | undefined;
  createInterface({ input: child.stdout }).on("line", (line) => {
    let msg: { event?: string; result?: T };
    try {
      msg = JSON.parse(line, (_k, v: unknown) => (v === null ? NaN : v)) as typeof msg; // JSON has no NaN: no packets, no figure
    } catch {
      return; // not ours
    }
    if (msg.event === "window-start") hooks.start?.();
    else if (msg.event === "window-end") hooks.end?.();
    else if (msg.result) result = msg.result;
  });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (result) resolve(result);
      else reject(new Error(`load client ${args.join(" ")}: ${signal ?? `exit ${code}`} without a result\n${stderr.trim()}`));
    });
  });
}
