// Why the machine stopped. Every way a run can end is a typed value here: the VMM never
// throws out of the host process because of anything the guest did.

export type StopReason =
  /** The requested instruction count or virtual time was reached exactly. */
  | { kind: "limit" }
  /** A debugger breakpoint (0xCC planted by the VMM) was reached; EIP is on it, not past it. */
  | { kind: "breakpoint"; address: number }
  /**
   * A watched guest-physical range changed value (a CPU store or a device DMA write), or (`access`
   * "read") the CPU loaded from it. The machine stops right after the instruction (or DMA);
   * `pc`: that instruction's linear address, where the VMM pinned it down; `register`: the
   * watch was on the NIC's register at this offset (Watchpoint.register), not on memory.
   */
  | { kind: "watchpoint"; id: number; address: number; length: number; oldBytes: Uint8Array; newBytes: Uint8Array; by: "cpu" | "dma"; access?: "read"; pc?: number; register?: number }
  /** Stopped on request from outside (pause). */
  | { kind: "paused" }
  /** A watched condition of the host (e.g. a serial pattern) asked to stop. */
  | { kind: "host-request"; detail: string }
  /** The guest executed HLT with interrupts disabled: nothing can ever wake it. */
  | { kind: "halted"; detail: string }
  /** The guest ran with interrupts disabled past the watchdog while an interrupt was pending. */
  | { kind: "hang"; detail: string; virtualMs: number }
  /**
   * The guest faulted in a way the CPU cannot deliver (triple fault, a corrupt IDT or GDT
   * entry). A real PC would reset; the LVMM freezes the machine so its state can be examined.
   */
  | { kind: "triple-fault"; detail: string }
  /** A guest CPU exception the debugger asked to stop on, before the guest's handler runs. */
  | { kind: "exception"; vector: number; name: string; errorCode?: number; cr2?: number }
  /** A device model refused a DMA the guest programmed (address outside RAM, bad ring). */
  | { kind: "device-fault"; device: string; detail: string };

export type StopKind = StopReason["kind"];

/** A failure of the LVMM itself (not of the guest), e.g. a broken exactness invariant. */
export class VmmInvariantError extends Error {
  constructor(message: string) {
    super(`LVMM invariant broken: ${message}`);
    this.name = "VmmInvariantError";
  }
}
