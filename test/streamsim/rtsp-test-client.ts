// A raw RTSP client for tests: sends exact bytes, reads responses and interleaved frames.
import { connect, type Socket } from "node:net";

export interface TestResponse {
  status: number;
  reason: string;
  headers: Map<string, string>;
  body: string;
}

export interface InterleavedFrame {
  channel: number;
  data: Buffer;
}

export class RtspTestClient {
  private buf = Buffer.alloc(0);
  private readonly responses: TestResponse[] = [];
  readonly frames: InterleavedFrame[] = [];
  private waiters: (() => void)[] = [];
  private cseq = 0;
  closed = false;
  session: string | undefined;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static connect(port: number, host = "127.0.0.1", timeoutMs = 3000): Promise<RtspTestClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, allowHalfOpen: true });
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error("connect timeout"));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(t);
        resolve(new RtspTestClient(s));
      });
      s.once("error", (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        this.frames.push({ channel: this.buf[1]!, data: Buffer.from(this.buf.subarray(4, 4 + len)) });
        this.buf = this.buf.subarray(4 + len);
        continue;
      }
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString("latin1").split("\r\n");
      const headers = new Map<string, string>();
      for (const l of head.slice(1)) {
        const i = l.indexOf(":");
        const k = l.slice(0, i).trim().toLowerCase();
        const v = l.slice(i + 1).trim();
        headers.set(k, headers.has(k) ? `${headers.get(k)}\n${v}` : v);
      }
      const len = Number(headers.get("content-length") ?? 0);
      if (this.buf.length < end + 4 + len) return;
      const m = /^RTSP\/1\.0 (\d{3}) (.*)$/.exec(head[0]!);
      if (!m) throw new Error(`bad status line ${head[0]}`);
      this.responses.push({ status: Number(m[1]), reason: m[2]!, headers, body: this.buf.subarray(end + 4, end + 4 + len).toString("utf8") });
      this.buf = this.buf.subarray(end + 4 + len);
    }
  }

  send(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  /** the next response, or an error after timeoutMs */
  async next(timeoutMs = 3000): Promise<TestResponse> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length === 0) {
      if (this.closed) throw new Error("connection closed while waiting for a response");
      if (Date.now() > deadline) throw new Error("timed out waiting for a response");
      await this.wait(deadline - Date.now());
    }
    return this.responses.shift()!;
  }

  /** Waits until the server closes; returns every response received until then. */
  async drainUntilClose(timeoutMs = 3000): Promise<TestResponse[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the server to close");
      await this.wait(deadline - Date.now());
    }
    return this.responses.splice(0);
  }

  async waitFor(cond: () => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await this.wait(Math.min(50, deadline - Date.now()));
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(
        () => {
          this.waiters = this.waiters.filter((w) => w !== done);
          resolve();
        },
        Math.max(1, ms),
      );
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  /** Sends a request with the next CSeq (and the client's session, if any) and returns the response. */
  async request(method: string, url: string, headers: Record<string, string> = {}, body = ""): Promise<TestResponse> {
    const h: Record<string, string> = { CSeq: String(++this.cseq), ...headers };
    if (this.session && !("Session" in h)) h.Session = this.session;
    if (body) h["Content-Length"] = String(Buffer.byteLength(body));
    const raw = `${method} ${url} RTSP/1.0\r\n${Object.entries(h)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n${body}`;
    this.send(raw);
    const res = await this.next();
    if (res.headers.get("cseq") !== h.CSeq) throw new Error(`CSeq mismatch: sent ${h.CSeq}, got ${res.headers.get("cseq")}`);
    const sess = res.headers.get("session");
    if (sess && res.status === 200 && method === "SETUP") this.session = sess.split(";")[0];
    return res;
  }

  close(): void {
    this.socket.destroy();
  }
}
