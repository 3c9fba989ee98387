// The server's RTP/RTCP UDP socket pair: RTP on an even port, RTCP on the next (RFC 3550 §11).
import { createSocket, type Socket, type SocketOptions } from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { isIPv4 } from "node:net";

export interface UdpPortPair {
  rtp: Socket;
  rtcp: Socket;
  ports: [number, number];
}

function bind(sock: Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    sock.once("error", onError);
    sock.bind(port, host, () => {
      sock.off("error", onError);
      resolve();
    });
  });
}

/**
 * dgram resolves every destination before it sends, and its default resolver answers even a
 * literal address on the next tick: a deferred call per packet, and the packet left after the
 * code that sent it had already taken its departure time. Literal IPv4 addresses (every client
 * the server sends to) are answered at once, so a send happens where it is called.
 */
const literalFirst: SocketOptions["lookup"] = (address, options, cb) => {
  if (isLiteral(address)) cb(null, address, 4);
  else dnsLookup(address, options, cb);
};

/**
 * Addresses known to be literal IPv4: isIPv4 is a regular expression match, an allocation per
 * packet sent (every packet is looked up). Bounded: a server's clients come and go.
 */
const literals = new Set<string>();
function isLiteral(address: string): boolean {
  if (literals.has(address)) return true;
  if (!isIPv4(address)) return false;
  if (literals.size >= 4096) literals.clear();
  literals.add(address);
  return true;
}

const closeQuietly = (s: Socket) => {
  try {
    s.close();
  } catch {
    // already closed
  }
};

/** Binds a pair on `host`; `rtpPort` 0 picks a free even port. */
export async function bindUdpPortPair(host: string, rtpPort = 0, attempts = 32): Promise<UdpPortPair> {
  if (rtpPort % 2 !== 0) throw new RangeError(`RTP port ${rtpPort} must be even (RFC 3550 §11)`);
  let lastErr: unknown;
  for (let a = 0; a < (rtpPort === 0 ? attempts : 1); a++) {
    const rtp = createSocket({ type: "udp4", lookup: literalFirst });
    const rtcp = createSocket({ type: "udp4", lookup: literalFirst });
    try {
      await bind(rtp, rtpPort, host);
      const p = rtp.address().port;
      if (p % 2 !== 0) throw new Error("odd port");
      await bind(rtcp, p + 1, host);
      return { rtp, rtcp, ports: [p, p + 1] };
    } catch (err) {
      lastErr = err;
      closeQuietly(rtp);
      closeQuietly(rtcp);
    }
  }
  throw new Error(`cannot bind an RTP/RTCP UDP port pair on ${host}: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}`);
}

export function closeUdpPortPair(pair: UdpPortPair): void {
  closeQuietly(pair.rtp);
  closeQuietly(pair.rtcp);
}
