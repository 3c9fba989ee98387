// Incremental RTSP 1.0 request parser (RFC 2326 §6, §10.12). Feed it bytes as they arrive; it
// yields whole requests (pipelined or fragmented), interleaved $-frames from the client, and
// typed errors. It never throws on input.
//
// Framing policy: an error found inside a request whose end we know (header section complete,
// body length known) is non-fatal: the caller answers it and parsing resumes at the next
// request. When the end cannot be known (header section over the size limit, unreadable or
// oversized Content-Length, input cut off at end of stream) the error is fatal: the parser
// discards everything after it and the caller should answer and close.
import { MalformedRequestError, RtspError } from "./errors";
import { RtspStatus } from "./status";

export interface ParserLimits {
  /** request line + headers, bytes, including the blank line */
  maxHeaderBytes: number;
  maxHeaders: number;
  maxBodyBytes: number;
  maxUriLength: number;
}

export const defaultParserLimits: ParserLimits = {
  maxHeaderBytes: 8192,
  maxHeaders: 64,
  maxBodyBytes: 65536,
  maxUriLength: 2048,
};

export interface RtspRequest {
  method: string;
  uri: string;
  version: string;
  /** lower-cased names; repeated fields joined with ", " (RFC 2616 §4.2) */
  headers: ReadonlyMap<string, string>;
  body: Buffer;
}

export type ParsedItem =
  | { kind: "request"; request: RtspRequest }
  | { kind: "interleaved"; channel: number; payload: Buffer }
  /** `cseq` is the raw CSeq value when it could be read, so the reply can echo it. */
  | { kind: "error"; error: RtspError; fatal: boolean; cseq?: string };

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
// Control characters other than HTAB are not allowed in header values (RFC 2616 §2.2 TEXT).
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** strips linear white space (SP, HTAB) only */
const trimLws = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, "");

export class RtspRequestParser {
  private buf: Buffer = Buffer.alloc(0);
  /** where to resume searching for the end of the header section */
  private scanFrom = 0;
  private broken = false;

  constructor(private readonly limits: ParserLimits = defaultParserLimits) {}

  /** true after a fatal error: further input is ignored */
  get isBroken(): boolean {
    return this.broken;
  }

  push(chunk: Buffer): ParsedItem[] {
    if (this.broken) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: ParsedItem[] = [];
    while (!this.broken) {
      const item = this.next();
      if (!item) break;
      out.push(item);
    }
    return out;
  }

  /** The peer closed its side: a partial request left over is an error. */
  end(): ParsedItem[] {
    if (this.broken) return [];
    this.skipBlankLines();
    if (this.buf.length === 0) return [];
    return [this.fatal(new MalformedRequestError(`connection closed inside a request (${this.buf.length} bytes unframed)`, true))];
  }

  private fatal(error: RtspError, cseq?: string): ParsedItem {
    this.broken = true;
    this.buf = Buffer.alloc(0);
    return { kind: "error", error, fatal: true, ...(cseq === undefined ? {} : { cseq }) };
  }

  private skipBlankLines(): void {
    let i = 0;
    while (i < this.buf.length && (this.buf[i] === CR || this.buf[i] === LF)) i++;
    if (i > 0) {
      this.buf = this.buf.subarray(i);
      this.scanFrom = Math.max(0, this.scanFrom - i);
    }
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.scanFrom = 0;
  }

  /** Index just past the blank line ending the header section, or -1. Accepts bare LF line ends. */
  private findHeaderEnd(): number {
    const b = this.buf;
    for (let i = Math.max(0, this.scanFrom - 2); i < b.length; i++) {
      if (b[i] !== LF) continue;
      if (b[i + 1] === LF) return i + 2;
      if (b[i + 1] === CR && b[i + 2] === LF) return i + 3;
    }
    this.scanFrom = b.length;
    return -1;
  }

  private next(): ParsedItem | undefined {
    this.skipBlankLines();
    const b = this.buf;
    if (b.length === 0) return undefined;

    // RFC 2326 §10.12: "$" channel(1) length(2, network order) data
    if (b[0] === DOLLAR) {
      if (b.length < 4) return undefined;
      const len = b.readUInt16BE(2);
      if (b.length < 4 + len) return undefined;
      const item: ParsedItem = { kind: "interleaved", channel: b[1]!, payload: Buffer.from(b.subarray(4, 4 + len)) };
      this.consume(4 + len);
      return item;
    }

    const headerEnd = this.findHeaderEnd();
    if (headerEnd < 0) {
      if (b.length > this.limits.maxHeaderBytes) return this.fatal(new MalformedRequestError(`header section exceeds ${this.limits.maxHeaderBytes} bytes`, true));
      return undefined;
    }
    const head = b.subarray(0, headerEnd).toString("latin1");
    const lines = head.split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    const { headers, problem, cseq } = this.parseHeaderLines(lines.slice(1));

    if (headerEnd > this.limits.maxHeaderBytes) return this.fatal(new MalformedRequestError(`header section exceeds ${this.limits.maxHeaderBytes} bytes`, true), cseq);

    // Framing: Content-Length decides where the next request starts.
    let bodyLen = 0;
    const cl = headers.get("content-length");
    if (cl !== undefined) {
      const values = cl.split(",").map((s) => s.trim());
      if (!values.every((v) => /^\d{1,9}$/.test(v)) || new Set(values).size !== 1)
        return this.fatal(new MalformedRequestError(`unreadable Content-Length ${JSON.stringify(cl.slice(0, 40))}`, true), cseq);
      bodyLen = Number(values[0]);
      if (bodyLen > this.limits.maxBodyBytes)
        return this.fatal(new MalformedRequestError(`body of ${bodyLen} bytes exceeds ${this.limits.maxBodyBytes}`, true, RtspStatus.RequestEntityTooLarge), cseq);
    }
    if (b.length < headerEnd + bodyLen) return undefined;
    const body = Buffer.from(b.subarray(headerEnd, headerEnd + bodyLen));
    this.consume(headerEnd + bodyLen);

    const withCseq = (error: RtspError): ParsedItem => ({ kind: "error", error, fatal: false, ...(cseq === undefined ? {} : { cseq }) });
    const line = lines[0] ?? "";
    const parts = line.split(" ");
    if (parts.length !== 3 || parts.some((p) => p === "")) return withCseq(new MalformedRequestError(`bad request line ${JSON.stringify(line.slice(0, 80))}`, false));
    const [method, uri, version] = parts as [string, string, string];
    if (!TOKEN.test(method)) return withCseq(new MalformedRequestError(`bad method ${JSON.stringify(method.slice(0, 40))}`, false));
    if (CTL.test(uri)) return withCseq(new MalformedRequestError("control characters in Request-URI", false));
    if (uri.length > this.limits.maxUriLength) return withCseq(new MalformedRequestError(`Request-URI longer than ${this.limits.maxUriLength}`, false, RtspStatus.RequestUriTooLarge));
    if (version !== "RTSP/1.0") {
      if (/^[A-Z]{1,8}\/\d{1,3}\.\d{1,3}$/.test(version)) return withCseq(new RtspError(RtspStatus.RtspVersionNotSupported, `${version} is not supported; this server speaks RTSP/1.0`));
      return withCseq(new MalformedRequestError(`bad protocol version ${JSON.stringify(version.slice(0, 40))}`, false));
    }
    if (problem) return withCseq(problem);
    return { kind: "request", request: { method, uri, version, headers, body } };
  }

  private parseHeaderLines(lines: string[]): { headers: Map<string, string>; problem?: RtspError; cseq?: string } {
    const headers = new Map<string, string>();
    let problem: RtspError | undefined;
    let count = 0;
    let last: string | undefined;
    for (const line of lines) {
      if ((line.startsWith(" ") || line.startsWith("\t")) && last !== undefined) {
        // obsolete line folding (RFC 2616 §2.2): continues the previous value
        if (CTL.test(line)) problem ??= new MalformedRequestError("control characters in a folded header line", false);
        headers.set(last, `${headers.get(last)} ${trimLws(line)}`);
        continue;
      }
      const colon = line.indexOf(":");
      // no whitespace between field name and colon (RFC 2616 §4.2)
      const name = colon < 0 ? "" : line.slice(0, colon);
      if (!TOKEN.test(name)) {
        problem ??= new MalformedRequestError(`bad header line ${JSON.stringify(line.slice(0, 60))}`, false);
        last = undefined;
        continue;
      }
      const raw = line.slice(colon + 1);
      // checked before trimming: String.trim() would silently drop VT, FF and friends
      if (CTL.test(raw)) problem ??= new MalformedRequestError(`control characters in header ${name}`, false);
      const value = trimLws(raw);
      if (++count > this.limits.maxHeaders) problem ??= new MalformedRequestError(`more than ${this.limits.maxHeaders} header fields`, false);
      const key = name.toLowerCase();
      const prev = headers.get(key);
      headers.set(key, prev === undefined ? value : `${prev}, ${value}`);
      last = key;
    }
    const cseq = headers.get("cseq");
    const okCseq = cseq !== undefined && /^\d{1,10}$/.test(cseq) ? cseq : undefined;
    return { headers, ...(problem ? { problem } : {}), ...(okCseq === undefined ? {} : { cseq: okCseq }) };
  }
}
