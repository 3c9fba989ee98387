// Translates RTSP requests into session-table changes and delivery-backend commands: one
// method per RTSP method, as mock-debug does for DAP requests. Knows nothing of sockets.
import { randomBytes, randomInt } from "node:crypto";
import { ContentCatalog, type ContentItem } from "../content/catalog";
import { HintIndexError } from "../content/hint-index";
import type { DeliveryBackend, DeliveryTarget } from "../delivery/backend";
import type { AdmissionControl } from "../management/admission";
import { emptyCounters, type SessionRecord, type SessionTable } from "../management/session-table";
import { RtspAuthenticator } from "../rtsp/auth";
import { badState, notFound, RtspError, sessionNotFound } from "../rtsp/errors";
import { formatRange, formatSession, formatTransport, parseCSeq, parseRange, parseRate, parseSession, parseTransport, type TransportSpec } from "../rtsp/headers";
import type { RtspRequest } from "../rtsp/parser";
import type { RtspResponse } from "../rtsp/response";
import { RtspStatus } from "../rtsp/status";
import { parseRequestTarget, type RequestTarget } from "./request-target";
import { describeContent, TRACK_CONTROL } from "./sdp";

/** The RTSP connection a request came in on, as the methods see it. */
export interface RequestOrigin {
  connectionId: number;
  remoteAddress: string;
  localAddress: string;
  writeFrame: (frame: Buffer) => boolean;
  queuedBytes: () => number;
}

export interface RtspMethodsConfig {
  sessionTimeoutSec: number;
  retryAfterSec: number;
  auth?: RtspAuthenticator;
}

const SUPPORTED = ["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"] as const;
/** RTSP methods we know but do not offer: 405 with Allow, not 501 */
const KNOWN_UNSUPPORTED = new Set(["ANNOUNCE", "RECORD", "REDIRECT"]);

type Handler = (req: RtspRequest, origin: RequestOrigin) => Promise<RtspResponse>;

export class RtspMethods {
  private readonly handlers: Record<(typeof SUPPORTED)[number], Handler> = {
    OPTIONS: (r, o) => this.options(r, o),
    DESCRIBE: (r, o) => this.describe(r, o),
    SETUP: (r, o) => this.setup(r, o),
    PLAY: (r, o) => this.play(r, o),
    PAUSE: (r, o) => this.pause(r, o),
    TEARDOWN: (r, o) => this.teardown(r, o),
    GET_PARAMETER: (r, o) => this.getParameter(r, o),
    SET_PARAMETER: (r, o) => this.setParameter(r, o),
  };
  /** interleaved channel pairs in use, per connection */
  private readonly channels = new Map<number, Set<number>>();

  constructor(
    private readonly catalog: ContentCatalog,
    private readonly sessions: SessionTable,
    private readonly admission: AdmissionControl,
    private readonly backend: DeliveryBackend,
    private readonly cfg: RtspMethodsConfig,
    private readonly log: (msg: string) => void,
  ) {}

  /** Answers one request. Never throws: every failure becomes a response. */
  async handle(req: RtspRequest, origin: RequestOrigin): Promise<{ response: RtspResponse; cseq?: string }> {
    let cseq: string | undefined;
    try {
      cseq = String(parseCSeq(req.headers.get("cseq")));
      const handler = (this.handlers as Record<string, Handler | undefined>)[req.method];
      if (!handler) {
        if (KNOWN_UNSUPPORTED.has(req.method)) throw new RtspError(RtspStatus.MethodNotAllowed, `${req.method} is not offered by this server (play-only)`, { Allow: SUPPORTED.join(", ") });
        throw new RtspError(RtspStatus.NotImplemented, `unknown method ${req.method}`, { Public: SUPPORTED.join(", ") });
      }
      const require = req.headers.get("require") ?? req.headers.get("proxy-require");
      if (require !== undefined) throw new RtspError(RtspStatus.OptionNotSupported, `no options are supported: ${require}`, { Unsupported: require });
      if (this.cfg.auth && req.method !== "OPTIONS") {
        const a = this.cfg.auth.check(req.method, req.uri, req.headers.get("authorization"));
        if (!a.ok) throw new RtspError(RtspStatus.Unauthorized, a.why, { "WWW-Authenticate": a.challenges });
      }
      return { response: await handler(req, origin), cseq };
    } catch (err) {
      if (err instanceof RtspError) {
        if (err.status >= 500) this.log(`${req.method} ${req.uri}: ${err.status} ${err.message}`);
        return { response: { status: err.status, headers: { ...err.headers } }, ...(cseq === undefined ? {} : { cseq }) };
      }
      this.log(`${req.method} ${req.uri}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return { response: { status: RtspStatus.InternalServerError }, ...(cseq === undefined ? {} : { cseq }) };
    }
  }

  // ---- helpers ----

  private requireBackend(): void {
    if (!this.backend.isUp()) throw new RtspError(RtspStatus.ServiceUnavailable, `delivery backend ${this.backend.kind} is down`, { "Retry-After": String(this.cfg.retryAfterSec) });
  }

  private async content(target: RequestTarget): Promise<ContentItem> {
    if (target.content === "*") throw notFound("*");
    let item: ContentItem | undefined;
    try {
      item = await this.catalog.lookup(target.content);
    } catch (err) {
      if (err instanceof HintIndexError) throw new RtspError(RtspStatus.InternalServerError, err.message);
      throw err;
    }
    if (!item) throw notFound(target.content);
    return item;
  }

  /** The session a request names, touched; `required` false returns undefined when there is no Session header. */
  private session(req: RtspRequest, method: string, required: boolean): SessionRecord | undefined {
    const raw = req.headers.get("session");
    if (raw === undefined) {
      if (required) throw badState(method, "Init (no Session header: SETUP first)");
      return undefined;
    }
    const { id } = parseSession(raw);
    const s = this.sessions.get(id);
    if (!s) throw sessionNotFound(id);
    s.lastActivity = Date.now();
    return s;
  }

  private sessionHeader(s: SessionRecord): string {
    return formatSession(s.id, s.timeoutSec);
  }

  private checkSameContent(s: SessionRecord, target: RequestTarget): void {
    if (target.content !== s.content) throw new RtspError(RtspStatus.SessionNotFound, `session ${s.id} is for ${s.content}, not ${target.content}`);
  }

  // ---- methods ----

  protected async options(req: RtspRequest, _o: RequestOrigin): Promise<RtspResponse> {
    const raw = req.headers.get("session");
    const s = raw === undefined ? undefined : this.sessions.get(parseSession(raw).id);
    if (s) s.lastActivity = Date.now();
    return { status: RtspStatus.OK, headers: { Public: SUPPORTED.join(", ") } };
  }

  protected async describe(req: RtspRequest, o: RequestOrigin): Promise<RtspResponse> {
    const target = parseRequestTarget(req.uri);
    this.requireBackend();
    const item = await this.content(target);
    return {
      status: RtspStatus.OK,
      headers: { "Content-Type": "application/sdp", "Content-Base": `${target.presentationUrl}/` },
      body: describeContent(item, o.localAddress),
    };
  }

  private chooseTransport(value: string | undefined): TransportSpec {
    if (value === undefined) throw new RtspError(RtspStatus.BadRequest, "SETUP needs a Transport header (RFC 2326 §12.39)");
    for (const t of parseTransport(value)) {
      if (t.profile !== "RTP/AVP" || t.multicast) continue;
      if (t.mode !== undefined && t.mode !== "PLAY") continue;
      if (t.other.some((o) => o.startsWith("lower="))) continue;
      if (t.lower === "UDP" && !t.clientPorts) continue;
      return t;
    }
    throw new RtspError(RtspStatus.UnsupportedTransport, `none of ${JSON.stringify(value.slice(0, 120))} is supported; use RTP/AVP;unicast;client_port=a-b or RTP/AVP/TCP;unicast;interleaved=a-b`);
  }

  private allocChannels(connectionId: number, want?: [number, number]): [number, number] {
    const used = this.channels.get(connectionId) ?? new Set<number>();
    this.channels.set(connectionId, used);
    let pair = want;
    if (!pair || used.has(pair[0]) || used.has(pair[1])) {
      let c = 0;
      while (used.has(c) || used.has(c + 1)) c += 2;
      if (c > 254) throw new RtspError(RtspStatus.UnsupportedTransport, "no free interleaved channels on this connection");
      pair = [c, c + 1];
    }
    used.add(pair[0]);
    used.add(pair[1]);
    return pair;
  }

  private freeChannels(s: SessionRecord): void {
    const used = this.channels.get(s.connectionId);
    if (!used || !s.transport.interleaved) return;
    used.delete(s.transport.interleaved[0]);
    used.delete(s.transport.interleaved[1]);
    if (used.size === 0) this.channels.delete(s.connectionId);
  }

  protected async setup(req: RtspRequest, o: RequestOrigin): Promise<RtspResponse> {
    const target = parseRequestTarget(req.uri);
    if (!target.track) throw new RtspError(RtspStatus.AggregateOperationNotAllowed, `SETUP must name a stream (${target.presentationUrl}/${TRACK_CONTROL}), not the presentation`);
    this.requireBackend();
    const item = await this.content(target);
    const t = this.chooseTransport(req.headers.get("transport"));
    const existing = this.session(req, "SETUP", false);
    if (existing) {
      if (existing.content !== item.name) throw new RtspError(RtspStatus.AggregateOperationNotAllowed, `session ${existing.id} already holds ${existing.content}; one presentation per session`);
      if (existing.started) throw badState("SETUP", "Playing (changing transport after PLAY is not supported)");
    }
    const s: SessionRecord = existing ?? {
      id: randomBytes(8).toString("hex").toUpperCase(),
      connectionId: o.connectionId,
      remoteAddr: o.remoteAddress,
      content: item.name,
      streamUrl: `${target.presentationUrl}/${TRACK_CONTROL}`,
      transport: { lower: "UDP" },
      state: "ready",
      createdAt: Date.now(),
      lastActivity: Date.now(),
      timeoutSec: this.cfg.sessionTimeoutSec,
      reservedBps: 0,
      ssrc: randomInt(1, 2 ** 32 - 1),
      seqBase: randomInt(0, 2 ** 16),
      rtpTimeBase: randomInt(0, 2 ** 32 - 1),
      started: false,
      atEnd: false,
      stats: emptyCounters(),
    };
    if (!existing) {
      if (!this.admission.reserve(item.reserveBps))
        throw new RtspError(RtspStatus.NotEnoughBandwidth, `admitting ${item.reserveBps} bit/s would exceed the backend's ${this.admission.capacityBps} bit/s (${this.admission.reserved} reserved)`);
      s.reservedBps = item.reserveBps;
    }
    this.freeChannels(s);
    // UDP goes to the RTSP peer's own address: a Transport "destination" is ignored so a
    // client cannot aim a stream at a third party (RFC 2326 §12.39 allows refusing it).
    s.transport = t.lower === "TCP" ? { lower: "TCP", interleaved: this.allocChannels(o.connectionId, t.interleaved) } : { lower: "UDP", clientPorts: t.clientPorts! };
    if (!existing) this.sessions.add(s);
    const serverPorts = t.lower === "UDP" ? this.backend.udpServerPorts() : undefined;
    return {
      status: RtspStatus.OK,
      headers: {
        Session: this.sessionHeader(s),
        Transport: formatTransport({
          lower: s.transport.lower,
          ssrc: s.ssrc,
          ...(s.transport.clientPorts ? { clientPorts: s.transport.clientPorts } : {}),
          ...(serverPorts ? { serverPorts } : {}),
          ...(s.transport.interleaved ? { interleaved: s.transport.interleaved } : {}),
        }),
      },
    };
  }

  private deliveryTarget(s: SessionRecord, o: RequestOrigin): DeliveryTarget {
    if (s.transport.lower === "TCP") {
      const [rtpChannel, rtcpChannel] = s.transport.interleaved!;
      return { kind: "interleaved", rtpChannel, rtcpChannel, write: o.writeFrame, queuedBytes: o.queuedBytes };
    }
    const [rtpPort, rtcpPort] = s.transport.clientPorts!;
    return { kind: "udp", address: s.remoteAddr, rtpPort, rtcpPort };
  }

  protected async play(req: RtspRequest, o: RequestOrigin): Promise<RtspResponse> {
    const target = parseRequestTarget(req.uri);
    const s = this.session(req, "PLAY", true)!;
    this.checkSameContent(s, target);
    this.requireBackend();
    for (const h of ["scale", "speed"]) {
      const v = req.headers.get(h);
      if (v !== undefined && parseRate(h, v) !== 1) throw new RtspError(RtspStatus.HeaderFieldNotValidForResource, `${h} ${v}: only normal-rate playback (1) is supported`);
    }
    const item = await this.content({ ...target, content: s.content });
    const rangeRaw = req.headers.get("range");
    const range = rangeRaw === undefined ? undefined : parseRange(rangeRaw);
    const from = range && range.start !== "now" ? range.start : undefined;
    if (from !== undefined && from >= item.durationSec) throw new RtspError(RtspStatus.InvalidRange, `start ${from} s is at or past the end (${item.durationSec.toFixed(3)} s)`);
    const until = range?.end !== undefined && range.end < item.durationSec ? range.end : undefined;

    let pos;
    if (!s.started) {
      // A tear-down could race with this await: re-check the session afterwards.
      pos = await this.backend.start({
        streamId: s.id,
        content: item,
        target: this.deliveryTarget(s, o),
        ssrc: s.ssrc,
        seqBase: s.seqBase,
        rtpTimeBase: s.rtpTimeBase,
        cname: `streamsim@${o.localAddress}`,
        fromSec: from ?? 0,
        ...(until !== undefined ? { untilSec: until } : {}),
      });
      s.started = true;
      if (!this.sessions.get(s.id)) {
        await this.backend.stop(s.id);
        throw sessionNotFound(s.id);
      }
    } else {
      // After the end of the stream a PLAY without a start plays it again from the top.
      if (from !== undefined || until !== undefined || s.atEnd) await this.backend.seek(s.id, from ?? (s.atEnd ? 0 : s.stats.positionSec), until);
      // resumes when paused; when already playing, re-reports where it is
      pos = await this.backend.resume(s.id);
    }
    s.atEnd = false;
    s.state = "playing";
    return {
      status: RtspStatus.OK,
      headers: {
        Session: this.sessionHeader(s),
        Range: formatRange(pos.startSec, until ?? item.durationSec),
        "RTP-Info": `url=${s.streamUrl};seq=${pos.seq};rtptime=${pos.rtptime}`,
      },
    };
  }

  protected async pause(req: RtspRequest, _o: RequestOrigin): Promise<RtspResponse> {
    const target = parseRequestTarget(req.uri);
    const s = this.session(req, "PAUSE", true)!;
    this.checkSameContent(s, target);
    if (s.state !== "playing") throw badState("PAUSE", "Ready");
    const at = await this.backend.pause(s.id);
    s.stats.positionSec = at;
    s.state = "ready";
    return { status: RtspStatus.OK, headers: { Session: this.sessionHeader(s), Range: formatRange(at) } };
  }

  protected async teardown(req: RtspRequest, _o: RequestOrigin): Promise<RtspResponse> {
    const target = parseRequestTarget(req.uri);
    const raw = req.headers.get("session");
    if (raw === undefined) throw new RtspError(RtspStatus.SessionNotFound, "TEARDOWN needs a Session header");
    const s = this.session(req, "TEARDOWN", true)!;
    this.checkSameContent(s, target);
    await this.endSession(s.id, "teardown");
    return { status: RtspStatus.OK, headers: { Session: s.id } };
  }

  protected async getParameter(req: RtspRequest, _o: RequestOrigin): Promise<RtspResponse> {
    const s = this.session(req, "GET_PARAMETER", false);
    const names = req.body
      .toString("utf8")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "");
    const headers = s ? { Session: this.sessionHeader(s) } : {};
    if (names.length === 0) return { status: RtspStatus.OK, headers };
    const lines: string[] = [];
    for (const n of names) {
      if (n === "position" && s) lines.push(`position: ${s.stats.positionSec.toFixed(3)}`);
      else throw new RtspError(RtspStatus.ParameterNotUnderstood, `unknown parameter ${JSON.stringify(n.slice(0, 40))}`);
    }
    return { status: RtspStatus.OK, headers: { ...headers, "Content-Type": "text/parameters" }, body: `${lines.join("\r\n")}\r\n` };
  }

  protected async setParameter(req: RtspRequest, _o: RequestOrigin): Promise<RtspResponse> {
    const s = this.session(req, "SET_PARAMETER", false);
    // An empty SET_PARAMETER is a keep-alive some clients send; there is nothing settable.
    if (req.body.length > 0) throw new RtspError(RtspStatus.ParameterNotUnderstood, "no parameters can be set on this server");
    return { status: RtspStatus.OK, headers: s ? { Session: this.sessionHeader(s) } : {} };
  }

  // ---- session ends ----

  /** Stops delivery, releases bandwidth and forgets the session. */
  async endSession(id: string, why: "teardown" | "timeout" | "disconnect" | "failed" | "shutdown"): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    if (s.started) {
      try {
        await this.backend.stop(id);
      } catch (err) {
        this.log(`stopping ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.sessions.remove(id, why === "timeout");
    this.admission.release(s.reservedBps);
    this.freeChannels(s);
    if (why !== "teardown") this.log(`session ${id} (${s.content}, ${s.remoteAddr}) ended: ${why}`);
  }

  async connectionClosed(connectionId: number): Promise<void> {
    await Promise.all(this.sessions.byConnection(connectionId).map((s) => this.endSession(s.id, "disconnect")));
    this.channels.delete(connectionId);
  }
}
