// One RTSP client connection: frames its bytes into requests with RtspRequestParser, answers
// them in order (pipelined requests are answered one at a time), carries interleaved frames
// both ways, and applies the connection policy for malformed input:
//   - framable but malformed request: error response, connection stays open;
//   - unframable input (header section too large, bad Content-Length, cut off at end of
//     stream): error response, then the connection is closed.
import type { Socket } from "node:net";
import { RTP_CLOCK_HZ } from "../content/hint-index";
import { readReceptionReports } from "../delivery/rtcp";
import type { SessionTable } from "../management/session-table";
import { RtspRequestParser, type ParsedItem, type ParserLimits } from "../rtsp/parser";
import { serializeResponse, type RtspResponse } from "../rtsp/response";
import type { RtspMethods } from "./rtsp-methods";

/** stop reading from a client that pipelines faster than we answer */
const MAX_QUEUED_ITEMS = 64;
/** how long a closing connection may take to flush before it is destroyed */
const CLOSE_GRACE_MS = 2000;

export interface ConnectionHooks {
  countResponse(status: number): void;
  closed(conn: RtspConnection): void;
}

export class RtspConnection {
  private readonly parser: RtspRequestParser;
  private readonly queue: ParsedItem[] = [];
  private draining = false;
  private closing = false;
  private peerEnded = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly methods: RtspMethods,
    private readonly sessions: SessionTable,
    limits: ParserLimits,
    idleTimeoutMs: number,
    private readonly hooks: ConnectionHooks,
  ) {
    this.parser = new RtspRequestParser(limits);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.enqueue(this.parser.push(chunk)));
    socket.on("end", () => {
      this.peerEnded = true;
      this.enqueue(this.parser.end());
      if (this.queue.length === 0 && !this.draining) this.close();
    });
    socket.on("error", () => {}); // 'close' follows
    socket.on("close", () => this.hooks.closed(this));
    // A connection with no session that stays quiet this long is dropped; sessions keep their own timeout.
    // (Node fires a socket timeout once per idle period, so it is re-armed while sessions live.)
    const onIdle = () => {
      if (this.sessions.byConnection(this.id).length === 0) socket.destroy();
      else socket.setTimeout(idleTimeoutMs, onIdle);
    };
    socket.setTimeout(idleTimeoutMs, onIdle);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? "unknown";
  }

  private get origin() {
    return {
      connectionId: this.id,
      remoteAddress: this.remoteAddress.replace(/^::ffff:/, ""),
      localAddress: (this.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      writeFrame: (frame: Buffer) => this.writeFrame(frame),
      queuedBytes: () => this.socket.writableLength,
    };
  }

  writeFrame(frame: Buffer): boolean {
    if (this.closing || this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(frame);
    return true;
  }

  private enqueue(items: ParsedItem[]): void {
    if (this.closing) return;
    this.queue.push(...items);
    if (this.queue.length > MAX_QUEUED_ITEMS) this.socket.pause();
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.closing) {
        const item = this.queue.shift()!;
        if (this.queue.length < MAX_QUEUED_ITEMS / 4 && this.socket.isPaused()) this.socket.resume();
        await this.process(item);
      }
    } finally {
      this.draining = false;
    }
    if (this.peerEnded && !this.closing) this.close();
  }

  private async process(item: ParsedItem): Promise<void> {
    switch (item.kind) {
      case "interleaved":
        return this.interleavedFromClient(item.channel, item.payload);
      case "error":
        this.respond({ status: item.error.status, headers: { ...item.error.headers } }, item.cseq);
        if (item.fatal) this.close();
        return;
      case "request": {
        const { response, cseq } = await this.methods.handle(item.request, this.origin);
        this.respond(response, cseq);
        return;
      }
    }
  }

  /** RTCP from the client over TCP (RFC 2326 §10.12): receiver reports for loss and jitter. */
  private interleavedFromClient(channel: number, payload: Buffer): void {
    const s = this.sessions.byConnection(this.id).find((x) => x.transport.interleaved?.[1] === channel);
    if (!s) return;
    const now = Date.now();
    for (const r of readReceptionReports(payload)) if (r.sourceSsrc === s.ssrc) this.sessions.applyReport(s.id, r, RTP_CLOCK_HZ, now);
  }

  private respond(res: RtspResponse, cseq: string | undefined): void {
    this.hooks.countResponse(res.status);
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(serializeResponse(res, cseq));
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.queue.length = 0;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
