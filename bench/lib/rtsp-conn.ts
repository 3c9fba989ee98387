// A lean RTSP connection for the bench: one request at a time, each answered or timed out.
// Used by the churn clients (request round trips) and to tell when a server is ready.
import { connect, type Socket } from "node:net";
import { RtspResponseReader, type RtspResponse } from "../../src/loadgen/rtsp-response-reader";

export class RtspConn {
  private readonly reader = new RtspResponseReader();
  private cseq = 0;
  private waiting: { cseq: number; done: (r: RtspResponse | Error) => void } | undefined;
  session: string | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      let items;
      try {
        items = this.reader.push(chunk);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const it of items) {
        if (it.kind !== "response" || !this.waiting) continue; // interleaved frames: not asked for
        if (Number(it.response.headers.get("cseq")) === this.waiting.cseq) this.waiting.done(it.response);
      }
    });
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  static open(url: string, timeoutMs = 3000): Promise<RtspConn> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const s = connect({ host: u.hostname, port: Number(u.port || 554) });
      const timer = setTimeout(() => (s.destroy(), reject(new Error("connect timed out"))), timeoutMs);
      s.once("error", (e) => (clearTimeout(timer), reject(e)));
      s.once("connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        resolve(new RtspConn(s));
      });
    });
  }

  private fail(e: Error): void {
    this.closed = true;
    this.waiting?.done(e);
  }

  /** Sends a request; resolves with the response (any status), rejects on timeout or a dead connection. */
  request(method: string, url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<RtspResponse> {
    if (this.closed) return Promise.reject(new Error(`${method}: connection closed`));
    const cseq = ++this.cseq;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${cseq}`, "User-Agent: lvmm-bench"];
    if (this.session) lines.push(`Session: ${this.session}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.waiting?.done(new Error(`${method}: no answer within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = {
        cseq,
        done: (r) => {
          clearTimeout(timer);
          this.waiting = undefined;
          if (r instanceof Error) reject(r);
          else resolve(r);
        },
      };
      this.socket.write(lines.join("\r\n") + "\r\n\r\n");
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** The SETUP URL of the first media in a DESCRIBE answer (Content-Base + a=control). */
export function controlUrl(url: string, describe: RtspResponse): string {
  const base = describe.headers.get("content-base") ?? `${url}/`;
  const control = /^a=control:(.+)$/m.exec(describe.body.toString("utf8").split(/^m=/m)[1] ?? "")?.[1]?.trim() ?? "trackID=0";
  return /^rtsp:\/\//i.test(control) ? control : base.replace(/\/?$/, "/") + control;
}

/** True once a DESCRIBE of `url` is answered 200 (the server is up and has the clip). */
export async function describes(url: string): Promise<boolean> {
  let c: RtspConn | undefined;
  try {
    c = await RtspConn.open(url, 1000);
    return (await c.request("DESCRIBE", url, { Accept: "application/sdp" }, 2000)).status === 200;
  } catch {
    return false;
  } finally {
    c?.close();
  }
}
