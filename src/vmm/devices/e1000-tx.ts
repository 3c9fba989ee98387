// Transmit path: legacy transmit descriptor ring, frame assembly until EOP, TX causes (SDM 3.3).
import type { E1000Core, TxDmaRecord } from "./e1000.js";
import * as R from "./e1000-regs.js";
import { countFrame } from "./e1000-stats.js";
import { copyTransmitted } from "../frame-slabs";

/** A frame being gathered from descriptors; survives between TDT writes until EOP. */
export interface TxAssembly {
  chunks: Uint8Array[];
  length: number;
  /** A buffer of this frame faulted: the frame is discarded at EOP. */
  faulted: boolean;
}

const EMPTY = new Uint8Array(0);
/**
 * Reused on every TDT write (the model never runs two at once): the descriptor being processed,
 * and the frames one write completes. The engine of a stream server takes a TDT write per packet,
 * and each of these was an allocation on its thread.
 */
const DESC = new Uint8Array(R.DESC_SIZE);
const FRAMES: Uint8Array[] = [];
const NO_RECORDS: TxDmaRecord[] = [];
/** The descriptor status byte written back (DD): the host copies it out at once. */
const STATUS_BYTE = new Uint8Array(1);

/**
 * Processes descriptors TDH..TDT-1 (called on TDT and TCTL writes). Context and extended data
 * descriptors (DEXT=1) are skipped with a fault record. A descriptor that cannot be read stops the
 * ring where it is; a buffer that cannot be read spoils its frame, but the descriptor completes.
 */
export function processTransmit(core: E1000Core): void {
  const { regs, host, tx } = core;
  if (!(regs[R.TCTL >> 2]! & R.TCTL_EN)) return;
  const tdlen = regs[R.TDLEN >> 2]!;
  const n = tdlen / R.DESC_SIZE;
  let head = regs[R.TDH >> 2]!;
  const tail = regs[R.TDT >> 2]!;
  if (head === tail) return core.raise(R.ICR_TXQE);
  if (n === 0) return ringFault(core, "TDLEN", tdlen, "transmit ring length is 0");
  if (head >= n) return ringFault(core, "TDH", head, `TDH ${head} is past the ${n}-descriptor ring`);
  if (tail >= n) return ringFault(core, "TDT", tail, `TDT ${tail} is past the ${n}-descriptor ring`);

  const base = regs[R.TDBAH >> 2]! * 0x100000000 + regs[R.TDBAL >> 2]!;
  // Descriptor records only for listeners (a DMA log): a server's engine keeps none, and making
  // them cost its thread an object and a BigInt per packet.
  const icount = core.wantsTxRecords() ? host.icount() : -1n; // the guest stands still while its TDT write is handled
  const records: TxDmaRecord[] = icount >= 0n ? [] : NO_RECORDS;
  const frames = FRAMES;
  frames.length = 0;
  let causes = 0;
  while (head !== tail) {
    const descAddr = base + head * R.DESC_SIZE;
    const desc = host.dmaReadInto ? host.dmaReadInto(descAddr, DESC) && DESC : host.dmaRead(descAddr, R.DESC_SIZE);
    if (!desc || desc.length < R.DESC_SIZE) {
      dmaFault(core, head, descAddr, "transmit descriptor");
      break;
    }
    const addr = u32(desc, R.TXD_ADDR + 4) * 0x100000000 + u32(desc, R.TXD_ADDR);
    const length = desc[R.TXD_LENGTH]! | (desc[R.TXD_LENGTH + 1]! << 8);
    const cmd = desc[R.TXD_CMD]!;
    let bytes: Uint8Array = EMPTY;
    if (cmd & R.TXD_CMD_DEXT) {
      core.fault({
        kind: "unsupported-descriptor",
        descriptor: { ring: "tx", index: head },
        address: descAddr,
        detail: "context/extended data descriptor (DEXT=1): TSO and checksum offload are not modelled; skipped",
      });
    } else {
      if (cmd & R.TXD_CMD_IDE) core.markTxIde();
      if (length > 0) {
        const data = host.dmaRead(addr, length);
        if (!data || data.length < length) {
          dmaFault(core, head, addr, "transmit buffer");
          tx.faulted = true;
        } else {
          // A copy, since the guest may reuse its buffer at once (frame-slabs.ts says where).
          bytes = copyTransmitted(data);
          append(core, tx, bytes, head, descAddr);
        }
      }
      if (cmd & R.TXD_CMD_EOP) {
        const frame = finishFrame(core, tx);
        if (frame) frames.push(frame);
      }
    }
    let status = desc[R.TXD_STATUS]!;
    if (cmd & (R.TXD_CMD_RS | R.TXD_CMD_RPS)) {
      status |= R.TXD_STAT_DD;
      STATUS_BYTE[0] = status;
      if (!host.dmaWrite(descAddr + R.TXD_STATUS, STATUS_BYTE)) dmaFault(core, head, descAddr, "transmit descriptor write-back");
      causes |= R.ICR_TXDW;
    }
    if (icount >= 0n) records.push({ index: head, addr, length, cmd, status, bytes, icount });
    head = (head + 1) % n;
    regs[R.TDH >> 2] = head;
  }
  if (head === tail) causes |= R.ICR_TXQE;
  core.raise(causes);
  core.emitTx(records, frames);
  frames.length = 0;
}

/** Little-endian u32 at `o` (descriptor fields; the descriptor may be a view of guest memory). */
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function append(core: E1000Core, tx: TxAssembly, bytes: Uint8Array, index: number, descAddr: number): void {
  if (tx.faulted) return;
  if (tx.length + bytes.length > R.TX_MAX_FRAME) {
    core.fault({
      kind: "tx-oversize",
      descriptor: { ring: "tx", index },
      address: descAddr,
      detail: `frame grew past ${R.TX_MAX_FRAME} bytes without EOP; discarded`,
    });
    tx.faulted = true;
    return;
  }
  tx.chunks.push(bytes);
  tx.length += bytes.length;
}

/** Completes the assembled frame: the bytes to send, or undefined if it was spoilt or cannot go out. */
function finishFrame(core: E1000Core, tx: TxAssembly): Uint8Array | undefined {
  const { regs, stats } = core;
  const faulted = tx.faulted;
  // one descriptor per frame is the common case: its bytes (already a copy) are the frame
  let frame = tx.chunks.length === 1 ? tx.chunks[0]! : new Uint8Array(tx.length);
  if (tx.chunks.length !== 1) {
    let at = 0;
    for (const c of tx.chunks) {
      frame.set(c, at);
      at += c.length;
    }
  }
  tx.chunks.length = 0; // the same array from frame to frame
  tx.length = 0;
  tx.faulted = false;
  if (faulted) {
    stats.txDropped.fault++;
    return undefined;
  }
  if (!core.linkUp()) {
    stats.txDropped.linkDown++;
    return undefined;
  }
  if (frame.length < R.ETH_MIN_FRAME && regs[R.TCTL >> 2]! & R.TCTL_PSP) {
    const padded = new Uint8Array(R.ETH_MIN_FRAME);
    padded.set(frame);
    frame = padded;
  }
  countFrame(regs, "tx", frame);
  stats.txFrames++;
  return frame;
}

function ringFault(core: E1000Core, register: string, value: number, detail: string): void {
  core.fault({ kind: "bad-ring", register, address: value, detail });
}

function dmaFault(core: E1000Core, index: number, address: number, what: string): void {
  core.fault({
    kind: "dma-out-of-range",
    descriptor: { ring: "tx", index },
    address,
    detail: `${what} at 0x${address.toString(16)} is not guest RAM`,
  });
}
