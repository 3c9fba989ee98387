// Parsing and formatting of the RTSP header fields the server interprets:
// CSeq (RFC 2326 §12.17), Session (§12.37), Transport (§12.39), Range (§12.29, npt §3.6),
// Scale (§12.34) and Speed (§12.35).
import { HeaderSyntaxError, RtspError } from "./errors";
import { RtspStatus } from "./status";

const MAX_CSEQ = 2 ** 32 - 1;

export function parseCSeq(value: string | undefined): number {
  if (value === undefined) throw new RtspError(RtspStatus.BadRequest, "missing CSeq header (RFC 2326 §12.17: required in every request)");
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_CSEQ) throw new HeaderSyntaxError("CSeq", value, "expected a decimal integer 0..4294967295");
  return Number(v);
}

export interface SessionHeader {
  id: string;
  timeoutSec?: number;
}

// RFC 2326 §3.4: session-id = 1*( ALPHA | DIGIT | safe ); we also allow the chars clients use in practice.
const SESSION_ID = /^[A-Za-z0-9$\-_.+]{1,64}$/;

export function parseSession(value: string): SessionHeader {
  const [rawId = "", ...params] = value.split(";");
  const id = rawId.trim();
  if (!SESSION_ID.test(id)) throw new HeaderSyntaxError("Session", value, "bad session id");
  const out: SessionHeader = { id };
  for (const p of params) {
    const m = /^\s*timeout\s*=\s*(\d{1,6})\s*$/i.exec(p);
    if (m) out.timeoutSec = Number(m[1]);
  }
  return out;
}

export function formatSession(id: string, timeoutSec: number): string {
  return `${id};timeout=${timeoutSec}`;
}

export type LowerTransport = "UDP" | "TCP";

export interface TransportSpec {
  /** e.g. RTP/AVP/TCP as sent */
  protocol: string;
  profile: string;
  lower: LowerTransport;
  unicast: boolean;
  multicast: boolean;
  clientPorts?: [number, number];
  interleaved?: [number, number];
  mode?: string;
  /** anything this parser does not interpret, kept for echoing */
  other: string[];
}

function portRange(header: string, value: string, spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(spec.trim());
  if (!m) throw new HeaderSyntaxError(header, value, `bad port range ${JSON.stringify(spec)}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a > 65535 || b > 65535) throw new HeaderSyntaxError(header, value, "port out of range");
  return [a, b];
}

function channelRange(header: string, value: string, spec: string): [number, number] {
  const [a, b] = portRange(header, value, spec);
  if (a > 255 || b > 255) throw new HeaderSyntaxError(header, value, "interleaved channel must be 0..255");
  return [a, b];
}

/** Parses one transport-spec (the header may hold several, comma separated, in preference order). */
export function parseTransportSpec(spec: string, whole = spec): TransportSpec {
  const parts = spec.split(";").map((s) => s.trim());
  const protocol = parts.shift() ?? "";
  const m = /^([A-Za-z0-9]+)\/([A-Za-z0-9]+)(?:\/([A-Za-z0-9]+))?$/.exec(protocol);
  if (!m) throw new HeaderSyntaxError("Transport", whole, `bad transport-protocol ${JSON.stringify(protocol)}`);
  const lowerRaw = (m[3] ?? "UDP").toUpperCase();
  const out: TransportSpec = {
    protocol: protocol.toUpperCase(),
    profile: `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}`,
    lower: lowerRaw === "TCP" ? "TCP" : "UDP",
    unicast: false,
    multicast: false,
    other: [],
  };
  if (lowerRaw !== "TCP" && lowerRaw !== "UDP") out.other.push(`lower=${lowerRaw}`);
  for (const p of parts) {
    if (p === "") continue;
    const eq = p.indexOf("=");
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? "" : p.slice(eq + 1).trim();
    switch (key) {
      case "unicast":
        out.unicast = true;
        break;
      case "multicast":
        out.multicast = true;
        break;
      case "client_port":
        out.clientPorts = portRange("Transport", whole, val);
        break;
      case "interleaved":
        out.interleaved = channelRange("Transport", whole, val);
        break;
      case "mode":
        out.mode = val.replace(/"/g, "").toUpperCase();
        break;
      default:
        out.other.push(p);
    }
  }
  return out;
}

export function parseTransport(value: string): TransportSpec[] {
  const specs = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (specs.length === 0) throw new HeaderSyntaxError("Transport", value, "empty");
  return specs.map((s) => parseTransportSpec(s, value));
}

export interface TransportReply {
  lower: LowerTransport;
  clientPorts?: [number, number];
  serverPorts?: [number, number];
  interleaved?: [number, number];
  ssrc: number;
}

export function formatTransport(t: TransportReply): string {
  const parts = [t.lower === "TCP" ? "RTP/AVP/TCP" : "RTP/AVP", "unicast"];
  if (t.clientPorts) parts.push(`client_port=${t.clientPorts[0]}-${t.clientPorts[1]}`);
  if (t.serverPorts) parts.push(`server_port=${t.serverPorts[0]}-${t.serverPorts[1]}`);
  if (t.interleaved) parts.push(`interleaved=${t.interleaved[0]}-${t.interleaved[1]}`);
  parts.push(`ssrc=${(t.ssrc >>> 0).toString(16).toUpperCase().padStart(8, "0")}`);
  parts.push("mode=play");
  return parts.join(";");
}

/** A normal play time range. `start: "now"` is the live/resume position (RFC 2326 §3.6). */
export interface NptRange {
  start: number | "now";
  end?: number;
}

export class UnsupportedRangeUnitError extends RtspError {
  constructor(unit: string) {
    super(RtspStatus.NotImplemented, `Range unit ${JSON.stringify(unit)} is not implemented; use npt`);
    this.name = "UnsupportedRangeUnitError";
  }
}

// npt-time = "now" | npt-sec | npt-hhmmss   (RFC 2326 §3.6)
function parseNptTime(s: string, value: string): number | "now" {
  if (s === "now") return "now";
  let m = /^(\d{1,9})(?:\.(\d{0,9}))?$/.exec(s);
  if (m) return Number(m[1]) + (m[2] ? Number(`0.${m[2]}`) : 0);
  m = /^(\d{1,6}):([0-5]?\d):([0-5]?\d)(?:\.(\d{0,9}))?$/.exec(s);
  if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + (m[4] ? Number(`0.${m[4]}`) : 0);
  throw new HeaderSyntaxError("Range", value, `bad npt time ${JSON.stringify(s)}`);
}

export function parseRange(value: string): NptRange {
  // A ";time=" parameter (RFC 2326 §12.29) asks for a wall-clock start; we only honour the range.
  const spec = value.split(";")[0]!.trim();
  const eq = spec.indexOf("=");
  if (eq < 0) throw new HeaderSyntaxError("Range", value, "expected unit=range");
  const unit = spec.slice(0, eq).trim().toLowerCase();
  if (unit === "smpte" || unit.startsWith("smpte-") || unit === "clock") throw new UnsupportedRangeUnitError(unit);
  if (unit !== "npt") throw new HeaderSyntaxError("Range", value, `unknown unit ${JSON.stringify(unit)}`);
  const r = spec.slice(eq + 1).trim();
  const dash = r.indexOf("-");
  if (dash < 0) throw new HeaderSyntaxError("Range", value, "expected start-[end]");
  const a = r.slice(0, dash).trim();
  const b = r.slice(dash + 1).trim();
  if (a === "") throw new HeaderSyntaxError("Range", value, "npt ranges without a start (-end) are not supported");
  const start = parseNptTime(a, value);
  if (b === "") return { start };
  const end = parseNptTime(b, value);
  if (end === "now") throw new HeaderSyntaxError("Range", value, "end cannot be now");
  if (typeof start === "number" && end < start) throw new HeaderSyntaxError("Range", value, "end before start");
  return { start, end };
}

export function formatNpt(sec: number): string {
  return sec.toFixed(3);
}

export function formatRange(start: number, end?: number): string {
  return `npt=${formatNpt(start)}-${end === undefined ? "" : formatNpt(end)}`;
}

/** Scale / Speed: a decimal number (RFC 2326 §12.34, §12.35). */
export function parseRate(header: string, value: string): number {
  const v = value.trim();
  if (!/^-?\d{1,6}(?:\.\d{0,6})?$/.test(v)) throw new HeaderSyntaxError(header, value, "expected a decimal number");
  return Number(v);
}
