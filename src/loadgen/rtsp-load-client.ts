// One simulated RTSP client of the load generator: DESCRIBE, SETUP (RTP over UDP to its own
// port pair, or interleaved in the RTSP connection), PLAY, then counts RTP packets, sends RTCP
// receiver reports (so the server's session table shows its loss), plays the content again
// when the server says BYE, and TEARDOWNs when stopped. Lightweight: no decoding.
import { connect, type Socket } from "node:net";
import { bindUdpPortPair, closeUdpPortPair, type UdpPortPair } from "../streamsim/delivery/udp-port-pair";
import { ReceptionStats, readSenderRtcp } from "./reception";
import { RtspResponseReader, type RtspResponse } from "./rtsp-response-reader";

export type LoadTransport = "udp" | "tcp";
export type ClientState = "connecting" | "playing" | "stopped" | "failed";

export interface RtspLoadClientOptions {
  transport: LoadTransport;
  /** RTCP receiver report interval; default 2000 ms */
  reportIntervalMs?: number;
  /** per-request timeout; default 5000 ms */
  requestTimeoutMs?: number;
}

const CLOCK_HZ = 90_000; // MP2T over RTP (RFC 3551: payload type 33)
const USER_AGENT = "lvmm-loadgen/0.1";

export class RtspLoadClient {
  state: ClientState = "connecting";
  error: string | undefined;
  /** times the client played the content again after a BYE */
  replays = 0;
  readonly rx = new ReceptionStats();
  private socket: Socket | undefined;
  private udp: UdpPortPair | undefined;
  private readonly reader = new RtspResponseReader();
  private cseq = 0;
  private readonly waiting = new Map<number, { resolve: (r: RtspResponse) => void; reject: (e: Error) => void }>();
  private readonly pendingMethod = new Map<number, string>();
  private session: string | undefined;
  private controlUrl = "";
  private rtcpChannel = 1;
  private rtpChannel = 0;
  private serverRtcpPort = 0;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private stopping = false;

  constructor(
    readonly url: string,
    private readonly o: RtspLoadClientOptions,
  ) {}

  /** Connects and plays; resolves once PLAY is answered (rejects, and state is "failed", if not). */
  async start(): Promise<void> {
    try {
      const u = new URL(this.url);
      await this.connect(u.hostname, Number(u.port || 554));
      const desc = await this.request("DESCRIBE", this.url, { Accept: "application/sdp" });
      const base = desc.headers.get("content-base") ?? `${this.url}/`;
      const control = /^a=control:(.+)$/m.exec(desc.body.toString("utf8").split(/^m=/m)[1] ?? "")?.[1]?.trim() ?? "trackID=0";
      this.controlUrl = /^rtsp:\/\//i.test(control) ? control : base.replace(/\/?$/, "/") + control;
      let transport: string;
      if (this.o.transport === "udp") {
        this.udp = await bindUdpPortPair("127.0.0.1");
        this.udp.rtp.on("message", (m) => this.onRtp(m));
        this.udp.rtcp.on("message", (m) => this.onRtcp(m));
        transport = `RTP/AVP;unicast;client_port=${this.udp.ports[0]}-${this.udp.ports[1]}`;
      } else transport = "RTP/AVP/TCP;unicast;interleaved=0-1";
      const setup = await this.request("SETUP", this.controlUrl, { Transport: transport });
      this.session = setup.headers.get("session")?.split(";")[0]?.trim();
      if (!this.session) throw new Error("SETUP reply without a Session header");
      const reply = setup.headers.get("transport") ?? "";
      const serverPort = /server_port=(\d+)-(\d+)/.exec(reply);
      if (serverPort) this.serverRtcpPort = Number(serverPort[2]);
      const channels = /interleaved=(\d+)-(\d+)/.exec(reply);
      if (channels) [this.rtpChannel, this.rtcpChannel] = [Number(channels[1]), Number(channels[2])];
      if (this.o.transport === "udp" && !this.serverRtcpPort) throw new Error(`SETUP reply names no server_port: ${reply}`);
      await this.request("PLAY", this.url, { Range: "npt=0.000-" });
      if (this.stopping) return;
      this.state = "playing";
      this.reportTimer = setInterval(() => this.sendReport(), this.o.reportIntervalMs ?? 2000);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private connect(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      this.socket = s;
      s.setNoDelay(true);
      s.once("connect", () => {
        s.off("error", reject);
        s.on("error", (e) => this.fail(`RTSP connection: ${e.message}`));
        resolve();
      });
      s.once("error", reject);
      s.on("data", (chunk: Buffer) => this.onData(chunk));
      s.on("close", () => {
        if (!this.stopping) this.fail("the server closed the RTSP connection");
      });
    });
  }

  private onData(chunk: Buffer): void {
    let items;
    try {
      items = this.reader.push(chunk);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    for (const it of items) {
      if (it.kind === "frame") {
        if (it.channel === this.rtpChannel) this.onRtp(it.payload);
        else if (it.channel === this.rtcpChannel) this.onRtcp(it.payload);
        continue;
      }
      const cseq = Number(it.response.headers.get("cseq"));
      const w = this.waiting.get(cseq);
      if (!w) continue;
      this.waiting.delete(cseq);
      if (it.response.status === 200) w.resolve(it.response);
      else w.reject(new Error(`${this.pendingMethod.get(cseq) ?? "request"}: ${it.response.status} ${it.response.reason}`));
      this.pendingMethod.delete(cseq);
    }
  }

  private request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.reject(new Error(`${method}: not connected`));
    const cseq = ++this.cseq;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${USER_AGENT}`];
    if (this.session) lines.push(`Session: ${this.session}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    s.write(lines.join("\r\n") + "\r\n\r\n");
    this.pendingMethod.set(cseq, method);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(cseq);
        reject(new Error(`${method}: no answer within ${(this.o.requestTimeoutMs ?? 5000) / 1000} s`));
      }, this.o.requestTimeoutMs ?? 5000);
      this.waiting.set(cseq, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  private onRtp(pkt: Buffer): void {
    this.rx.onRtp(pkt, performance.timeOrigin + performance.now(), CLOCK_HZ);
  }

  private onRtcp(pkt: Buffer): void {
    const r = readSenderRtcp(pkt);
    if (r.sr) this.rx.onSenderReport(r.sr.ntpSec, r.sr.ntpFrac, performance.now());
    if (r.bye && this.state === "playing" && !this.stopping) {
      // the content ended: play it again from the start, as a looping viewer would
      this.replays++;
      this.request("PLAY", this.url, { Range: "npt=0.000-" }).catch((e: Error) => this.fail(e.message));
    }
  }

  private sendReport(): void {
    const rr = this.rx.receiverReport(this.ssrc, performance.now());
    if (!rr) return;
    if (this.o.transport === "udp") {
      const host = new URL(this.url).hostname;
      this.udp?.rtcp.send(rr, this.serverRtcpPort, host);
    } else if (this.socket && !this.socket.destroyed) {
      const head = Buffer.from([0x24, this.rtcpChannel, 0, 0]);
      head.writeUInt16BE(rr.length, 2);
      this.socket.write(Buffer.concat([head, rr]));
    }
  }

  private fail(why: string): void {
    if (this.state === "failed" || this.state === "stopped") return;
    this.state = "failed";
    this.error = why;
    this.release();
  }

  private release(): void {
    clearInterval(this.reportTimer);
    for (const w of this.waiting.values()) w.reject(new Error("the client stopped"));
    this.waiting.clear();
    this.socket?.destroy();
    if (this.udp) closeUdpPortPair(this.udp);
    this.udp = undefined;
  }

  /** TEARDOWN (waits up to 1 s for the reply) and closes everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.state !== "failed") {
      if (this.session && this.socket && !this.socket.destroyed) {
        await Promise.race([this.request("TEARDOWN", this.url).catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      }
      this.state = "stopped";
    }
    this.release();
  }
}
