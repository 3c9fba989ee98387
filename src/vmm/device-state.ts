// A read-only view of the machine's interrupt and timer hardware and our NIC, for debuggers
// (the Devices scope): values are read without side effects, nothing is written.
import * as R from "./devices/e1000-regs";
import type { Machine } from "./machine";

export interface PicState {
  /** Interrupt mask register as the guest programs it (1 = masked). */
  imr: number;
  irr: number;
  isr: number;
  /** Vector of IRQ 0 (or 8) after ICW2 remapping. */
  vectorBase: number;
}

export interface PitChannel {
  enabled: boolean;
  mode: number;
  reload: number;
}

export interface DeviceState {
  e1000?: Record<string, number>;
  pic: { master: PicState; slave: PicState };
  pit: PitChannel[];
}

/** The e1000 registers a driver author watches, by datasheet name. */
export const E1000_VIEW: Record<string, number> = {
  CTRL: R.CTRL,
  STATUS: R.STATUS,
  ICR: R.ICR,
  IMS: R.IMS,
  ITR: R.ITR,
  RCTL: R.RCTL,
  RDBAL: R.RDBAL,
  RDBAH: R.RDBAH,
  RDLEN: R.RDLEN,
  RDH: R.RDH,
  RDT: R.RDT,
  RDTR: R.RDTR,
  RADV: R.RADV,
  TCTL: R.TCTL,
  TDBAL: R.TDBAL,
  TDBAH: R.TDBAH,
  TDLEN: R.TDLEN,
  TDH: R.TDH,
  TDT: R.TDT,
  TADV: R.TADV,
};

// v86's Pic0 is #[repr(C)]: irq_mask (1 = enabled), irq_map, isr, irr, ... (src/rust/cpu/pic.rs).
const PIC_MASK = 0;
const PIC_MAP = 1;
const PIC_ISR = 2;
const PIC_IRR = 3;

export function deviceState(m: Machine): DeviceState {
  const vm = m.internals.vm;
  const mem = new Uint8Array(vm.cpu.wasm_memory.buffer);
  const pic = (addrFn: string): PicState => {
    const at = (vm.exports[addrFn] as () => number)();
    return { imr: ~mem[at + PIC_MASK]! & 0xff, vectorBase: mem[at + PIC_MAP]!, isr: mem[at + PIC_ISR]!, irr: mem[at + PIC_IRR]! };
  };
  const pitDev = vm.cpu.devices.pit as unknown as { counter_enabled: Uint8Array; counter_mode: Uint8Array; counter_reload: Uint16Array };
  const pit: PitChannel[] = [0, 1, 2].map((i) => ({
    enabled: pitDev.counter_enabled[i] !== 0,
    mode: pitDev.counter_mode[i]!,
    reload: pitDev.counter_reload[i]! || 0x10000,
  }));
  let e1000: Record<string, number> | undefined;
  if (m.nic) {
    e1000 = {};
    for (const [name, off] of Object.entries(E1000_VIEW)) e1000[name] = m.nic.model.peekRegister(off);
  }
  return { e1000, pic: { master: pic("get_pic_addr_master"), slave: pic("get_pic_addr_slave") }, pit };
}
