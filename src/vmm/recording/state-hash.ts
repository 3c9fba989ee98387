// The recorder's checkpoint hash, off the critical path: the same sha256 over the same bytes as
// snapshot.ts's stateHash (guest RAM, registers, instruction count, clock, sync schedule, HLT,
// device models, in that order), but the bytes are captured synchronously (one memcpy of RAM)
// and digested on libuv's thread pool while the guest runs on. The digest is identical to
// stateHash(m) at the capture point (test/recording/dma-refs.test.ts checks it), so the replay's
// --verify compares exactly what it compared before.
import { createHash, webcrypto } from "node:crypto";
import type { Machine } from "../machine";

export interface CapturedState {
  /** The bytes stateHash would digest, in its order. */
  bytes: Buffer;
}

/** Captures the hashed state now (breakpoint bytes lifted, as stateHash does). */
export function captureHashedState(m: Machine): CapturedState {
  return m.breakpoints.lifted(() => {
    const i = m.internals;
    const cpu = i.vm.cpu;
    const mem = cpu.mem8.subarray(0, cpu.memory_size[0]!);
    const tail = [
      JSON.stringify(m.cpu.registers()),
      JSON.stringify({ icount: i.exec.icount, clock: i.clock.getState(), sched: i.getSched(), hlt: cpu.in_hlt[0] }),
      ...i.devices.map((d) => JSON.stringify(d.getState())),
    ].map((s) => Buffer.from(s, "utf8"));
    const bytes = Buffer.allocUnsafe(mem.length + tail.reduce((n, b) => n + b.length, 0));
    bytes.set(mem, 0);
    let at = mem.length;
    for (const b of tail) {
      bytes.set(b, at);
      at += b.length;
    }
    return { bytes };
  });
}

/** sha256 of a capture on the thread pool (hex). */
export async function digestAsync(c: CapturedState): Promise<string> {
  const d = await webcrypto.subtle.digest("SHA-256", c.bytes);
  return Buffer.from(d).toString("hex");
}

/** sha256 of a capture on this thread (when the result is needed now). */
export function digestSync(c: CapturedState): string {
  return createHash("sha256").update(c.bytes).digest("hex");
}
