// startServer: wires the RTSP listener, the session table, admission control, the /metrics
// endpoint and a delivery backend (ConventionalDelivery unless one is given) into one server.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { ContentCatalog } from "../content/catalog";
import { RTP_CLOCK_HZ } from "../content/hint-index";
import type { DeliveryBackend, DeliveryEvent } from "../delivery/backend";
import { ConventionalDelivery, type ConventionalDeliveryOptions } from "../delivery/conventional";
import { AdmissionControl } from "../management/admission";
import { renderMetrics } from "../management/metrics";
import { startMetricsServer, type MetricsServer } from "../management/metrics-server";
import { STREAM_SERVER_DEFAULTS as DEFAULTS } from "../defaults";
import { SessionTable } from "../management/session-table";
import { RtspAuthenticator, type AuthOptions } from "../rtsp/auth";
import { defaultParserLimits, type ParserLimits } from "../rtsp/parser";
import { RtspConnection } from "./rtsp-connection";
import { RtspMethods } from "./rtsp-methods";

export interface StreamServerOptions {
  /** RTSP listen address; default 127.0.0.1 (the defaults are STREAM_SERVER_DEFAULTS, src/streamsim/defaults.ts) */
  host?: string;
  /** RTSP port; default 8554, 0 = any free port */
  port?: number;
  /** /metrics endpoint; default 127.0.0.1:9998; false = none */
  metrics?: { host?: string; port?: number } | false;
  /** content directory (<name>.ts + <name>.hint); default <repo>/.cache/content */
  contentDir?: string;
  /** session timeout, advertised in the Session header; default 60 s */
  sessionTimeoutSec?: number;
  /** a delivery backend; default: a ConventionalDelivery made with `conventional`, closed with the server */
  backend?: DeliveryBackend;
  conventional?: ConventionalDeliveryOptions;
  /** require Basic and/or Digest authentication for every method but OPTIONS */
  auth?: AuthOptions;
  limits?: Partial<ParserLimits>;
  /** Retry-After on 503; default 10 s */
  retryAfterSec?: number;
  /** RTSP connections at once (default 1024: one per client, a file descriptor each); more are closed as they arrive */
  maxConnections?: number;
  log?: (msg: string) => void;
}

export interface StreamServerHandle {
  host: string;
  port: number;
  metricsPort: number | undefined;
  backend: DeliveryBackend;
  sessions: SessionTable;
  /** rtsp://host:port/<content> */
  url(content: string): string;
  close(): Promise<void>;
}

export async function startServer(options: StreamServerOptions = {}): Promise<StreamServerHandle> {
  const host = options.host ?? DEFAULTS.host;
  const log = options.log ?? ((m: string) => console.error(`[streamsim] ${m}`));
  const sessionTimeoutSec = options.sessionTimeoutSec ?? DEFAULTS.sessionTimeoutSec;
  const ownBackend = options.backend === undefined;
  const backend: DeliveryBackend = options.backend ?? (await ConventionalDelivery.open({ host, ...options.conventional }));
  const sessions = new SessionTable();
  const admission = new AdmissionControl(() => backend.capacityBps);
  const catalog = new ContentCatalog(options.contentDir ?? DEFAULTS.contentDir);
  const responses = new Map<number, number>();
  const methods = new RtspMethods(
    catalog,
    sessions,
    admission,
    backend,
    {
      sessionTimeoutSec,
      retryAfterSec: options.retryAfterSec ?? 10,
      ...(options.auth ? { auth: new RtspAuthenticator(options.auth) } : {}),
    },
    log,
  );

  const unsubscribe = backend.subscribe((e: DeliveryEvent) => {
    switch (e.type) {
      case "stats":
        sessions.applyStats(e.streamId, e.stats);
        return;
      case "receiverReport":
        sessions.applyReport(e.streamId, e.report, RTP_CLOCK_HZ, Date.now());
        return;
      case "ended": {
        const s = sessions.get(e.streamId);
        if (s) {
          s.state = "ready";
          s.atEnd = true;
        }
        return;
      }
      case "failed":
        log(`delivery of ${e.streamId} failed: ${e.reason}`);
        void methods.endSession(e.streamId, "failed");
        return;
      case "availability":
        log(`delivery backend ${backend.kind} is ${e.up ? "up" : "down"}`);
        return;
    }
  });

  const limits = { ...defaultParserLimits, ...options.limits };
  const connections = new Set<RtspConnection>();
  let nextConnId = 1;
  const server: Server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    const conn = new RtspConnection(nextConnId++, socket, methods, sessions, limits, (2 * sessionTimeoutSec + 5) * 1000, {
      countResponse: (status) => responses.set(status, (responses.get(status) ?? 0) + 1),
      closed: (c) => {
        connections.delete(c);
        void methods.connectionClosed(c.id);
      },
    });
    connections.add(conn);
  });
  // Not 256: that cut the engine's capacity at 256 streams, below what it delivers.
  server.maxConnections = options.maxConnections ?? 1024;
  server.on("error", (err) => log(`RTSP listener: ${err.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULTS.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    unsubscribe();
    if (ownBackend) await backend.close();
    throw err;
  }

  // Sessions whose client went quiet (no RTSP request, no RTCP) for their timeout are torn down.
  const reaper = setInterval(
    () => {
      for (const s of sessions.expired(Date.now())) void methods.endSession(s.id, "timeout");
    },
    Math.min(1000, sessionTimeoutSec * 250),
  );
  reaper.unref();

  let metrics: MetricsServer | undefined;
  if (options.metrics !== false) {
    try {
      metrics = await startMetricsServer(options.metrics?.host ?? DEFAULTS.host, options.metrics?.port ?? DEFAULTS.metricsPort, () =>
        renderMetrics({ sessions, admission, backendKind: backend.kind, backendUp: backend.isUp(), responses, backendLines: backend.metricsLines?.() ?? [] }),
      );
    } catch (err) {
      clearInterval(reaper);
      server.close();
      unsubscribe();
      if (ownBackend) await backend.close();
      throw err;
    }
  }

  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    metricsPort: metrics?.port,
    backend,
    sessions,
    url: (content) => `rtsp://${host}:${port}/${content}`,
    close: () =>
      (closed ??= (async () => {
        clearInterval(reaper);
        const listening = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of connections) c.destroy();
        await Promise.all(sessions.all().map((s) => methods.endSession(s.id, "shutdown")));
        await listening;
        await metrics?.close();
        unsubscribe();
        if (ownBackend) await backend.close();
      })()),
  };
}
