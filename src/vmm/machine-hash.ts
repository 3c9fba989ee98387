// The machine state hash: sha256 over everything the guest can see (RAM, CPU registers, the
// instruction count, the clock, the sync schedule, HLT, our device models), so equal hashes
// mean the guest cannot tell two machines apart. Inputs still queued on the wire are not part
// of it: they have not reached the guest.
//
// RAM is hashed sparsely: a u32 count of the 4 KiB pages that are not all zero, then each as a
// u32 page number and its bytes, in address order. A guest touches little of its RAM (the
// I/O engine about 90 of 8192 pages), so this reads all of it once against zeros (~2 ms for
// 32 MiB) and digests a few hundred KiB instead of sha256 over 32 MiB (~30 ms). Recordings of
// format 4 and later use it; older ones were hashed over all of RAM (`fullRam`).
import { createHash } from "node:crypto";
import type { Machine } from "./machine";

const PAGE = 4096;
/** Pages compared against zeros in blocks of this many first: most blocks are all zero. */
const BLOCK_PAGES = 16;
const ZEROS = Buffer.alloc(PAGE * BLOCK_PAGES);

export interface StateHashOptions {
  /** Hash all of RAM as one run of bytes (the definition of recording formats 2 and 3). */
  fullRam?: boolean;
}

/** The hash, in hex. Breakpoint bytes are lifted, so planted breakpoints do not change it. */
export function stateHash(m: Machine, opts: StateHashOptions = {}): string {
  return m.breakpoints.lifted(() => {
    const h = createHash("sha256");
    for (const part of stateHashInput(m, opts)) h.update(part);
    return h.digest("hex");
  });
}

/**
 * The bytes the hash digests, in order. RAM parts are views into guest memory, valid until the
 * machine runs again; call with breakpoints lifted. The recorder copies these same parts for a
 * worker thread, so its digest is stateHash's by construction.
 */
export function stateHashInput(m: Machine, opts: StateHashOptions = {}): Uint8Array[] {
  const i = m.internals;
  const cpu = i.vm.cpu;
  const ram = cpu.mem8.subarray(0, cpu.memory_size[0]!);
  const parts: Uint8Array[] = opts.fullRam ? [ram] : ramPages(ram);
  parts.push(
    utf8(JSON.stringify(m.cpu.registers())),
    utf8(JSON.stringify({ icount: i.exec.icount, clock: i.clock.getState(), sched: i.getSched(), hlt: cpu.in_hlt[0] })),
    ...i.devices.map((d) => utf8(JSON.stringify(d.getState()))),
  );
  return parts;
}

function ramPages(ram: Uint8Array): Uint8Array[] {
  const buf = Buffer.from(ram.buffer, ram.byteOffset, ram.byteLength);
  const pages: number[] = [];
  const count = Math.ceil(ram.length / PAGE);
  for (let p = 0; p < count; p += BLOCK_PAGES) {
    const start = p * PAGE;
    const end = Math.min(ram.length, start + BLOCK_PAGES * PAGE);
    if (ZEROS.compare(buf, start, end, 0, end - start) === 0) continue;
    for (let q = p; q < p + BLOCK_PAGES && q < count; q++) {
      const s = q * PAGE;
      const e = Math.min(ram.length, s + PAGE);
      if (ZEROS.compare(buf, s, e, 0, e - s) !== 0) pages.push(q);
    }
  }
  const parts: Uint8Array[] = [u32(pages.length)];
  for (const q of pages) parts.push(u32(q), ram.subarray(q * PAGE, Math.min(ram.length, (q + 1) * PAGE)));
  return parts;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, "utf8");
}
