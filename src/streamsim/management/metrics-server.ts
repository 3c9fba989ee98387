// The /metrics HTTP endpoint, on its own loopback port.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Bench-only hook (`lvmm serve --bench-hooks`): GET /bench/stall?ms=N busy-waits the main thread
 * for N ms (at most 5000), as a heavy management request would, so the stream bench can show
 * what a stalled RTSP/management thread does to delivery. Off unless turned on.
 */
let benchHooks = false;
export function enableBenchHooks(): void {
  benchHooks = true;
}

function benchStall(url: string): number {
  const ms = Math.min(5000, Math.max(0, Number(new URL(url, "http://127.0.0.1").searchParams.get("ms") ?? 200) || 0));
  const end = performance.now() + ms;
  while (performance.now() < end); // deliberately blocks the event loop
  return ms;
}

export async function startMetricsServer(host: string, port: number, render: () => string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && (req.url === "/metrics" || req.url?.startsWith("/metrics?"))) {
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(render());
      return;
    }
    if (benchHooks && req.method === "GET" && (req.url === "/bench/stall" || req.url?.startsWith("/bench/stall?"))) {
      const ms = benchStall(req.url);
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(`stalled the main thread ${ms} ms\n`);
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found; try /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
