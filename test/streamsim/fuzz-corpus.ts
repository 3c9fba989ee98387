// A generated corpus of malformed RTSP requests: seeded mutations of valid requests, each
// built so that it cannot be a valid request (every one must get an error response).

/** mulberry32: small seeded PRNG so failures reproduce */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  kind: string;
  bytes: Buffer;
}

export interface CorpusContext {
  url: string;
  track: string;
  /** a live session id, so PLAY mutations reach the Range parser */
  session: string;
}

export function fuzzCorpus(ctx: CorpusContext, seed = 2326): FuzzCase[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const valid = [
    `OPTIONS ${ctx.url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: fuzz\r\n\r\n`,
    `DESCRIBE ${ctx.url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n`,
    `SETUP ${ctx.track} RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
    `PLAY ${ctx.url} RTSP/1.0\r\nCSeq: 4\r\nSession: ${ctx.session}\r\nRange: npt=0-\r\n\r\n`,
    `GET_PARAMETER ${ctx.url} RTSP/1.0\r\nCSeq: 5\r\nSession: ${ctx.session}\r\n\r\n`,
    `SET_PARAMETER ${ctx.url} RTSP/1.0\r\nCSeq: 6\r\nContent-Length: 0\r\n\r\n`,
  ];
  const headEnd = (s: string) => s.indexOf("\r\n\r\n");
  const CTLS = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0x7f];
  const insert = (s: string, at: number, what: Buffer) => Buffer.concat([Buffer.from(s.slice(0, at), "latin1"), what, Buffer.from(s.slice(at), "latin1")]);
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const gens: Record<string, () => Buffer> = {
    // cut inside the header section: the request never completes before EOF
    truncation: () => {
      const v = pick(valid);
      return Buffer.from(v.slice(0, 1 + int(headEnd(v) + 1)), "latin1");
    },
    // control bytes inside the request line or a header
    garbage: () => {
      const v = pick(valid);
      const n = 1 + int(4);
      return insert(v, int(headEnd(v)), Buffer.from(Array.from({ length: n }, () => pick(CTLS))));
    },
    nul: () => {
      const v = pick(valid);
      return insert(v, int(headEnd(v)), Buffer.from([0]));
    },
    hugeHeader: () => {
      const v = pick(valid);
      return Buffer.from(v.replace("\r\n\r\n", `\r\nX-Big: ${"A".repeat(8200 + int(4000))}\r\n\r\n`), "latin1");
    },
    manyHeaders: () => {
      const v = pick(valid);
      const extra = Array.from({ length: 65 + int(40) }, (_, i) => `X-H${i}: ${i}\r\n`).join("");
      return Buffer.from(v.replace("\r\n\r\n", `\r\n${extra}\r\n`), "latin1");
    },
    badCseq: () => {
      const v = pick(valid);
      const bad = pick(["abc", "-1", "", "1.5", "99999999999", "0x10", "1 2", "１"]);
      return Buffer.from(v.replace(/CSeq: \d+/, `CSeq: ${bad}`), "utf8");
    },
    missingCseq: () => Buffer.from(pick(valid).replace(/CSeq: \d+\r\n/, ""), "latin1"),
    badTransport: () => {
      const p = int(70000);
      const bad = pick([
        `RTP/AVP;unicast;client_port=${p}-abc`,
        "RTP/AVP;multicast",
        `RTP/SAVP;unicast;client_port=${p % 60000}-${(p % 60000) + 1}`,
        "RAW/RAW/UDP;unicast",
        "RTP/AVP/UDP;unicast",
        `RTP/AVP;unicast;client_port=${70000 + p}-${70001 + p}`,
        `RTP/AVP/TCP;unicast;interleaved=${256 + (p % 500)}-${257 + (p % 500)}`,
        "",
        "RTP",
        "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
        "RTP/AVP/SCTP;unicast;client_port=5000-5001",
        `${"x".repeat(1 + int(50))}/;;;=`,
      ]);
      return Buffer.from(`SETUP ${ctx.track} RTSP/1.0\r\nCSeq: 7\r\nTransport: ${bad}\r\n\r\n`, "latin1");
    },
    badRange: () => {
      const bad = pick([
        "npt=abc-",
        "npt=-",
        "npt=5-3",
        "npt=",
        "smpte=0:00:00-",
        "clock=19961108T142300Z-",
        `npt=${99999 + int(1000)}-`,
        "npt=1:99:00-",
        "bytes=0-100",
        "npt=now-now",
        "npt=1.2.3-",
        `npt=${"9".repeat(20)}-`,
        "npt 0-",
      ]);
      return Buffer.from(`PLAY ${ctx.url} RTSP/1.0\r\nCSeq: 8\r\nSession: ${ctx.session}\r\nRange: ${bad}\r\n\r\n`, "latin1");
    },
    // line ends lost: the header section never ends
    missingCrlf: () => {
      const v = pick(valid);
      const how = int(3);
      const s = how === 0 ? v.replace(/\r\n\r\n$/, "\r\n") : how === 1 ? v.replace(/\r\n/g, "") : v.replace(/\r\n/g, "\r");
      return Buffer.from(s, "latin1");
    },
    badVersion: () => Buffer.from(pick(valid).replace("RTSP/1.0", pick(["RTSP/2.0", "HTTP/1.1", "RTSP/1.0x", "rtsp/1.0", "RTSP/", "RTSP/1.0 extra"])), "latin1"),
    badContentLength: () => {
      const cl = pick(["abc", "-5", "10000000", "1, 2", "99999999999", "5"]);
      return Buffer.from(`SET_PARAMETER ${ctx.url} RTSP/1.0\r\nCSeq: 9\r\nContent-Length: ${cl}\r\n\r\nab`, "latin1");
    },
    longUri: () => Buffer.from(`DESCRIBE rtsp://127.0.0.1/${"u".repeat(2100 + int(3000))} RTSP/1.0\r\nCSeq: 10\r\n\r\n`, "latin1"),
    badUri: () => Buffer.from(`DESCRIBE ${pick(["not a url", "http://x/clip", "rtsp://[::1", "rtsp://h/%zz", "/clip"])} RTSP/1.0\r\nCSeq: 11\r\n\r\n`.replace("not a url", "not-a-url"), "latin1"),
    binary: () => {
      const b = randomBytes(1 + int(3000));
      // first byte neither "$" (an interleaved frame is not a request) nor CR/LF (skipped)
      if (b[0] === 0x24 || b[0] === 0x0a || b[0] === 0x0d) b[0] = 0x01;
      return b;
    },
  };
  const out: FuzzCase[] = [];
  const kinds = Object.keys(gens);
  for (let i = 0; i < 40 * kinds.length; i++) {
    const kind = kinds[i % kinds.length]!;
    out.push({ kind, bytes: gens[kind]!() });
  }
  return out;
}
