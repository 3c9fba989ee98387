// An optional mode for the evaluation (docs/evaluation.md, "LVMM I/O against a hosted VMM"):
// every access the guest makes to the e1000's registers is trapped and logged, the analogue of
// a fully emulated device path in a hosted VMM, where each MMIO access is a VM exit that saves
// the guest's state and dispatches to the device model. The thesis's LVMM instead enters the
// VMM on two triggers only (ICR reads, RDT writes: nic-dma-log.ts).
//
// Off by default (MachineOptions.trapDeviceRegisters): without it nothing here runs. With it,
// each access appends one fixed-size record to a ring: the access (direction, width, offset,
// value), when (instruction count, virtual time) and the guest's state at the exit (EIP, EFLAGS,
// the eight general registers), as a VM exit saves them. The oldest records are overwritten
// once the ring is full; `count` and `bytes` keep counting.
import { stableView, type V86Cpu } from "./v86/internals";

/** One trapped register access. */
export interface RegisterAccess {
  /** 1, 2, ... over the whole run (overwritten ones included). */
  seq: number;
  write: boolean;
  width: 1 | 2 | 4;
  /** Byte offset in the device's register space (BAR0). */
  offset: number;
  /** The value written, or the value the guest read. */
  value: number;
  icount: number;
  ns: number;
  /** EIP and EFLAGS as v86 has them at the access (under the JIT, EIP is that of the block's start). */
  eip: number;
  eflags: number;
  /** EAX ECX EDX EBX ESP EBP ESI EDI. */
  regs: number[];
}

/** 16 words: icount (2), ns (2), eip, eflags, width|write|offset, value, 8 registers. */
const WORDS = 16;
export const REGISTER_ACCESS_RECORD_BYTES = WORDS * 4;

export interface RegisterTrapLogOptions {
  /** Records kept (default 65,536: 4 MiB); older ones are overwritten. */
  limit?: number;
}

export class RegisterTrapLog {
  private readonly ring: Uint32Array;
  private readonly limit: number;
  private total = 0;
  private readonly reg32: () => Int32Array;
  private readonly ip: () => Int32Array;

  constructor(
    private readonly cpu: V86Cpu,
    private readonly clock: { icount(): number; ns(): number },
    opts: RegisterTrapLogOptions = {},
  ) {
    this.limit = Math.max(1, Math.floor(opts.limit ?? 65_536));
    this.ring = new Uint32Array(this.limit * WORDS);
    this.reg32 = stableView(cpu, cpu.reg32, Int32Array);
    this.ip = stableView(cpu, cpu.instruction_pointer, Int32Array);
  }

  /** Accesses trapped so far, overwritten ones included. */
  get count(): number {
    return this.total;
  }

  /** Log bytes written so far (count x the record size). */
  get bytes(): number {
    return this.total * REGISTER_ACCESS_RECORD_BYTES;
  }

  /** The trap: called by the device's MMIO handlers for every access. */
  record(write: boolean, width: 1 | 2 | 4, offset: number, value: number): void {
    const at = (this.total % this.limit) * WORDS;
    this.total++;
    const r = this.ring;
    const icount = this.clock.icount();
    const ns = this.clock.ns();
    r[at] = icount >>> 0;
    r[at + 1] = Math.floor(icount / 2 ** 32);
    r[at + 2] = ns >>> 0;
    r[at + 3] = Math.floor(ns / 2 ** 32);
    r[at + 4] = this.ip()[0]!;
    r[at + 5] = this.cpu.get_eflags();
    r[at + 6] = (offset & 0x1ffff) | (width << 24) | (write ? 1 << 31 : 0);
    r[at + 7] = value;
    r.set(this.reg32(), at + 8);
  }

  /** The records kept, oldest first. */
  entries(): RegisterAccess[] {
    const n = Math.min(this.total, this.limit);
    const out: RegisterAccess[] = [];
    for (let k = this.total - n; k < this.total; k++) {
      const at = (k % this.limit) * WORDS;
      const r = this.ring;
      const packed = r[at + 6]!;
      out.push({
        seq: k + 1,
        write: (packed & (1 << 31)) !== 0,
        width: ((packed >>> 24) & 7) as 1 | 2 | 4,
        offset: packed & 0x1ffff,
        value: r[at + 7]!,
        icount: r[at]! + r[at + 1]! * 2 ** 32,
        ns: r[at + 2]! + r[at + 3]! * 2 ** 32,
        eip: r[at + 4]!,
        eflags: r[at + 5]!,
        regs: [...r.subarray(at + 8, at + 16)],
      });
    }
    return out;
  }
}
