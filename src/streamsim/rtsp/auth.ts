// Basic and Digest access authentication for RTSP (RFC 2617; RFC 2326 §D.2 uses HTTP's scheme).
// Digest uses MD5 with an optional qop=auth; nonces are stateless (expiry time + HMAC), so a
// nonce past its expiry is answered with stale=TRUE and the client retries without a prompt.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type AuthScheme = "basic" | "digest";

export interface AuthOptions {
  users: Readonly<Record<string, string>>;
  realm?: string;
  /** offered in this order; default ["digest"] (Basic sends the password in clear) */
  schemes?: readonly AuthScheme[];
  nonceTtlSec?: number;
}

export type AuthResult = { ok: true; user: string } | { ok: false; why: string; challenges: string[] };

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses the auth-param list of a Digest credentials line (RFC 2617 §3.2.2). */
export function parseAuthParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m[0] !== "") {
    out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? ""));
  }
  return out;
}

export class RtspAuthenticator {
  private readonly realm: string;
  private readonly schemes: readonly AuthScheme[];
  private readonly ttlMs: number;
  private readonly secret = randomBytes(32);

  constructor(
    private readonly opts: AuthOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.realm = opts.realm ?? "streamsim";
    this.schemes = opts.schemes ?? ["digest"];
    this.ttlMs = (opts.nonceTtlSec ?? 60) * 1000;
  }

  private sign(expiry: string): string {
    return createHmac("sha256", this.secret).update(expiry).digest("hex").slice(0, 32);
  }

  makeNonce(): string {
    const expiry = (this.now() + this.ttlMs).toString(16);
    return `${expiry}${this.sign(expiry)}`;
  }

  /** "valid" | "stale" (genuine but expired) | "forged" */
  private checkNonce(nonce: string): "valid" | "stale" | "forged" {
    const m = /^([0-9a-f]{1,13})([0-9a-f]{32})$/.exec(nonce);
    if (!m || !safeEqual(this.sign(m[1]!), m[2]!)) return "forged";
    return parseInt(m[1]!, 16) < this.now() ? "stale" : "valid";
  }

  private challenges(stale = false): string[] {
    return this.schemes.map((s) => (s === "basic" ? `Basic realm="${this.realm}"` : `Digest realm="${this.realm}", nonce="${this.makeNonce()}", algorithm=MD5${stale ? ", stale=TRUE" : ""}`));
  }

  check(method: string, uri: string, authorization: string | undefined): AuthResult {
    const deny = (why: string, stale = false): AuthResult => ({ ok: false, why, challenges: this.challenges(stale) });
    if (authorization === undefined) return deny("authorization required");
    const sp = authorization.indexOf(" ");
    const scheme = (sp < 0 ? authorization : authorization.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? "" : authorization.slice(sp + 1).trim();

    if (scheme === "basic" && this.schemes.includes("basic")) {
      const decoded = Buffer.from(rest, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return deny("malformed Basic credentials");
      const user = decoded.slice(0, colon);
      const pass = this.opts.users[user];
      if (pass === undefined || !Object.hasOwn(this.opts.users, user) || !safeEqual(pass, decoded.slice(colon + 1))) return deny("bad user or password");
      return { ok: true, user };
    }
    if (scheme === "digest" && this.schemes.includes("digest")) {
      const p = parseAuthParams(rest);
      const user = p.get("username");
      const nonce = p.get("nonce");
      const response = p.get("response");
      const dUri = p.get("uri");
      if (user === undefined || nonce === undefined || response === undefined || dUri === undefined) return deny("incomplete Digest credentials");
      if (p.get("realm") !== this.realm) return deny("wrong realm");
      const alg = p.get("algorithm");
      if (alg !== undefined && alg.toUpperCase() !== "MD5") return deny(`unsupported algorithm ${alg}`);
      if (dUri !== uri) return deny("digest uri does not match the Request-URI");
      const pass = Object.hasOwn(this.opts.users, user) ? this.opts.users[user] : undefined;
      const nonceState = this.checkNonce(nonce);
      if (nonceState === "forged") return deny("unknown nonce");
      if (pass === undefined) return deny("bad user or password");
      const ha1 = md5(`${user}:${this.realm}:${pass}`);
      const ha2 = md5(`${method}:${dUri}`);
      const qop = p.get("qop");
      const expected = qop === undefined ? md5(`${ha1}:${nonce}:${ha2}`) : md5(`${ha1}:${nonce}:${p.get("nc") ?? ""}:${p.get("cnonce") ?? ""}:${qop}:${ha2}`);
      if (!safeEqual(expected, response.toLowerCase())) return deny("bad user or password");
      if (nonceState === "stale") return deny("nonce expired", true);
      return { ok: true, user };
    }
    return deny(`unsupported scheme ${scheme}`);
  }
}
