// Little-endian byte sink and bounds-checked source for the recording codec. The source throws
// only RecordingError, so garbage input can never escape as a RangeError or TypeError.
import { RecordingError, type RecordingErrorCode } from "./format";

export class ByteSink {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  /** `capacity`: bytes to start with (it grows as needed). */
  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Small enough for V8 to inline into every write; the growth is a call of its own. */
  private ensure(n: number): void {
    if (this.length + n > this.buf.length) this.grow(n);
  }
  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v | 0, true);
    this.length += 4;
  }
  /** A non-negative integer below 2^53 as a u64. */
  u64(v: number): void {
    this.ensure(8);
    // Not v % 2^32: on a double (any count past 2^31), V8 calls out to fmod for it.
    const hi = Math.floor(v / 0x100000000);
    this.view.setUint32(this.length, v - hi * 0x100000000, true);
    this.view.setUint32(this.length + 4, hi, true);
    this.length += 8;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /**
   * Makes room for `n` bytes and counts them as written; returns where they start. The caller
   * fills them in through `dataView` (valid until the next write): one capacity check for a
   * whole fixed-layout record instead of one per field.
   */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.length;
    this.length = at + n;
    return at;
  }
  get dataView(): DataView {
    return this.view;
  }
  /** Overwrites a u32 written earlier (a length known only afterwards). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  /** Overwrites bytes written earlier (a value known only afterwards). */
  patchBytes(at: number, b: Uint8Array): void {
    this.buf.set(b, at);
  }
  /** The contents, without a copy: valid until the next write or clear(). */
  contents(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
  }
  /** A copy of the contents, and the sink emptied. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

export class ByteSource {
  private readonly view: DataView;
  pos: number;

  constructor(
    readonly data: Uint8Array,
    start = 0,
    readonly end = data.length,
    private readonly code: RecordingErrorCode = "bad-event",
    /** File offset of bytes[0], for error messages. */
    private readonly fileOffset = 0,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = start;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  private need(n: number, what: string): number {
    if (this.pos + n > this.end) {
      throw new RecordingError(this.code, `${what} runs past the end of its chunk at byte ${this.fileOffset + this.pos}`, this.fileOffset + this.pos);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }
  u64(what: string): number {
    const at = this.need(8, what);
    const hi = this.view.getUint32(at + 4, true);
    if (hi >= 0x200000) throw new RecordingError(this.code, `${what} is beyond 2^53 at byte ${this.fileOffset + at}`, this.fileOffset + at);
    return hi * 0x100000000 + this.view.getUint32(at, true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.need(8, what), true);
  }
  bytes(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.data.slice(at, at + n);
  }
  fail(message: string): never {
    throw new RecordingError(this.code, `${message} at byte ${this.fileOffset + this.pos}`, this.fileOffset + this.pos);
  }
}
