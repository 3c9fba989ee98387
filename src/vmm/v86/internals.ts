// The parts of v86's internal (release-build) object model the LVMM uses, typed, and a
// start-up check that they are still where the pinned build keeps them.
import { V86_STATIC } from "./wasm-patches";

export interface V86Io {
  register_read(port: number, dev: object, r8?: () => number, r16?: () => number, r32?: () => number): void;
  register_write(port: number, dev: object, w8?: (v: number) => void, w16?: (v: number) => void, w32?: (v: number) => void): void;
  mmap_register(base: number, size: number, r8: (addr: number) => number, w8: (addr: number, v: number) => void, r32?: (addr: number) => number, w32?: (addr: number, v: number) => void): void;
}

export interface V86PciDevice {
  pci_id: number;
  pci_space: number[];
  pci_bars: ({ size: number } | undefined)[];
  name: string;
}

export interface V86Cpu {
  reg32: Int32Array;
  sreg: Uint16Array;
  cr: Int32Array;
  cpl: Uint8Array;
  in_hlt: Uint8Array;
  flags: Int32Array;
  flags_changed: Int32Array;
  instruction_pointer: Int32Array;
  instruction_counter: Uint32Array;
  idtr_offset: Int32Array;
  idtr_size: Int32Array;
  gdtr_offset: Int32Array;
  gdtr_size: Int32Array;
  segment_offsets: Int32Array;
  protected_mode: Uint8Array;
  mem8: Uint8Array;
  memory_size: Uint32Array;
  wasm_memory: WebAssembly.Memory;
  io: V86Io;
  devices: {
    pci: { register_device(dev: V86PciDevice): void };
    pit: { timer(now: number, noIrq: boolean): number };
    rtc: { timer(now: number, legacy: boolean): number; rtc_time: number; last_update: number };
    [name: string]: unknown;
  };
  wm: { exports: Record<string, unknown>; wasm_table: WebAssembly.Table };
  jit_imports: Record<string, unknown>;
  get_eflags(): number;
  get_real_eip(): number;
  device_raise_irq(irq: number): void;
  device_lower_irq(irq: number): void;
  handle_irqs(): void;
  run_hardware_timers(acpiEnabled: number, now: number): number;
  codegen_finalize(index: number, start: number, stateFlags: number, ptr: number, len: number): void;
  codegen_finalize_finished(index: number, start: number, stateFlags: number): void;
  read_blob(addr: number, len: number): Uint8Array;
  write_blob(blob: Uint8Array, addr: number): void;
  /** Drops compiled code on the pages of [start, end) (what write_blob does before it copies). */
  jit_dirty_cache(start: number, end: number): void;
  jit_clear_cache(): void;
  update_state_flags?: () => void;
  /** JS handlers of the 128 KiB blocks in_mapped_range names (v86's mmap_register fills them). */
  memory_map_read8: (((addr: number) => number) | undefined)[];
  memory_map_read32: (((addr: number) => number) | undefined)[];
  memory_map_write8: (((addr: number, value: number) => void) | undefined)[];
  memory_map_write32: (((addr: number, value: number) => void) | undefined)[];
}

export interface V86Inner {
  cpu: V86Cpu;
  save_state(): ArrayBuffer;
  restore_state(state: ArrayBuffer): void;
  constructor: { microtick: () => number };
}

export class V86InternalsError extends Error {
  constructor(what: string) {
    super(`v86 internals changed: ${what}; the LVMM relies on the pinned build's object model`);
    this.name = "V86InternalsError";
  }
}

/**
 * v86 exposes each of its wasm-memory fields (cpu.reg32, cpu.instruction_counter...) as a Proxy
 * that builds a new typed array on every element access, so that it survives memory growth. In
 * the executor's hot path that allocation cost ~10% of a busy run. This is a plain view of the
 * same bytes, rebuilt only when the memory's buffer changes: growth detaches the old buffer, and
 * a view of a detached buffer has length 0. That check is free, unlike asking the memory for its
 * buffer (a call into the engine) on each access: these views are read on every device access.
 */
export function stableView<T extends ArrayBufferView & { readonly length: number }>(
  cpu: V86Cpu,
  field: { readonly byteOffset: number; readonly length: number },
  View: new (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
): () => T {
  const offset = field.byteOffset;
  const length = field.length;
  if (!(length > 0)) throw new V86InternalsError(`a field of ${length} elements at ${offset}`);
  let view = new View(cpu.wasm_memory.buffer, offset, length);
  return () => {
    if (view.length === 0) view = new View(cpu.wasm_memory.buffer, offset, length);
    return view;
  };
}

/** Fails loudly when a property or static address the LVMM relies on is not where expected. */
export function checkInternals(inner: V86Inner): void {
  const cpu = inner.cpu;
  const need: (keyof V86Cpu)[] = [
    "reg32",
    "sreg",
    "cr",
    "in_hlt",
    "flags",
    "flags_changed",
    "instruction_pointer",
    "instruction_counter",
    "mem8",
    "memory_size",
    "jit_dirty_cache",
    "wasm_memory",
    "io",
    "devices",
    "wm",
    "get_eflags",
    "codegen_finalize",
    "codegen_finalize_finished",
    "run_hardware_timers",
    "memory_map_read8",
    "memory_map_read32",
    "memory_map_write8",
    "memory_map_write32",
  ];
  for (const k of need) if (cpu[k] === undefined) throw new V86InternalsError(`cpu.${k} is missing`);
  const at = (view: ArrayBufferView, addr: number, name: string): void => {
    if (view.byteOffset !== addr) throw new V86InternalsError(`${name} is at ${view.byteOffset}, not ${addr}`);
  };
  at(cpu.instruction_pointer, V86_STATIC.instructionPointer, "instruction_pointer");
  at(cpu.in_hlt, V86_STATIC.inHlt, "in_hlt");
  at(cpu.instruction_counter, V86_STATIC.instructionCounter, "instruction_counter");
  if (typeof inner.constructor.microtick !== "function") throw new V86InternalsError("v86.microtick is missing");
}
