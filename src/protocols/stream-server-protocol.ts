// Messages between the extension host and the stream-server process (dist/stream-server.js,
// started with child_process.fork): commands with ids down, replies and periodic reports up.
import type { Arch, ServerStatus, SessionRow, StatsSample } from "./io-engine-panel-messages";

export interface ServeOptions {
  arch: Arch;
  /** RTSP port; 0 = any free port. If the port is taken, any free one is used instead. */
  port: number;
  /** Prometheus /metrics port; same rule */
  metricsPort: number;
  contentDir: string;
  /** the guest kernel (ioengine only) */
  kernelPath: string;
  /**
   * ioengine only: record the engine as `lvmm serve` does (the last 60 virtual s of each
   * incarnation, written to DIR/engine-<boot id>.lvmmrec when it stops); absent: unrecorded
   */
  recordDir?: string;
  /** how often sessions and a chart sample are reported; default 1000 ms */
  sampleIntervalMs?: number;
}

export interface ServeInfo {
  arch: Arch;
  host: string;
  port: number;
  metricsPort: number | undefined;
  /** content names the server can play, the sample clip first */
  contents: string[];
  engine?: ServerStatus["engine"];
}

export type ToServer = { type: "start"; id: number; options: ServeOptions } | { type: "stop"; id: number };

export type FromServer =
  | { type: "reply"; id: number; ok: true; info?: ServeInfo }
  | { type: "reply"; id: number; ok: false; error: string }
  | { type: "report"; rows: SessionRow[]; sample?: StatsSample; engine?: ServerStatus["engine"] }
  | { type: "log"; line: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

export function isToServer(m: unknown): m is ToServer {
  if (!isObj(m) || typeof m.id !== "number") return false;
  if (m.type === "stop") return true;
  if (m.type !== "start" || !isObj(m.options)) return false;
  const o = m.options;
  return (
    (o.arch === "conventional" || o.arch === "ioengine") &&
    typeof o.port === "number" &&
    typeof o.metricsPort === "number" &&
    typeof o.contentDir === "string" &&
    typeof o.kernelPath === "string" &&
    (o.recordDir === undefined || typeof o.recordDir === "string")
  );
}

export function isFromServer(m: unknown): m is FromServer {
  if (!isObj(m)) return false;
  switch (m.type) {
    case "reply":
      return typeof m.id === "number" && typeof m.ok === "boolean";
    case "report":
      return Array.isArray(m.rows);
    case "log":
      return typeof m.line === "string";
    default:
      return false;
  }
}
