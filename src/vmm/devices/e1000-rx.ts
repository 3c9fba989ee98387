// Receive path: address filter, legacy receive descriptor ring DMA, RX causes (SDM 3.2, 13.4.22).
import type { E1000Core, ReceiveResult, RxDmaRecord } from "./e1000.js";
import * as R from "./e1000-regs.js";
import { bumpStat, countFrame } from "./e1000-stats.js";

/** Receive buffer size from RCTL.BSIZE/BSEX (SDM 13.4.22); BSEX with BSIZE=00 is reserved: 2048. */
export function rxBufferSize(rctl: number): number {
  const bsize = (rctl >>> R.RCTL_BSIZE_SHIFT) & R.RCTL_BSIZE_MASK;
  if (rctl & R.RCTL_BSEX && bsize !== 0) return [0, 16384, 8192, 4096][bsize]!;
  return [2048, 1024, 512, 256][bsize]!;
}

/** Destination filter: broadcast with BAM, multicast with MPE or an MTA hit, unicast with UPE or an RAL/RAH match. */
export function acceptsFrame(regs: Uint32Array, frame: Uint8Array): boolean {
  const rctl = regs[R.RCTL >> 2]!;
  const d = frame;
  const bcast = d[0] === 0xff && d[1] === 0xff && d[2] === 0xff && d[3] === 0xff && d[4] === 0xff && d[5] === 0xff;
  const mcast = (d[0]! & 1) === 1;
  if (bcast && rctl & R.RCTL_BAM) return true;
  if (mcast && rctl & R.RCTL_MPE) return true;
  if (!mcast && rctl & R.RCTL_UPE) return true;
  const lo = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
  const hi = d[4]! | (d[5]! << 8);
  for (let n = 0; n < R.RA_COUNT; n++) {
    const rah = regs[(R.RAH0 >> 2) + 2 * n]!;
    if (!(rah & R.RAH_AV) || rah & R.RAH_AS_MASK) continue;
    if (regs[(R.RAL0 >> 2) + 2 * n] === lo && (rah & 0xffff) === hi) return true;
  }
  if (!mcast || bcast) return false;
  // Multicast Table Array: 12 bits of the address selected by RCTL.MO (SDM 13.5.2).
  const shift = [4, 3, 2, 0][(rctl >>> R.RCTL_MO_SHIFT) & R.RCTL_MO_MASK]!;
  const hash = ((d[4]! >>> shift) | (d[5]! << (8 - shift))) & 0xfff;
  return ((regs[(R.MTA >> 2) + (hash >>> 5)]! >>> (hash & 31)) & 1) === 1;
}

/**
 * Delivers one frame into the guest's receive ring. A frame larger than one buffer spans several
 * descriptors (EOP on the last). All buffers are written before any descriptor, so a DMA fault
 * leaves the ring untouched (RDH does not move) and the frame is dropped.
 */
export function receiveFrame(core: E1000Core, input: Uint8Array): ReceiveResult {
  const { regs, host } = core;
  const reg = (o: number): number => regs[o >> 2]!;
  const rctl = reg(R.RCTL);
  if (!(rctl & R.RCTL_EN) || !core.linkUp()) return "dropped-disabled";

  let frame = input;
  if (frame.length < R.ETH_MIN_FRAME) {
    frame = new Uint8Array(R.ETH_MIN_FRAME); // pad with zeros as the sender's MAC would
    frame.set(input);
  }
  if (!acceptsFrame(regs, frame)) return "dropped-filtered";
  const max = rctl & R.RCTL_LPE ? R.ETH_MAX_FRAME_LPE : R.ETH_MAX_FRAME_NO_LPE;
  if (frame.length + R.ETH_FCS_LEN > max) {
    bumpStat(regs, R.ROC);
    return "dropped-filtered";
  }

  const rdlen = reg(R.RDLEN);
  const n = rdlen / R.DESC_SIZE;
  const head = reg(R.RDH);
  const tail = reg(R.RDT);
  if (n === 0) return ringFault(core, "RDLEN", rdlen, "receive ring length is 0");
  if (head >= n) return ringFault(core, "RDH", head, `RDH ${head} is past the ${n}-descriptor ring`);
  if (tail >= n) return ringFault(core, "RDT", tail, `RDT ${tail} is past the ${n}-descriptor ring`);

  const bufSize = rxBufferSize(rctl);
  const needed = Math.ceil(frame.length / bufSize);
  const free = (tail - head + n) % n; // RDH == RDT: no descriptor owned by hardware
  if (free < needed) {
    bumpStat(regs, R.MPC);
    bumpStat(regs, R.RNBC);
    core.raise(R.ICR_RXO);
    return "dropped-ring-full";
  }

  const base = reg(R.RDBAH) * 0x100000000 + reg(R.RDBAL);
  const records: RxDmaRecord[] = [];
  for (let k = 0; k < needed; k++) {
    const index = (head + k) % n;
    const descAddr = base + index * R.DESC_SIZE;
    const desc = host.dmaRead(descAddr, R.DESC_SIZE);
    if (!desc || desc.length < R.DESC_SIZE) return dmaFault(core, index, descAddr, "receive descriptor");
    const dv = new DataView(desc.buffer, desc.byteOffset, R.DESC_SIZE);
    const addr = dv.getUint32(R.RXD_ADDR + 4, true) * 0x100000000 + dv.getUint32(R.RXD_ADDR, true);
    // A view, not a copy: the DMA log and the recorder see the very frame that arrived (the
    // frame object itself when it fits one buffer, so the recorder knows it without a look at
    // its memory).
    const bytes = needed === 1 ? frame : frame.subarray(k * bufSize, Math.min(frame.length, (k + 1) * bufSize));
    if (!host.dmaWrite(addr, bytes)) return dmaFault(core, index, addr, "receive buffer");
    const last = k === needed - 1;
    records.push({ index, addr, length: bytes.length, status: R.RXD_STAT_DD | (last ? R.RXD_STAT_EOP : 0), errors: 0, bytes, icount: 0n });
  }
  for (const r of records) {
    // length, checksum, status, errors, special (bytes 8..15 of the descriptor)
    const wb = new Uint8Array(8);
    new DataView(wb.buffer).setUint16(0, r.length, true);
    wb[R.RXD_STATUS - 8] = r.status;
    wb[R.RXD_ERRORS - 8] = r.errors;
    const descAddr = base + r.index * R.DESC_SIZE;
    if (!host.dmaWrite(descAddr + R.RXD_LENGTH, wb)) return dmaFault(core, r.index, descAddr, "receive descriptor write-back");
  }

  const newHead = (head + needed) % n;
  regs[R.RDH >> 2] = newHead;
  countFrame(regs, "rx", frame);
  let causes = R.ICR_RXT0;
  const rdmts = (rctl >>> R.RCTL_RDMTS_SHIFT) & R.RCTL_RDMTS_MASK;
  if (((tail - newHead + n) % n) * R.DESC_SIZE <= rdlen >>> (rdmts + 1)) causes |= R.ICR_RXDMT0;
  core.raise(causes);
  const icount = host.icount();
  core.emitRx(records.map((r) => ({ ...r, icount })));
  return "delivered";
}

function ringFault(core: E1000Core, register: string, value: number, detail: string): ReceiveResult {
  core.fault({ kind: "bad-ring", register, address: value, detail });
  return "dropped-fault";
}

function dmaFault(core: E1000Core, index: number, address: number, what: string): ReceiveResult {
  core.fault({
    kind: "dma-out-of-range",
    descriptor: { ring: "rx", index },
    address,
    detail: `${what} at 0x${address.toString(16)} is not guest RAM; frame dropped`,
  });
  return "dropped-fault";
}
