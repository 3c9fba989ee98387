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
    const slot = this.slot(name);
    if (slot) {
      out.set(slot.bytes().subarray(slot.at, slot.at + out.length));
      return out;
    }
    const reg = name as X87Control | "mxcsr";
    const value = reg === "fstat" ? this.cpu.fpu_load_status_word() : reg === "ftag" ? this.cpu.fpu_load_tag_word() : this.field(reg);
    new DataView(out.buffer).setUint32(0, (value & X87_MASK[reg]) >>> 0, true);
    return out;
  }

  /** Writes a register from the protocol's bytes; false if the size is wrong. */
  write(name: FpuRegisterName, value: Uint8Array): boolean {
    if (value.length !== fpuRegisterSize(name)) return false;
    const slot = this.slot(name);
    if (slot) {
      slot.bytes().set(value, slot.at);
      return true;
    }
    const n = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    const reg = name as X87Control | "mxcsr";
    if (reg === "fstat") {
      // The stack top (bits 11-13) lives apart, as v86 keeps it.
      this.setField("fstat", n & ~(7 << 11));
      this.bytes.fpu_stack_ptr()[0] = (n >> 11) & 7;
    } else if (reg === "ftag") {
      // v86 keeps one "empty" bit per physical register: tag 11.
      let empty = 0;
      for (let i = 0; i < 8; i++) if (((n >> (2 * i)) & 3) === 3) empty |= 1 << i;
      this.bytes.fpu_stack_empty()[0] = empty;
    } else {
      this.setField(reg, reg === "fop" ? n & 0x7ff : n);
    }
    return true;
  }

  /** Where st<i> (in stack order) or xmm<i> sits: its v86 field and byte offset; undefined for the 4-byte registers. */
  private slot(name: FpuRegisterName): { bytes: () => Uint8Array; at: number } | undefined {
    if (name.startsWith("st")) return { bytes: this.bytes.fpu_st, at: ((this.bytes.fpu_stack_ptr()[0]! + Number(name.slice(2))) & 7) * 16 };
    if (name.startsWith("xmm")) return { bytes: this.bytes.reg_xmm32s, at: Number(name.slice(3)) * 16 };
    return undefined;
  }

  private field(name: Exclude<X87Control, "ftag"> | "mxcsr"): number {
    const b = this.bytes[X87_FIELD[name]]();
    return X87_FIELD_BYTES[name] === 2 ? new DataView(b.buffer, b.byteOffset, 2).getUint16(0, true) : new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  private setField(name: Exclude<X87Control, "ftag"> | "mxcsr", value: number): void {
    const b = this.bytes[X87_FIELD[name]]();
    if (X87_FIELD_BYTES[name] === 2) new DataView(b.buffer, b.byteOffset, 2).setUint16(0, value & 0xffff, true);
    else new DataView(b.buffer, b.byteOffset, 4).setUint32(0, value >>> 0, true);
  }
}

/** The v86 field behind each 4-byte register (fstat's without its stack top; ftag has none of its own). */
const X87_FIELD: Record<Exclude<X87Control, "ftag"> | "mxcsr", (typeof FIELDS)[number]> = {
  fctrl: "fpu_control_word",
  fstat: "fpu_status_word",
  fiseg: "fpu_ip_selector",
  fioff: "fpu_ip",
  foseg: "fpu_dp_selector",
  fooff: "fpu_dp",
  fop: "fpu_opcode",
  mxcsr: "mxcsr",
};
const X87_FIELD_BYTES: Record<keyof typeof X87_FIELD, 2 | 4> = { fctrl: 2, fstat: 2, fiseg: 4, fioff: 4, foseg: 4, fooff: 4, fop: 4, mxcsr: 4 };
/** The bits each register has (a selector is 16 bits, the opcode 11). */
const X87_MASK: Record<X87Control | "mxcsr", number> = { fctrl: 0xffff, fstat: 0xffff, ftag: 0xffff, fiseg: 0xffff, fioff: -1, foseg: 0xffff, fooff: -1, fop: 0x7ff, mxcsr: -1 };
