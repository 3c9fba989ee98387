// The I/O Engine panel's messages: what the extension posts to the webview and what the webview
// posts back, as discriminated unions, with the validators both sides use on what they receive.
// Imported by the extension (node) and the webview bundle (browser): no node or vscode imports
// (type-only imports are erased from both bundles).
import type { LoadTotals } from "../loadgen/load-generator";
import type { LoadTransport } from "../loadgen/rtsp-load-client";

export type { LoadTransport };

export type Arch = "conventional" | "ioengine";
export const ARCHES: readonly Arch[] = ["conventional", "ioengine"];
export const ARCH_LABELS: Record<Arch, string> = {
  conventional: "Conventional (Node delivers)",
  ioengine: "I/O engine (delivery on the emulated machine)",
};

export const LOAD_LIMITS = { maxClients: 200, maxSeconds: 3600 } as const;

export type ServerState = "stopped" | "starting" | "running" | "stopping" | "failed";

/** What the panel shows about the server as a whole. */
export interface ServerStatus {
  state: ServerState;
  arch?: Arch;
  /** rtsp://127.0.0.1:PORT/<content> of the content the panel offers to open */
  url?: string;
  contents?: string[];
  metricsUrl?: string;
  /** why it failed or stopped unexpectedly */
  error?: string;
  /** I/O engine only: stream slots, capacity, disk mode, boots */
  engine?: { up: boolean; boots: number; maxStreams: number; capacityMbps: number; disk: "dma" | "pio" };
}

/** One row of the session table. */
export interface SessionRow {
  id: string;
  /** "127.0.0.1:50000-50001" (UDP) or "127.0.0.1 (TCP)" */
  client: string;
  content: string;
  /** "UDP" or "TCP ch 0-1" */
  transport: string;
  state: "ready" | "playing";
  packets: number;
  bytes: number;
  latenessMeanMs: number;
  latenessMaxMs: number;
  /** cumulative lost packets from the client's latest RTCP receiver report (-1: none yet) */
  lost: number;
  /** fraction lost from the latest receiver report, 0..1 */
  fractionLost: number;
}

/** One chart sample: values over the interval since the previous sample. */
export interface StatsSample {
  /** unix time, seconds */
  t: number;
  streams: { id: string; bitrateBps: number; latenessMs: number | null }[];
  /** packets sent more than 5 ms after their deadline, per second (the engine's own definition) */
  deadlineMissesPerSec: number | null;
  /** I/O engine only: packets due but unsent at the end of a scheduling pass (max per report) */
  queueDepth: number | null;
  /** I/O engine only: non-idle guest instructions over all instructions, 0..1 */
  guestBusy: number | null;
  /** the server process's CPU time over wall time (1 = one core busy), either architecture */
  serverCpu: number;
}

/** A recording the I/O engine's flight recorder wrote, as the panel lists it. */
export interface RecordingInfo {
  /** absolute path of the .lvmmrec */
  path: string;
  /** the engine incarnation's linkage boot id */
  bootId: number;
  /** virtual seconds the recording spans */
  virtualSeconds: number;
  events: number;
  /** when the extension learnt of it (unix ms) */
  at: number;
}

/** The load generator's state as the panel shows it: its totals without the per-client rows. */
export type LoadStatus = Omit<LoadTotals, "perClient">;

export type HostToWebview =
  | { type: "status"; status: ServerStatus }
  | { type: "sessions"; rows: SessionRow[] }
  | { type: "sample"; sample: StatsSample }
  /** the whole chart window, sent when the webview (re)loads */
  | { type: "history"; samples: StatsSample[] }
  | { type: "load"; load: LoadStatus }
  | { type: "notice"; level: "info" | "error"; text: string }
  /** the recordings written so far (newest first), and the folder new ones go to */
  | { type: "recordings"; recordings: RecordingInfo[]; dir: string };

export type WebviewToHost =
  | { type: "ready" }
  | { type: "start"; arch: Arch; content?: string }
  | { type: "stop" }
  | { type: "selectContent"; content: string }
  | { type: "loadStart"; clients: number; seconds: number; transport: LoadTransport }
  | { type: "loadStop" }
  | { type: "copyUrl" }
  /** debug one of the listed recordings in a replay session */
  | { type: "openRecording"; path: string }
  /** what the webview has on display after a message: lets tests assert without pixels */
  | { type: "rendered"; sessions: number; streamSeries: number; samples: number; nonEmptyCharts: string[]; recordings?: number };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const isStr = (v: unknown, max = 200): v is string => typeof v === "string" && v.length <= max;
const isArch = (v: unknown): v is Arch => v === "conventional" || v === "ioengine";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isNumOrNull = (v: unknown) => v === null || isNum(v);

/** A message from the webview, or an error saying what is wrong with it (webviews are untrusted). */
export function parseWebviewMessage(m: unknown): WebviewToHost | Error {
  if (!isObj(m) || typeof m.type !== "string") return new Error("not a panel message");
  switch (m.type) {
    case "ready":
    case "stop":
    case "loadStop":
    case "copyUrl":
      return { type: m.type };
    case "start":
      if (!isArch(m.arch)) return new Error(`start: arch must be one of ${ARCHES.join(", ")}`);
      if (m.content !== undefined && !isStr(m.content, 64)) return new Error("start: bad content name");
      return m.content === undefined ? { type: "start", arch: m.arch } : { type: "start", arch: m.arch, content: m.content };
    case "selectContent":
      if (!isStr(m.content, 64)) return new Error("selectContent: bad content name");
      return { type: "selectContent", content: m.content };
    case "loadStart":
      if (!isInt(m.clients, 1, LOAD_LIMITS.maxClients)) return new Error(`loadStart: clients must be an integer from 1 to ${LOAD_LIMITS.maxClients}`);
      if (!isInt(m.seconds, 1, LOAD_LIMITS.maxSeconds)) return new Error(`loadStart: seconds must be an integer from 1 to ${LOAD_LIMITS.maxSeconds}`);
      if (m.transport !== "udp" && m.transport !== "tcp") return new Error("loadStart: transport must be udp or tcp");
      return { type: "loadStart", clients: m.clients, seconds: m.seconds, transport: m.transport };
    case "openRecording":
      if (!isStr(m.path, 4096) || !m.path.endsWith(".lvmmrec")) return new Error("openRecording: path must name a .lvmmrec file");
      return { type: "openRecording", path: m.path };
    case "rendered":
      if (!isInt(m.sessions, 0, 1e6) || !isInt(m.streamSeries, 0, 1e6) || !isInt(m.samples, 0, 1e6)) return new Error("rendered: bad counts");
      if (m.recordings !== undefined && !isInt(m.recordings, 0, 1e6)) return new Error("rendered: bad counts");
      if (!Array.isArray(m.nonEmptyCharts) || !m.nonEmptyCharts.every((c) => isStr(c, 40))) return new Error("rendered: bad chart list");
      return {
        type: "rendered",
        sessions: m.sessions,
        streamSeries: m.streamSeries,
        samples: m.samples,
        nonEmptyCharts: m.nonEmptyCharts as string[],
        ...(m.recordings !== undefined ? { recordings: m.recordings } : {}),
      };
    default:
      return new Error(`unknown panel message type ${JSON.stringify(m.type).slice(0, 40)}`);
  }
}

/** Checks a message from the extension host before the webview acts on it (shape only). */
export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isObj(m)) return false;
  switch (m.type) {
    case "status":
      return isObj(m.status) && typeof m.status.state === "string";
    case "sessions":
      return Array.isArray(m.rows) && m.rows.every((r) => isObj(r) && typeof r.id === "string" && isNum(r.packets) && isNum(r.bytes));
    case "sample":
      return isStatsSample(m.sample);
    case "history":
      return Array.isArray(m.samples) && m.samples.every(isStatsSample);
    case "load":
      return isObj(m.load) && typeof m.load.running === "boolean" && isNum(m.load.packets);
    case "notice":
      return (m.level === "info" || m.level === "error") && typeof m.text === "string";
    case "recordings":
      return (
        typeof m.dir === "string" &&
        Array.isArray(m.recordings) &&
        m.recordings.every((r) => isObj(r) && typeof r.path === "string" && isNum(r.bootId) && isNum(r.virtualSeconds) && isNum(r.events) && isNum(r.at))
      );
    default:
      return false;
  }
}

export function isStatsSample(s: unknown): s is StatsSample {
  return (
    isObj(s) &&
    isNum(s.t) &&
    Array.isArray(s.streams) &&
    s.streams.every((x) => isObj(x) && typeof x.id === "string" && isNum(x.bitrateBps) && isNumOrNull(x.latenessMs)) &&
    isNumOrNull(s.deadlineMissesPerSec) &&
    isNumOrNull(s.queueDepth) &&
    isNumOrNull(s.guestBusy) &&
    isNum(s.serverCpu)
  );
}
