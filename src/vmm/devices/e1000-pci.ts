// Puts the E1000 model on v86's PCI bus: config space, a 128 KiB MMIO BAR0, DMA into guest RAM
// and an INTx line that is only ever raised at sync points (raising inside an MMIO handler while
// JIT code runs can hang v86; see v86-notes.md, "Devices").
import { E1000, type E1000State } from "./e1000";
import type { V86Cpu } from "../v86/internals";
import type { SyncDevice } from "../sync-device";

export interface E1000PciOptions {
  mac: Uint8Array;
  /** Where BAR0 lives. Without a BIOS nobody moves it, so the VMM chooses (128 KiB aligned). */
  mmioBase: number;
  /** PCI device number on bus 0. */
  slot: number;
  /** Legacy IRQ written to the interrupt-line register, which the guest driver reads. */
  irq: number;
  icount: () => number;
  nowNs: () => number;
  /**
   * Trap every register access (the evaluation's fully emulated device path; off by default):
   * called after each access with what was read or written.
   */
  trap?: (write: boolean, width: 1 | 2 | 4, offset: number, value: number) => void;
}

export const E1000_DEFAULTS = { mmioBase: 0xfe000000, slot: 5, irq: 11 } as const;

/** The NIC's station address unless a launch or recording names another: QEMU's default (52:54:00 is QEMU's OUI). */
export const DEFAULT_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

/** The model's state plus the line edge bookkeeping done between sync points. */
export interface E1000PciState {
  model: E1000State;
  level: boolean;
  deasserted: boolean;
}

export class E1000Pci implements SyncDevice<E1000PciState> {
  readonly name = "e1000";
  readonly irq: number;
  readonly model: E1000;
  private level = false;
  private deasserted = false;

  constructor(cpu: V86Cpu, opts: E1000PciOptions) {
    this.irq = opts.irq;
    const ramBytes = cpu.memory_size[0]!;
    const inRam = (addr: number, len: number): boolean => addr >= 0 && len >= 0 && addr + len <= ramBytes;
    // Guest RAM as one view, made again only if the wasm memory grew (its old buffer is detached).
    let ramView: Uint8Array | undefined;
    const ram = (): Uint8Array => {
      if (!ramView || ramView.byteLength === 0) ramView = new Uint8Array(cpu.wasm_memory.buffer, cpu.mem8.byteOffset, ramBytes);
      return ramView;
    };
    this.model = new E1000(
      {
        // a view, not a copy: the model copies only what it keeps (a frame's bytes)
        dmaRead: (addr, len) => (inRam(addr, len) ? ram().subarray(addr, addr + len) : false),
        dmaReadInto: (addr, out) => {
          if (!inRam(addr, out.length)) return false;
          const r = ram();
          for (let i = 0; i < out.length; i++) out[i] = r[addr + i]!;
          return true;
        },
        dmaWrite: (addr, data) => {
          if (!inRam(addr, data.length)) return false;
          // What cpu.write_blob does, through our own view: its mem8 getter makes a new view on
          // every call, an allocation per descriptor write-back.
          if (data.length === 0) return true;
          cpu.jit_dirty_cache(addr, addr + data.length);
          ram().set(data, addr);
          return true;
        },
        setIrqLevel: (asserted) => {
          if (this.level && !asserted) this.deasserted = true;
          this.level = asserted;
        },
        nowNs: opts.nowNs,
        icount: () => BigInt(opts.icount()),
      },
      { mac: opts.mac },
    );

    const base = opts.mmioBase >>> 0;
    const off = (addr: number): number => (addr >>> 0) - base;
    const trap = opts.trap;
    if (!trap) {
      cpu.io.mmap_register(
        base,
        E1000.BAR0_SIZE,
        (a) => this.model.mmioRead8(off(a)),
        (a, v) => this.model.mmioWrite8(off(a), v),
        (a) => this.model.mmioRead32(off(a)) | 0,
        (a, v) => this.model.mmioWrite32(off(a), v >>> 0),
      );
    } else {
      cpu.io.mmap_register(
        base,
        E1000.BAR0_SIZE,
        (a) => {
          const v = this.model.mmioRead8(off(a));
          trap(false, 1, off(a), v);
          return v;
        },
        (a, v) => {
          trap(true, 1, off(a), v & 0xff);
          this.model.mmioWrite8(off(a), v);
        },
        (a) => {
          const v = this.model.mmioRead32(off(a));
          trap(false, 4, off(a), v);
          return v | 0;
        },
        (a, v) => {
          trap(true, 4, off(a), v >>> 0);
          this.model.mmioWrite32(off(a), v >>> 0);
        },
      );
    }
    cpu.devices.pci.register_device({
      pci_id: opts.slot << 3,
      pci_space: configSpace(base, opts.irq),
      pci_bars: [{ size: E1000.BAR0_SIZE }],
      name: "e1000",
    });
  }

  irqLevel(): boolean {
    return this.level;
  }

  takeDeassertedSinceSync(): boolean {
    const d = this.deasserted;
    this.deasserted = false;
    return d;
  }

  nextDeadlineNs(): number | undefined {
    return this.model.nextDeadlineNs();
  }

  sync(nowNs: number): void {
    this.model.advance(nowNs);
  }

  getState(): E1000PciState {
    return { model: this.model.getState(), level: this.level, deasserted: this.deasserted };
  }

  setState(state: E1000PciState): void {
    this.model.setState(state.model);
    this.level = state.level;
    this.deasserted = state.deasserted;
  }
}

/** Type 0 PCI header (PCI Local Bus Spec 3.0, 6.1) for an 82540EM at `bar0`. */
function configSpace(bar0: number, irq: number): number[] {
  const s = new Array<number>(256).fill(0);
  const put16 = (o: number, v: number): void => {
    s[o] = v & 0xff;
    s[o + 1] = (v >> 8) & 0xff;
  };
  const put32 = (o: number, v: number): void => {
    put16(o, v & 0xffff);
    put16(o + 2, v >>> 16);
  };
  put16(0x00, E1000.VENDOR_ID);
  put16(0x02, E1000.DEVICE_ID);
  put16(0x04, 0x0007); // command: I/O, memory, bus master (no BIOS to enable them)
  put16(0x06, 0x0000);
  put32(0x08, (E1000.CLASS_CODE << 8) | 0x03); // class 02 00 00, revision 3
  s[0x0e] = 0x00; // header type 0
  put32(0x10, bar0); // BAR0: 32-bit memory, non-prefetchable
  put16(0x2c, E1000.VENDOR_ID); // subsystem vendor
  put16(0x2e, 0x001e); // subsystem id as on the reference board
  s[0x3c] = irq; // interrupt line
  s[0x3d] = 1; // interrupt pin INTA#
  return s;
}
