// The GDB Remote Serial Protocol's framing (gdb manual, "Overview" of the remote protocol):
// `$payload#cs` packets with a two-hex-digit modulo-256 checksum, `+`/`-` acknowledgements,
// and the out-of-band 0x03 byte that interrupts a running target. Payload bytes `$ # } *` are
// escaped as `}` followed by the byte XOR 0x20. Nothing here knows the machine.

/** What the reader found in the byte stream, in order. */
export type RspEvent =
  /** A well-formed packet's payload (binary data unescaped by the handler that expects it). */
  | { kind: "packet"; data: Buffer }
  /** A packet whose checksum did not match (the sender is asked to resend it). */
  | { kind: "bad-checksum"; data: Buffer }
  /** The interrupt byte (Ctrl-C) outside a packet. */
  | { kind: "interrupt" }
  | { kind: "ack" }
  | { kind: "nack" };

/** Longest packet accepted (the PacketSize the stub advertises, in bytes of payload). */
export const MAX_PACKET = 0x4000;

export function checksum(data: Buffer | string): number {
  const b = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  let s = 0;
  for (const x of b) s = (s + x) & 0xff;
  return s;
}

/** Frames a payload (a latin1 string or bytes), escaping the bytes the protocol reserves. */
export function frame(payload: string | Buffer): Buffer {
  const raw = typeof payload === "string" ? Buffer.from(payload, "latin1") : payload;
  const out: number[] = [];
  for (const x of raw) {
    if (x === 0x23 || x === 0x24 || x === 0x7d || x === 0x2a) out.push(0x7d, x ^ 0x20);
    else out.push(x);
  }
  const body = Buffer.from(out);
  return Buffer.concat([Buffer.from("$"), body, Buffer.from(`#${checksum(body).toString(16).padStart(2, "0")}`)]);
}

/** Undoes the `}` escapes of binary data (X packets, vFile). */
export function unescapeBinary(data: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x === 0x7d && i + 1 < data.length) out.push(data[++i]! ^ 0x20);
    else out.push(x);
  }
  return Buffer.from(out);
}

/**
 * Splits a byte stream into events. Garbage outside packets is skipped; a packet longer than
 * MAX_PACKET, or one whose checksum is not two hex digits, counts as a bad checksum.
 */
export class RspReader {
  private state: "idle" | "body" | "sum1" | "sum2" = "idle";
  private body: number[] = [];
  private sum = "";
  private overflow = false;

  feed(chunk: Buffer): RspEvent[] {
    const events: RspEvent[] = [];
    for (const x of chunk) {
      switch (this.state) {
        case "idle":
          if (x === 0x24) {
            this.state = "body";
            this.body = [];
            this.overflow = false;
          } else if (x === 0x03) events.push({ kind: "interrupt" });
          else if (x === 0x2b) events.push({ kind: "ack" });
          else if (x === 0x2d) events.push({ kind: "nack" });
          break;
        case "body":
          if (x === 0x23) {
            this.state = "sum1";
            this.sum = "";
          } else if (x === 0x24) {
            this.body = []; // a new packet starts: the unfinished one is dropped
            this.overflow = false;
          } else if (this.body.length < MAX_PACKET) this.body.push(x);
          else this.overflow = true;
          break;
        case "sum1":
        case "sum2": {
          this.sum += String.fromCharCode(x);
          if (this.state === "sum1") {
            this.state = "sum2";
            break;
          }
          this.state = "idle";
          const data = Buffer.from(this.body);
          const ok = /^[0-9a-fA-F]{2}$/.test(this.sum) && parseInt(this.sum, 16) === checksum(data) && !this.overflow;
          events.push({ kind: ok ? "packet" : "bad-checksum", data });
          break;
        }
      }
    }
    return events;
  }
}

// ---- hex helpers ---------------------------------------------------------------------------

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Parses an even-length hex string; undefined when it is not one. */
export function fromHex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, "hex");
}

/** A 32-bit value as gdb's little-endian register bytes. */
export function le32(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b.toString("hex");
}

/** A hex number of a packet (an address, a length); undefined when it is not one. */
export function hexNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  const n = parseInt(text, 16);
  return Number.isSafeInteger(n) ? n : undefined;
}
