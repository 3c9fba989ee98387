// The guest's COM1 console (v86's UART 0): output bytes with the instruction count at which
// the guest wrote them, and input that reaches the guest only at sync points.
import type { V86Instance } from "./v86/instantiate";

export interface SerialByte {
  byte: number;
  /** Instruction count when the guest wrote it (exact in exact mode; block start under JIT). */
  icount: number;
}

/** Output kept for inspection; older output is dropped past this many bytes. */
const KEEP_BYTES = 4 * 1024 * 1024;

export class SerialConsole {
  private text = "";
  private readonly listeners = new Set<(b: SerialByte) => void>();
  private pendingInput = "";

  constructor(
    private readonly vm: V86Instance,
    icount: () => number,
  ) {
    vm.emulator.add_listener("serial0-output-byte", (byte: number) => {
      const b = { byte, icount: icount() };
      this.text += String.fromCharCode(byte);
      if (this.text.length > KEEP_BYTES) this.text = this.text.slice(-KEEP_BYTES / 2);
      for (const fn of this.listeners) fn(b);
    });
  }

  /** Everything the guest printed (the newest 4 MiB at most). */
  get output(): string {
    return this.text;
  }

  onByte(fn: (b: SerialByte) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Calls fn with each complete line the guest prints. */
  onLine(fn: (line: string) => void): () => void {
    let line = "";
    return this.onByte(({ byte }) => {
      if (byte === 10) {
        fn(line.replace(/\r$/, ""));
        line = "";
      } else {
        line += String.fromCharCode(byte);
      }
    });
  }

  /** Queues keyboard input for the guest; it arrives at the next sync point. */
  send(text: string): void {
    this.pendingInput += text;
  }

  get hasPendingInput(): boolean {
    return this.pendingInput.length > 0;
  }

  /** The machine takes queued input at a sync point (and journals it). */
  takePendingInput(): string {
    const t = this.pendingInput;
    this.pendingInput = "";
    return t;
  }

  /** Hands input to the guest's UART (at a sync point). */
  deliver(text: string): void {
    (this.vm.emulator as unknown as { serial0_send(s: string): void }).serial0_send(text);
  }

  getState(): { pendingInput: string } {
    return { pendingInput: this.pendingInput };
  }

  setState(s: { pendingInput: string }): void {
    this.pendingInput = s.pendingInput;
  }
}
