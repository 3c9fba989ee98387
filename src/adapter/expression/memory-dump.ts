// gdb's `x/NFU ADDR` memory examine command for the debug console: N units of size U
// (b, h, w) printed in format F (x hex, d signed, u unsigned, o octal, c char).
import { resolveType } from "../dwarf";
import { addressOf, toNumber, type GuestMemory, type TypedValue } from "../values/typed-value";

export interface DumpRequest {
  count: number;
  format: "x" | "d" | "u" | "o" | "c";
  size: 1 | 2 | 4;
  address: string;
}

const SIZES: Record<string, 1 | 2 | 4> = { b: 1, h: 2, w: 4 };
const MAX_UNITS = 4096;

/** Parses `x/16xb ADDR` (letters in any order; defaults 1, x, w). Undefined when not an x command. */
export function parseDump(text: string): DumpRequest | undefined {
  const m = /^\s*x(?:\/(\d*)([a-z]*))?\s+(.+)$/i.exec(text);
  if (!m) return undefined;
  let format: DumpRequest["format"] = "x";
  let size: DumpRequest["size"] = 4;
  for (const ch of (m[2] ?? "").toLowerCase()) {
    if (ch in SIZES) size = SIZES[ch]!;
    else if ("xduoc".includes(ch)) {
      format = ch as DumpRequest["format"];
      if (ch === "c" && !/[bhw]/.test(m[2]!)) size = 1;
    } else throw new RangeError(`x: unknown format or size letter "${ch}"; formats x d u o c, sizes b h w`);
  }
  const count = m[1] ? Number(m[1]) : 1;
  if (!(count >= 1 && count <= MAX_UNITS)) throw new RangeError(`x: count must be 1..${MAX_UNITS}`);
  return { count, format, size, address: m[3]!.trim() };
}

function unit(v: number, req: DumpRequest): string {
  const bits = req.size * 8;
  switch (req.format) {
    case "x":
      return `0x${v.toString(16).padStart(req.size * 2, "0")}`;
    case "u":
      return String(v);
    case "d":
      return String(v >= 2 ** (bits - 1) ? v - 2 ** bits : v);
    case "o":
      return `0${v.toString(8)}`;
    case "c": {
      const c = v & 0xff;
      return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `'\\x${c.toString(16).padStart(2, "0")}'`;
    }
  }
}

/** The dump as text lines "0x00100000: 0x12 0x34 ...". Unreadable memory ends the dump with a note. */
export function formatDump(address: number, req: DumpRequest, mem: GuestMemory, symbolize?: (a: number) => string | undefined): string {
  const perLine = req.size === 1 ? 8 : req.size === 2 ? 8 : 4;
  const lines: string[] = [];
  for (let i = 0; i < req.count; i += perLine) {
    const at = (address + i * req.size) >>> 0;
    const n = Math.min(perLine, req.count - i);
    const bytes = mem.read(at, n * req.size);
    const sym = symbolize?.(at);
    const head = `0x${at.toString(16).padStart(8, "0")}${sym ? ` <${sym}>` : ""}:`;
    if (!bytes) {
      lines.push(`${head} <cannot read memory at 0x${at.toString(16)}>`);
      break;
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const units: string[] = [];
    for (let k = 0; k < n; k++) {
      const v = req.size === 1 ? dv.getUint8(k) : req.size === 2 ? dv.getUint16(k * 2, true) : dv.getUint32(k * 4, true);
      units.push(unit(v, req));
    }
    lines.push(`${head} ${units.join(" ")}`);
  }
  return lines.join("\n");
}

/**
 * Where an `x` command's address expression points. As gdb: arrays, structs and functions give
 * their address, numbers and pointers their value.
 */
export function dumpAddress(v: TypedValue, mem: GuestMemory): number {
  const kind = resolveType(v.type).kind;
  const lvalue = kind === "array" || kind === "struct" || kind === "union" || kind === "function";
  return lvalue && addressOf(v) !== undefined ? addressOf(v)! : toNumber(v, mem) >>> 0;
}
