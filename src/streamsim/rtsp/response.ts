// Serialises RTSP responses (RFC 2326 §7) and interleaved frames (§10.12).
import { reasonPhrase, type RtspStatusCode } from "./status";

export interface RtspResponse {
  status: RtspStatusCode;
  headers?: Record<string, string | number | string[] | undefined>;
  body?: string | Buffer;
}

export const SERVER_NAME = "streamsim/0.1";

export function serializeResponse(res: RtspResponse, cseq: string | undefined, date = new Date()): Buffer {
  const lines = [`RTSP/1.0 ${res.status} ${reasonPhrase(res.status)}`];
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  lines.push(`Date: ${date.toUTCString()}`, `Server: ${SERVER_NAME}`);
  for (const [name, value] of Object.entries(res.headers ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      const s = String(v);
      // Never let a value smuggle a line break into the response.
      lines.push(`${name}: ${s.replace(/[\r\n]+/g, " ")}`);
    }
  }
  const body = res.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.body, "utf8");
  if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return body.length > 0 ? Buffer.concat([head, body]) : head;
}

export function interleavedFrame(channel: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(4);
  head[0] = 0x24;
  head[1] = channel & 0xff;
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}
