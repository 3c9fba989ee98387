// The one error type of the packet codec. Parsers return it (they never throw); builders throw
// it for arguments they cannot encode. `code` is for programs, `message` for people.

export type PacketLayer = "ethernet" | "arp" | "ipv4" | "udp" | "address";

export type PacketErrorCode =
  /** The input ends before the header or the length a header field promises. */
  | "truncated"
  /** A field holds a value this codec does not accept (bad version, length, hardware type...). */
  | "malformed"
  /** A checksum does not verify (only when the caller asked for verification). */
  | "bad-checksum"
  /** The packet is well formed but uses a feature the codec does not decode (IPv4 fragments). */
  | "unsupported"
  /** A builder argument is out of range: address syntax, port, payload size. */
  | "invalid-argument";

export class PacketError extends Error {
  constructor(
    readonly code: PacketErrorCode,
    readonly layer: PacketLayer,
    message: string,
  ) {
    super(`${layer}: ${message}`);
    this.name = "PacketError";
  }
}

export function isPacketError(v: unknown): v is PacketError {
  return v instanceof PacketError;
}
