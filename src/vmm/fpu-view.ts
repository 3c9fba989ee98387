// The x87 and SSE state as gdb's i386 registers present it (features/i386/32bit-core.xml and
// 32bit-sse.xml): st0-st7 in stack order as 80-bit values, the x87 control registers, xmm0-xmm7
// and mxcsr, each as the little-endian bytes of the remote protocol. v86 keeps this state in its
// wasm memory: the physical x87 registers as 16-byte F80 slots (64-bit mantissa, then sign and
// exponent), the stack top apart from the status word, and the tags as an "empty" bit per
// register; its own exports assemble the status and tag words as FSTENV stores them.
import { V86InternalsError, stableView, type V86Cpu } from "./v86/internals";

type X87Control = "fctrl" | "fstat" | "ftag" | "fiseg" | "fioff" | "foseg" | "fooff" | "fop";
export type FpuRegisterName = `st${number}` | X87Control | `xmm${number}` | "mxcsr";

/** The v86 cpu fields and exports behind the state (fpu_* and reg_xmm32s in the pinned build). */
interface V86Fpu {
  fpu_st: Int32Array;
  fpu_stack_ptr: Uint8Array;
  fpu_stack_empty: Uint8Array;
  fpu_control_word: Uint16Array;
  fpu_status_word: Uint16Array;
  fpu_ip: Int32Array;
  fpu_ip_selector: Int32Array;
  fpu_dp: Int32Array;
  fpu_dp_selector: Int32Array;
  fpu_opcode: Int32Array;
  reg_xmm32s: Int32Array;
  mxcsr: Int32Array;
  fpu_load_status_word(): number;
  fpu_load_tag_word(): number;
}

const FIELDS = [
  "fpu_st",
  "fpu_stack_ptr",
  "fpu_stack_empty",
  "fpu_control_word",
  "fpu_status_word",
  "fpu_ip",
  "fpu_ip_selector",
  "fpu_dp",
  "fpu_dp_selector",
  "fpu_opcode",
  "reg_xmm32s",
  "mxcsr",
] as const;

/** Bytes of each register in the remote protocol (st: 10, xmm: 16, the rest 4). */
export function fpuRegisterSize(name: FpuRegisterName): number {
  return name.startsWith("st") ? 10 : name.startsWith("xmm") ? 16 : 4;
}

export class FpuView {
  private readonly bytes: Record<(typeof FIELDS)[number], () => Uint8Array>;
  private readonly cpu: V86Cpu & V86Fpu;

  constructor(cpu: V86Cpu) {
    const c = cpu as V86Cpu & Partial<V86Fpu>;
    for (const f of FIELDS) if (!(c[f] && typeof c[f].byteOffset === "number")) throw new V86InternalsError(`cpu.${f} is missing`);
    if (typeof c.fpu_load_status_word !== "function" || typeof c.fpu_load_tag_word !== "function") throw new V86InternalsError("cpu.fpu_load_status_word/fpu_load_tag_word are missing");
    this.cpu = c as V86Cpu & V86Fpu;
    // Byte views of each field, rebuilt when the memory grows (stableView).
    this.bytes = Object.fromEntries(FIELDS.map((f) => [f, stableView(cpu, { byteOffset: c[f]!.byteOffset, length: c[f]!.byteLength }, Uint8Array)])) as FpuView["bytes"];
  }

  read(name: FpuRegisterName): Uint8Array {
    const out = new Uint8Array(fpuRegisterSize(name));
    const v = new DataView(out.buffer);
    const b = this.bytes;
    const st = /^st([0-7])$/.exec(name);
    if (st) {
      out.set(b.fpu_st().subarray(this.physical(Number(st[1])) * 16, this.physical(Number(st[1])) * 16 + 10));
      return out;
    }
    const xmm = /^xmm([0-7])$/.exec(name);
    if (xmm) {
      out.set(b.reg_xmm32s().subarray(Number(xmm[1]) * 16, Number(xmm[1]) * 16 + 16));
      return out;
    }
    v.setUint32(0, this.control(name as X87Control | "mxcsr"), true);
    return out;
  }

  /** Writes a register from the protocol's bytes; false if the size is wrong. */
  write(name: FpuRegisterName, value: Uint8Array): boolean {
    if (value.length !== fpuRegisterSize(name)) return false;
    const b = this.bytes;
    const st = /^st([0-7])$/.exec(name);
    if (st) {
      b.fpu_st().set(value, this.physical(Number(st[1])) * 16);
      return true;
    }
    const xmm = /^xmm([0-7])$/.exec(name);
    if (xmm) {
      b.reg_xmm32s().set(value, Number(xmm[1]) * 16);
      return true;
    }
    const n = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    const word = (f: "fpu_control_word" | "fpu_status_word", x: number) => new DataView(b[f]().buffer, b[f]().byteOffset, 2).setUint16(0, x & 0xffff, true);
    const dword = (f: "fpu_ip" | "fpu_ip_selector" | "fpu_dp" | "fpu_dp_selector" | "fpu_opcode" | "mxcsr", x: number) => new DataView(b[f]().buffer, b[f]().byteOffset, 4).setInt32(0, x | 0, true);
    switch (name) {
      case "fctrl":
        word("fpu_control_word", n);
        break;
      case "fstat":
        // The stack top (bits 11-13) lives apart, as v86 keeps it.
        word("fpu_status_word", n & ~(7 << 11));
        b.fpu_stack_ptr()[0] = (n >> 11) & 7;
        break;
      case "ftag": {
        // v86 keeps one "empty" bit per physical register: tag 11.
        let empty = 0;
        for (let i = 0; i < 8; i++) if (((n >> (2 * i)) & 3) === 3) empty |= 1 << i;
        b.fpu_stack_empty()[0] = empty;
        break;
      }
      case "fiseg":
        dword("fpu_ip_selector", n);
        break;
      case "fioff":
        dword("fpu_ip", n);
        break;
      case "foseg":
        dword("fpu_dp_selector", n);
        break;
      case "fooff":
        dword("fpu_dp", n);
        break;
      case "fop":
        dword("fpu_opcode", n & 0x7ff);
        break;
      case "mxcsr":
        dword("mxcsr", n);
        break;
      default:
        return false;
    }
    return true;
  }

  /** The physical register behind ST(i). */
  private physical(i: number): number {
    return (this.bytes.fpu_stack_ptr()[0]! + i) & 7;
  }

  private control(name: X87Control | "mxcsr"): number {
    const c = this.cpu;
    const b = this.bytes;
    const u32 = (f: "fpu_ip" | "fpu_ip_selector" | "fpu_dp" | "fpu_dp_selector" | "fpu_opcode" | "mxcsr") => new DataView(b[f]().buffer, b[f]().byteOffset, 4).getUint32(0, true);
    switch (name) {
      case "fctrl":
        return new DataView(b.fpu_control_word().buffer, b.fpu_control_word().byteOffset, 2).getUint16(0, true);
      case "fstat":
        return c.fpu_load_status_word() & 0xffff;
      case "ftag":
        return c.fpu_load_tag_word() & 0xffff;
      case "fiseg":
        return u32("fpu_ip_selector") & 0xffff;
      case "fioff":
        return u32("fpu_ip");
      case "foseg":
        return u32("fpu_dp_selector") & 0xffff;
      case "fooff":
        return u32("fpu_dp");
      case "fop":
        return u32("fpu_opcode") & 0x7ff;
      case "mxcsr":
        return u32("mxcsr");
    }
  }
}
