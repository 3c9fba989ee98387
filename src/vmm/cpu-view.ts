// Side-effect-free access to the guest CPU and memory for the debugger: registers, physical
// memory, and a page walk of our own (v86's translate_address_* fills the TLB, sets accessed
// bits and can inject #PF into the guest).
import { stableView, type V86Cpu } from "./v86/internals";
import { FpuView } from "./fpu-view";

export const GPR_NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export const SREG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs"] as const;
export type GprName = (typeof GPR_NAMES)[number];
export type SregName = (typeof SREG_NAMES)[number];

export interface Registers {
  eax: number;
  ecx: number;
  edx: number;
  ebx: number;
  esp: number;
  ebp: number;
  esi: number;
  edi: number;
  eip: number;
  eflags: number;
  cs: number;
  ds: number;
  es: number;
  fs: number;
  gs: number;
  ss: number;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
}

export type RegisterName = keyof Registers;

export class GuestMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuestMemoryError";
  }
}

/** How the view sees memory the debugger has changed under the guest (planted breakpoints). */
export interface MemoryShadow {
  overlay(addr: number, bytes: Uint8Array): Uint8Array;
  lifted<T>(fn: () => T): T;
}

export class CpuView {
  // Plain views of v86's register fields (its own are Proxies that allocate per element read).
  private readonly reg32: () => Int32Array;
  private readonly sreg: () => Uint16Array;
  private readonly cr: () => Int32Array;

  /** The x87 and SSE registers (gdb's view of them). */
  readonly fpu: FpuView;

  constructor(
    private readonly cpu: V86Cpu,
    private readonly shadow?: MemoryShadow,
  ) {
    this.fpu = new FpuView(cpu);
    this.reg32 = stableView(cpu, cpu.reg32, Int32Array);
    this.sreg = stableView(cpu, cpu.sreg, Uint16Array);
    this.cr = stableView(cpu, cpu.cr, Int32Array);
    this.ip = stableView(cpu, cpu.instruction_pointer, Int32Array);
  }

  private readonly ip: () => Int32Array;

  get ramBytes(): number {
    return this.cpu.memory_size[0]!;
  }

  registers(): Registers {
    const c = this.cpu;
    const r = this.reg32();
    const s = this.sreg();
    const cr = this.cr();
    return {
      eax: r[0]! >>> 0,
      ecx: r[1]! >>> 0,
      edx: r[2]! >>> 0,
      ebx: r[3]! >>> 0,
      esp: r[4]! >>> 0,
      ebp: r[5]! >>> 0,
      esi: r[6]! >>> 0,
      edi: r[7]! >>> 0,
      eip: c.get_real_eip() >>> 0,
      eflags: c.get_eflags() >>> 0,
      es: s[0]!,
      cs: s[1]!,
      ss: s[2]!,
      ds: s[3]!,
      fs: s[4]!,
      gs: s[5]!,
      cr0: cr[0]! >>> 0,
      cr2: cr[2]! >>> 0,
      cr3: cr[3]! >>> 0,
      cr4: cr[4]! >>> 0,
    };
  }

  /** Linear address of the next instruction (CS base + EIP). */
  get pc(): number {
    return this.ip()[0]! >>> 0;
  }

  setRegister(name: RegisterName, value: number): void {
    const c = this.cpu;
    const gpr = GPR_NAMES.indexOf(name as GprName);
    if (gpr >= 0) {
      c.reg32[gpr] = value | 0;
    } else if (name === "eip") {
      const csBase = (c.instruction_pointer[0]! - c.get_real_eip()) | 0;
      c.instruction_pointer[0] = (csBase + value) | 0;
    } else if (name === "eflags") {
      // v86 keeps arithmetic flags lazily: write them through and mark them all as current.
      c.flags[0] = (value & ~0x8) | 0x2;
      c.flags_changed[0] = 0;
    } else if (name === "cr2") {
      c.cr[2] = value | 0;
    } else {
      throw new GuestMemoryError(`register ${name} cannot be written (segment and control registers are read-only here)`);
    }
  }

  /** Copies guest-physical memory; throws a GuestMemoryError outside RAM. */
  readPhysical(addr: number, length: number): Uint8Array {
    this.checkRange(addr, length);
    const bytes = this.cpu.mem8.slice(addr, addr + length);
    return this.shadow ? this.shadow.overlay(addr, bytes) : bytes;
  }

  writePhysical(addr: number, data: Uint8Array): void {
    this.checkRange(addr, data.length);
    const write = (): void => this.cpu.write_blob(data, addr); // keeps v86's JIT cache coherent
    if (this.shadow) this.shadow.lifted(write);
    else write();
  }

  private checkRange(addr: number, length: number): void {
    if (!Number.isInteger(addr) || !Number.isInteger(length) || addr < 0 || length < 0 || addr + length > this.ramBytes) {
      throw new GuestMemoryError(`physical range 0x${(addr >>> 0).toString(16)}+${length} is outside guest RAM (${this.ramBytes} bytes)`);
    }
  }

  /**
   * Linear to physical translation by walking the guest's page tables (IA-32 SDM vol. 3, 4.3:
   * 32-bit paging with 4 KiB and 4 MiB pages). Returns undefined for an unmapped address.
   * Touches nothing: no TLB fill, no accessed/dirty bits, no #PF.
   */
  translate(linear: number): number | undefined {
    const c = this.cpu;
    linear >>>= 0;
    const cr0 = c.cr[0]! >>> 0;
    if ((cr0 & 0x80000000) === 0) return linear; // paging off: linear is physical
    const cr4 = c.cr[4]! >>> 0;
    const pdeAddr = ((c.cr[3]! >>> 0) & 0xfffff000) + ((linear >>> 22) << 2);
    if (pdeAddr + 4 > this.ramBytes) return undefined;
    const pde = this.read32(pdeAddr);
    if ((pde & 1) === 0) return undefined;
    if (pde & 0x80 && cr4 & 0x10) return ((pde & 0xffc00000) + (linear & 0x3fffff)) >>> 0;
    const pteAddr = (pde & 0xfffff000) + (((linear >>> 12) & 0x3ff) << 2);
    if (pteAddr + 4 > this.ramBytes) return undefined;
    const pte = this.read32(pteAddr);
    if ((pte & 1) === 0) return undefined;
    return ((pte & 0xfffff000) + (linear & 0xfff)) >>> 0;
  }

  /** Reads linear memory page by page; unmapped pages raise a GuestMemoryError naming the address. */
  readLinear(linear: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const addr = (linear + done) >>> 0;
      const phys = this.translate(addr);
      if (phys === undefined) throw new GuestMemoryError(`linear address 0x${addr.toString(16)} is not mapped`);
      const n = Math.min(length - done, 0x1000 - (addr & 0xfff));
      out.set(this.readPhysical(phys, n), done);
      done += n;
    }
    return out;
  }

  writeLinear(linear: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const addr = (linear + done) >>> 0;
      const phys = this.translate(addr);
      if (phys === undefined) throw new GuestMemoryError(`linear address 0x${addr.toString(16)} is not mapped`);
      const n = Math.min(data.length - done, 0x1000 - (addr & 0xfff));
      this.writePhysical(phys, data.subarray(done, done + n));
      done += n;
    }
  }

  private read32(addr: number): number {
    const m = this.readPhysical(addr, 4);
    return (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0;
  }

  /** IDT base and limit (for crash diagnostics). */
  idt(): { base: number; limit: number } {
    return { base: this.cpu.idtr_offset[0]! >>> 0, limit: this.cpu.idtr_size[0]! >>> 0 };
  }

  get interruptsEnabled(): boolean {
    return (this.cpu.get_eflags() & 0x200) !== 0;
  }
}
