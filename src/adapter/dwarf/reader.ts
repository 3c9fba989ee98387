// Bounds-checked little-endian byte cursor over one DWARF section: fixed-size integers,
// LEB128, initial lengths (32/64-bit DWARF), offsets, addresses and C strings.
import { DwarfError } from "./errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });

export class ByteReader {
  private readonly view: DataView;
  offset: number;
  readonly end: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly section: string,
    offset = 0,
    end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (end > bytes.length || end < 0) end = bytes.length;
    this.offset = offset;
    this.end = end;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n < 0 || at < 0 || at + n > this.end) {
      throw new DwarfError("truncated", `need ${n} byte(s) but only ${Math.max(0, this.end - at)} left`, this.section, at);
    }
    this.offset = at + n;
    return at;
  }

  /** A reader over the next `length` bytes; advances this reader past them. */
  sub(length: number): ByteReader {
    const at = this.need(length);
    return new ByteReader(this.bytes, this.section, at, at + length);
  }

  skip(n: number): void {
    this.need(n);
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  i8(): number {
    return this.view.getInt8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  i16(): number {
    return this.view.getInt16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  /** 64-bit value as a number; exact below 2^53 (all 32-bit target addresses). */
  u64(): number {
    const at = this.need(8);
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 0x1_0000_0000;
  }
  i64(): number {
    const at = this.need(8);
    return this.view.getUint32(at, true) + this.view.getInt32(at + 4, true) * 0x1_0000_0000;
  }

  bytesOf(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  uleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
      if (scale > 2 ** 70) {
        // Keep consuming so the cursor stays in sync, but the value is meaningless.
        while (this.u8() & 0x80);
        return Number.MAX_SAFE_INTEGER;
      }
    }
  }

  sleb(): number {
    let result = 0;
    let scale = 1;
    let b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (scale > 2 ** 70) {
        while (b & 0x80) b = this.u8();
        return result;
      }
    } while (b & 0x80);
    if (b & 0x40) result -= scale;
    return result;
  }

  /** DWARF initial length: 32-bit, or 0xffffffff followed by a 64-bit length (64-bit DWARF). */
  initialLength(): { length: number; is64: boolean } {
    const v = this.u32();
    if (v === 0xffffffff) return { length: this.u64(), is64: true };
    if (v >= 0xfffffff0) {
      throw new DwarfError("corrupt", `reserved initial length 0x${v.toString(16)}`, this.section, this.offset - 4);
    }
    return { length: v, is64: false };
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit. */
  sectionOffset(is64: boolean): number {
    return is64 ? this.u64() : this.u32();
  }

  address(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64();
      default:
        throw new DwarfError("corrupt", `unsupported address size ${size}`, this.section, this.offset);
    }
  }

  unsigned(size: number): number {
    return this.address(size);
  }

  cstring(): string {
    const start = this.offset;
    let i = start;
    while (i < this.end && this.bytes[i] !== 0) i++;
    if (i >= this.end) throw new DwarfError("truncated", "unterminated string", this.section, start);
    this.offset = i + 1;
    return utf8.decode(this.bytes.subarray(start, i));
  }
}

/** The NUL-terminated string at `offset` in a string section (.debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array | undefined, name: string, offset: number): string {
  if (!section) throw new DwarfError("missing-section", `${name} is missing but a string refers to it`);
  if (offset < 0 || offset >= section.length) {
    throw new DwarfError("corrupt", `string offset 0x${offset.toString(16)} is past the end (size 0x${section.length.toString(16)})`, name);
  }
  return new ByteReader(section, name, offset).cstring();
}
