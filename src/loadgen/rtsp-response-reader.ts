// Splits what an RTSP server sends a client into responses and interleaved `$` frames
// (RFC 2326 §10.12), incrementally, for the load generator's clients.

export interface RtspResponse {
  status: number;
  reason: string;
  /** header names lower-cased */
  headers: Map<string, string>;
  body: Buffer;
}

export type RtspItem = { kind: "response"; response: RtspResponse } | { kind: "frame"; channel: number; payload: Buffer };

/** The server sent something that is neither a response nor a `$` frame. */
export class RtspResponseError extends Error {
  override readonly name = "RtspResponseError";
}

const MAX_HEADER_BYTES = 16 * 1024;
const HEADER_END = Buffer.from("\r\n\r\n");

export class RtspResponseReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds received bytes and returns every complete item they finish. */
  push(chunk: Buffer): RtspItem[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RtspItem[] = [];
    for (;;) {
      const item = this.next();
      if (!item) return out;
      out.push(item);
    }
  }

  private next(): RtspItem | undefined {
    const b = this.buf;
    if (b.length === 0) return undefined;
    if (b[0] === 0x24) {
      if (b.length < 4) return undefined;
      const len = b.readUInt16BE(2);
      if (b.length < 4 + len) return undefined;
      this.buf = b.subarray(4 + len);
      return { kind: "frame", channel: b[1]!, payload: b.subarray(4, 4 + len) };
    }
    const end = b.indexOf(HEADER_END);
    if (end < 0) {
      if (b.length > MAX_HEADER_BYTES) throw new RtspResponseError(`no end of the response header within ${MAX_HEADER_BYTES} bytes`);
      return undefined;
    }
    const lines = b.subarray(0, end).toString("latin1").split("\r\n");
    const m = /^RTSP\/1\.0 (\d{3}) ?(.*)$/.exec(lines[0] ?? "");
    if (!m) throw new RtspResponseError(`not an RTSP response: ${JSON.stringify((lines[0] ?? "").slice(0, 60))}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const length = Number(headers.get("content-length") ?? 0);
    if (!Number.isInteger(length) || length < 0) throw new RtspResponseError(`bad Content-Length ${headers.get("content-length")}`);
    if (b.length < end + 4 + length) return undefined;
    this.buf = b.subarray(end + 4 + length);
    return { kind: "response", response: { status: Number(m[1]), reason: m[2] ?? "", headers, body: b.subarray(end + 4, end + 4 + length) } };
  }
}
