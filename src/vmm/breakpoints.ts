// Debugger breakpoints as planted 0xCC bytes. The patched instr_CC stops the loop on them, in
// interpreted and JIT-compiled code alike. They stay planted while a run yields to the event
// loop (replanting would throw away the JIT's code for those pages every time), so reads of
// guest memory go through `overlay`, and snapshots and hashes lift them first.
import type { V86Instance } from "./v86/instantiate";

const INT3 = 0xcc;

export class Breakpoints {
  private readonly addrs = new Set<number>();
  private planted = new Map<number, number>(); // physical address -> original byte

  constructor(private readonly vm: V86Instance) {}

  /** Physical addresses of the breakpoints. */
  set(addresses: Iterable<number>): void {
    this.unplant();
    this.addrs.clear();
    for (const a of addresses) this.addrs.add(a >>> 0);
  }

  has(address: number): boolean {
    return this.addrs.has(address >>> 0);
  }

  get size(): number {
    return this.addrs.size;
  }

  list(): number[] {
    return [...this.addrs];
  }

  /** Plants every breakpoint except the one at `skip` (the instruction being resumed from). */
  plant(skip?: number): void {
    // Every run plants and unplants: with none set (a served engine), that must cost nothing.
    if (this.addrs.size === 0) return;
    const cpu = this.vm.cpu;
    const ram = cpu.memory_size[0]!;
    for (const a of this.addrs) {
      if (a === skip || this.planted.has(a) || a >= ram) continue;
      const original = cpu.mem8[a]!;
      if (original === INT3) continue; // the guest's own INT3: it traps to the guest anyway
      this.planted.set(a, original);
      cpu.write_blob(Uint8Array.of(INT3), a);
    }
    this.vm.controls.bpArmed.value = this.planted.size > 0 ? 1 : 0;
  }

  unplant(): void {
    if (this.planted.size === 0) return;
    const cpu = this.vm.cpu;
    for (const [a, original] of this.planted) {
      // The guest may have overwritten the byte (self-modifying code): keep its write.
      if (cpu.mem8[a] === INT3) cpu.write_blob(Uint8Array.of(original), a);
    }
    this.planted.clear();
    this.vm.controls.bpArmed.value = 0;
  }

  get armed(): boolean {
    return this.planted.size > 0;
  }

  /** Replaces planted 0xCC bytes in a copy of [addr, addr+bytes.length) by the originals. */
  overlay(addr: number, bytes: Uint8Array): Uint8Array {
    for (const [a, original] of this.planted) {
      if (a >= addr && a < addr + bytes.length) bytes[a - addr] = original;
    }
    return bytes;
  }

  /** Runs fn with the original bytes in memory (snapshots, hashes, debugger writes). */
  lifted<T>(fn: () => T): T {
    if (this.planted.size === 0) return fn();
    const was = [...this.planted.keys()];
    this.unplant();
    try {
      return fn();
    } finally {
      // Plant again only what is still wanted (the set may have changed meanwhile).
      const cpu = this.vm.cpu;
      for (const a of was) {
        if (!this.addrs.has(a)) continue;
        const original = cpu.mem8[a]!;
        if (original === INT3) continue;
        this.planted.set(a, original);
        cpu.write_blob(Uint8Array.of(INT3), a);
      }
      this.vm.controls.bpArmed.value = this.planted.size > 0 ? 1 : 0;
    }
  }
}
