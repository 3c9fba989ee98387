// Intel 82540EM (e1000) device model: registers, interrupts, mitigation, link, snapshots.
// Knows nothing of v86: the host maps BAR0 onto mmioRead32/mmioWrite32, provides DMA, time and
// the INTx line, and feeds frames to receive(). Behaviour follows the 8254x SDM (rev 4.0) and
// QEMU's hw/net/e1000.c; see /work/shared/docs/e1000.md. Receive and transmit engines live in
// e1000-rx.ts and e1000-tx.ts.
import { Listeners } from "../listeners";
import * as R from "./e1000-regs.js";
import { buildEeprom, eepromWord } from "./e1000-eeprom.js";
import { receiveFrame, rxBufferSize } from "./e1000-rx.js";
import { cloneStats, emptyStats, type E1000Stats } from "./e1000-stats.js";
import { processTransmit, type TxAssembly } from "./e1000-tx.js";

export type { E1000Stats } from "./e1000-stats.js";

export interface E1000Host {
  /**
   * Guest-physical DMA. Return false when [addr, addr+len) is not RAM: the model must then treat
   * it as a DMA fault. The bytes may be a view of guest memory, valid only until the next DMA
   * write or guest instruction: the model copies what it keeps.
   */
  dmaRead(addr: number, len: number): Uint8Array | false;
  /** Copies out.length bytes from `addr` into `out` (false: not RAM), where the host can do it without a view per call (a descriptor per packet). */
  dmaReadInto?(addr: number, out: Uint8Array): boolean;
  dmaWrite(addr: number, data: Uint8Array): boolean;
  /** Level of the INTx line: asserted while (ICR & IMS) != 0. The host latches it and delivers at a safe point. */
  setIrqLevel(asserted: boolean): void;
  /** Virtual time in nanoseconds (derived from the instruction count); used for interrupt mitigation timers. */
  nowNs(): number;
  /** The 64-bit instruction count, for log records. */
  icount(): bigint;
}

export interface E1000Options {
  /** Station address, 6 bytes: goes to the EEPROM (words 0-2) and RAL0/RAH0. */
  mac: Uint8Array;
}

/** What receive() did with a frame. "dropped-filtered": not addressed to us (RCTL filters) or too long. */
export type ReceiveResult = "delivered" | "dropped-disabled" | "dropped-filtered" | "dropped-ring-full" | "dropped-fault";

export type E1000FaultKind =
  | "dma-out-of-range" // a descriptor or buffer address the host says is not RAM
  | "bad-ring" // zero/unaligned ring length, unaligned base, head or tail past the ring
  | "unsupported-descriptor" // TX context/data descriptor (DEXT=1): TSO and offloads are not modelled
  | "tx-oversize"; // descriptors chained past TX_MAX_FRAME bytes without EOP

/** A guest programming error the model survived. */
export interface E1000Fault {
  kind: E1000FaultKind;
  /** The register involved (datasheet name), for ring faults. */
  register?: string;
  /** The descriptor involved, for DMA and descriptor faults. */
  descriptor?: { ring: "rx" | "tx"; index: number };
  /** Guest-physical address (descriptor or buffer), or the offending register value. */
  address: number;
  detail: string;
  icount: bigint;
}

/** One receive descriptor the device wrote back (fired per descriptor, after RDH moved). */
export interface RxDmaRecord {
  index: number;
  /** Buffer address from the descriptor. */
  addr: number;
  length: number;
  status: number;
  errors: number;
  /** The bytes written to the buffer. */
  bytes: Uint8Array;
  icount: bigint;
}

/** One transmit descriptor the device consumed (fired per descriptor, after TDH moved). */
export interface TxDmaRecord {
  index: number;
  addr: number;
  length: number;
  cmd: number;
  /** Status byte after write-back (DD only if RS was set). */
  status: number;
  /** The bytes read from the buffer (empty for skipped or faulting descriptors). */
  bytes: Uint8Array;
  icount: bigint;
}

/** JSON-serialisable snapshot of everything the model holds. */
export interface E1000State {
  version: 1;
  mac: number[];
  /** Non-zero register words as [byte offset, value]. */
  regs: Array<[number, number]>;
  phy: number[];
  cableConnected: boolean;
  linkUp: boolean;
  irqLine: boolean;
  mitDeadlineNs: number | null;
  mitTxIde: boolean;
  tx: { bytes: string; faulted: boolean };
  stats: E1000Stats;
  faults: Array<Omit<E1000Fault, "icount"> & { icount: string }>;
}

/** What the receive and transmit engines need from the device. */
export interface E1000Core {
  readonly host: E1000Host;
  readonly regs: Uint32Array;
  readonly stats: E1000Stats;
  readonly tx: TxAssembly;
  linkUp(): boolean;
  raise(causes: number): void;
  /** TX descriptor with IDE set: the next TX interrupt is subject to TADV. */
  markTxIde(): void;
  fault(f: Omit<E1000Fault, "icount">): void;
  emitRx(records: RxDmaRecord[]): void;
  emitTx(records: TxDmaRecord[], frames: Uint8Array[]): void;
  /** Whether anyone listens for transmit descriptor records (none: the records are not made). */
  wantsTxRecords(): boolean;
}

export const FAULT_LOG_LIMIT = 64;

/** Registers that read back what was written, with no side effect (besides the special cases). */
function isStorageRegister(off: number): boolean {
  if (off >= R.MTA && off < R.MTA + 4 * R.MTA_COUNT) return true;
  if (off >= R.RAL0 && off < R.RAL0 + 8 * R.RA_COUNT) return true;
  if (off >= 0x5600 && off < 0x5800) return true; // VFTA, VLAN filter table (13.5.5)
  return STORAGE.has(off);
}
const STORAGE = new Set<number>([
  R.CTRL,
  R.EECD,
  R.RCTL,
  R.TCTL,
  R.RDBAH,
  R.TDBAH,
  R.RDTR,
  R.RADV,
  R.TIDV,
  R.TADV,
  R.ITR,
  0x0018 /* CTRL_EXT */,
  0x0028 /* FCAL */,
  0x002c /* FCAH */,
  0x0030 /* FCT */,
  0x0038 /* VET */,
  0x0170 /* FCTTV */,
  0x0178 /* TXCW */,
  0x0e00 /* LEDCTL */,
  0x1000 /* PBA */,
  0x0410 /* TIPG */,
  0x0458 /* AIFS */,
  0x2160 /* FCRTL */,
  0x2168 /* FCRTH */,
  0x2828 /* RXDCTL */,
  0x3828 /* TXDCTL */,
  0x5000 /* RXCSUM */,
  0x5800 /* WUC */,
  0x5808 /* WUFC */,
  0x5820 /* MANC */,
]);

const PHY_RESET: readonly number[] = (() => {
  const p = new Array<number>(32).fill(0);
  p[R.PHY_CTRL] = 0x1140; // auto-negotiation enabled, 1000 Mb/s, full duplex
  p[R.PHY_ID1] = 0x0141; // Marvell 88E1011, the 82540EM's PHY
  p[R.PHY_ID2] = 0x0c20;
  return p;
})();

export class E1000 {
  static readonly VENDOR_ID = R.PCI_VENDOR_INTEL;
  static readonly DEVICE_ID = R.PCI_DEVICE_82540EM;
  static readonly CLASS_CODE = R.PCI_CLASS_ETHERNET;
  static readonly BAR0_SIZE = R.BAR0_SIZE;

  private readonly regs = new Uint32Array(R.BAR0_SIZE / 4);
  private mac: Uint8Array;
  private eeprom: Uint16Array;
  private phy: number[] = [...PHY_RESET];
  private cableConnected = true;
  private link = false;
  private irqLine = false;
  private mitDeadlineNs: number | undefined;
  private mitTxIde = false;
  private readonly tx: TxAssembly = { chunks: [], length: 0, faulted: false };
  private stats = emptyStats();
  private faultLog: E1000Fault[] = [];
  private readonly core: E1000Core;

  private readonly icrRead = new Listeners<number>();
  private readonly rdtWrite = new Listeners<number, number>();
  private readonly rxDma = new Listeners<RxDmaRecord>();
  private readonly txDma = new Listeners<TxDmaRecord>();
  private readonly transmit = new Listeners<Uint8Array>();
  private readonly faultListeners = new Listeners<E1000Fault>();

  constructor(
    private readonly host: E1000Host,
    options: E1000Options,
  ) {
    if (options.mac.length !== 6) throw new RangeError(`E1000: mac must be 6 bytes, got ${options.mac.length}`);
    this.mac = Uint8Array.from(options.mac);
    this.eeprom = buildEeprom(this.mac);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the stats getter reads the live field
    const self = this;
    this.core = {
      host,
      regs: this.regs,
      get stats() {
        return self.stats;
      },
      tx: this.tx,
      linkUp: () => this.link,
      raise: (c) => this.raise(c),
      markTxIde: () => {
        this.mitTxIde = true;
      },
      fault: (f) => this.recordFault(f),
      emitRx: (records) => {
        for (let i = 0; i < records.length; i++) this.rxDma.emit(records[i]!, undefined);
      },
      emitTx: (records, frames) => {
        for (let i = 0; i < records.length; i++) this.txDma.emit(records[i]!, undefined);
        for (let i = 0; i < frames.length; i++) this.transmit.emit(frames[i]!, undefined);
      },
      wantsTxRecords: () => this.txDma.any,
    };
    this.reset();
  }

  // ---- listeners ----------------------------------------------------------------------------
  /** Guest read ICR; `icr` is the value it got (ICR is already cleared when this runs). */
  onIcrRead(fn: (icr: number) => void): () => void {
    return this.icrRead.add(fn);
  }
  /** Guest wrote RDT (after the store). */
  onRdtWrite(fn: (oldRdt: number, newRdt: number) => void): () => void {
    return this.rdtWrite.add(fn);
  }
  onRxDma(fn: (record: RxDmaRecord) => void): () => void {
    return this.rxDma.add(fn);
  }
  onTxDma(fn: (record: TxDmaRecord) => void): () => void {
    return this.txDma.add(fn);
  }
  /** A frame the guest transmitted (no FCS; padded to 60 bytes only if TCTL.PSP). */
  onTransmit(fn: (frame: Uint8Array) => void): () => void {
    return this.transmit.add(fn);
  }
  onFault(fn: (fault: E1000Fault) => void): () => void {
    return this.faultListeners.add(fn);
  }

  // ---- host-facing --------------------------------------------------------------------------
  /** Offers a frame from the wire (without FCS). Synchronous: DMA and causes happen now. */
  receive(frame: Uint8Array): ReceiveResult {
    this.stats.rxFrames++;
    const r = receiveFrame(this.core, frame);
    const d = this.stats.rxDropped;
    if (r === "delivered") this.stats.rxDelivered++;
    else if (r === "dropped-disabled") d.disabled++;
    else if (r === "dropped-filtered") d.filtered++;
    else if (r === "dropped-ring-full") d.ringFull++;
    else d.fault++;
    return r;
  }

  /** True when a frame of `length` bytes would be delivered now (for a host that queues instead of dropping). */
  canReceive(length = R.ETH_MIN_FRAME): boolean {
    const n = this.regs[R.RDLEN >> 2]! / R.DESC_SIZE;
    const head = this.regs[R.RDH >> 2]!;
    const tail = this.regs[R.RDT >> 2]!;
    if (!(this.regs[R.RCTL >> 2]! & R.RCTL_EN) || !this.link || n === 0 || head >= n || tail >= n) return false;
    const free = (tail - head + n) % n;
    return free * rxBufferSize(this.regs[R.RCTL >> 2]!) >= Math.max(length, R.ETH_MIN_FRAME);
  }

  /** Plug or unplug the cable; link follows (cable && CTRL.SLU) and LSC is raised on a change. */
  setCableConnected(connected: boolean): void {
    this.cableConnected = connected;
    this.updateLink();
  }

  get linkUp(): boolean {
    return this.link;
  }
  /** Current INTx level as last given to setIrqLevel. */
  get irqAsserted(): boolean {
    return this.irqLine;
  }

  getStats(): E1000Stats {
    return cloneStats(this.stats);
  }
  /** The newest FAULT_LOG_LIMIT faults, oldest first. */
  getFaults(): E1000Fault[] {
    return this.faultLog.map((f) => ({ ...f }));
  }

  /** When the held interrupt edge is due (virtual ns), if mitigation is holding one. */
  nextDeadlineNs(): number | undefined {
    return this.mitDeadlineNs;
  }

  /** Host calls this at safe points with the current virtual time; posts a held edge whose deadline passed. */
  advance(nowNs: number): void {
    if (this.mitDeadlineNs === undefined || nowNs < this.mitDeadlineNs) return;
    this.mitDeadlineNs = undefined;
    this.setLine((this.regs[R.ICR >> 2]! & this.regs[R.IMS >> 2]!) !== 0);
  }

  // ---- MMIO ---------------------------------------------------------------------------------
  mmioRead32(offset: number): number {
    const off = (offset >>> 0) & ~3;
    if (off >= R.BAR0_SIZE) return 0;
    const regs = this.regs;
    switch (off) {
      case R.ICR: {
        const v = regs[R.ICR >> 2]!;
        regs[R.ICR >> 2] = 0;
        this.updateIrq();
        this.icrRead.emit(v, undefined);
        return v;
      }
      case R.ICS: // write-only in the SDM; real parts (and QEMU) return ICR without clearing
        return regs[R.ICR >> 2]!;
      case R.STATUS:
        return R.STATUS_FD | R.STATUS_SPEED_1000 | (this.link ? R.STATUS_LU : 0);
      case R.EECD:
        return regs[off >> 2]! | R.EECD_PRES;
      case R.IMS:
      case R.EERD:
      case R.MDIC:
      case R.RDBAL:
      case R.TDBAL:
      case R.RDLEN:
      case R.TDLEN:
      case R.RDH:
      case R.RDT:
      case R.TDH:
      case R.TDT:
        return regs[off >> 2]!;
    }
    if (off >= R.STATS_FIRST && off <= R.STATS_LAST) return this.readStat(off);
    return isStorageRegister(off) ? regs[off >> 2]! : 0;
  }

  mmioWrite32(offset: number, value: number): void {
    const off = (offset >>> 0) & ~3;
    if (off >= R.BAR0_SIZE) return;
    const v = value >>> 0;
    const regs = this.regs;
    const i = off >> 2;
    switch (off) {
      case R.CTRL:
        if (v & R.CTRL_RST) return this.reset(); // self-clearing
        regs[i] = (v & ~R.CTRL_PHY_RST) >>> 0;
        return this.updateLink();
      case R.EERD: {
        if (!(v & R.EERD_START)) {
          regs[i] = v & ~R.EERD_DONE;
          return;
        }
        const addr = (v >>> R.EERD_ADDR_SHIFT) & R.EERD_ADDR_MASK;
        regs[i] = (R.EERD_DONE | (addr << R.EERD_ADDR_SHIFT) | (eepromWord(this.eeprom, addr) << R.EERD_DATA_SHIFT)) >>> 0;
        return;
      }
      case R.MDIC:
        return this.writeMdic(v);
      case R.ICR: // write 1 to clear
        regs[i] = regs[i]! & ~v;
        return this.updateIrq();
      case R.ICS:
        return this.raise(v & R.ICR_VALID_MASK);
      case R.IMS:
        regs[i] = (regs[i]! | (v & R.ICR_VALID_MASK)) >>> 0;
        return this.updateIrq();
      case R.IMC:
        regs[R.IMS >> 2] = regs[R.IMS >> 2]! & ~v;
        return this.updateIrq();
      case R.ITR:
      case R.RDTR:
      case R.RADV:
      case R.TIDV:
      case R.TADV:
        regs[i] = v & R.DELAY_MASK;
        return;
      case R.RDBAL:
      case R.TDBAL:
        if (v & 0xf) this.recordFault({ kind: "bad-ring", register: off === R.RDBAL ? "RDBAL" : "TDBAL", address: v, detail: "ring base not 16-byte aligned; low 4 bits ignored" });
        regs[i] = v & ~0xf;
        return;
      case R.RDLEN:
      case R.TDLEN:
        if (v & ~R.RING_LEN_MASK)
          this.recordFault({ kind: "bad-ring", register: off === R.RDLEN ? "RDLEN" : "TDLEN", address: v, detail: "ring length not a multiple of 128 (or past 20 bits); extra bits ignored" });
        regs[i] = v & R.RING_LEN_MASK;
        return;
      case R.RDH:
      case R.TDH:
        regs[i] = v & R.RING_INDEX_MASK;
        return;
      case R.RDT: {
        const old = regs[i]!;
        regs[i] = v & R.RING_INDEX_MASK;
        this.rdtWrite.emit(old, regs[i]!);
        return;
      }
      case R.TDT:
        regs[i] = v & R.RING_INDEX_MASK;
        return processTransmit(this.core);
      case R.TCTL:
        regs[i] = v;
        return processTransmit(this.core);
      case R.STATUS:
        return; // read-only
    }
    if (off >= R.STATS_FIRST && off <= R.STATS_LAST) return; // counters are read-only
    if (isStorageRegister(off)) regs[i] = v;
  }

  /** 16-bit access within a 32-bit register. Reading ICR this way still clears all of it. */
  mmioRead16(offset: number): number {
    return (this.mmioRead32(offset) >>> ((offset & 2) * 8)) & 0xffff;
  }
  mmioRead8(offset: number): number {
    return (this.mmioRead32(offset) >>> ((offset & 3) * 8)) & 0xff;
  }
  mmioWrite16(offset: number, value: number): void {
    this.writePartial(offset, value & 0xffff, 0xffff << ((offset & 2) * 8), (offset & 2) * 8);
  }
  mmioWrite8(offset: number, value: number): void {
    this.writePartial(offset, value & 0xff, 0xff << ((offset & 3) * 8), (offset & 3) * 8);
  }

  // ---- snapshots ----------------------------------------------------------------------------
  getState(): E1000State {
    const regs: Array<[number, number]> = [];
    const file = this.regs;
    for (let i = 0; i < file.length; i++) if (file[i] !== 0) regs.push([i * 4, file[i]!]);
    const txBytes = new Uint8Array(this.tx.length);
    let at = 0;
    for (const c of this.tx.chunks) {
      txBytes.set(c, at);
      at += c.length;
    }
    return {
      version: 1,
      mac: [...this.mac],
      regs,
      phy: [...this.phy],
      cableConnected: this.cableConnected,
      linkUp: this.link,
      irqLine: this.irqLine,
      mitDeadlineNs: this.mitDeadlineNs ?? null,
      mitTxIde: this.mitTxIde,
      tx: { bytes: Buffer.from(txBytes).toString("base64"), faulted: this.tx.faulted },
      stats: cloneStats(this.stats),
      faults: this.faultLog.map((f) => ({ ...f, icount: f.icount.toString() })),
    };
  }

  /** Restores a getState() snapshot exactly, then re-drives the INTx line to the restored level. */
  setState(s: E1000State): void {
    if (s?.version !== 1) throw new TypeError(`E1000 state: unsupported version ${String(s?.version)} (expected 1)`);
    if (!Array.isArray(s.mac) || s.mac.length !== 6) throw new TypeError("E1000 state: mac must be 6 bytes");
    this.mac = Uint8Array.from(s.mac);
    this.eeprom = buildEeprom(this.mac);
    this.regs.fill(0);
    for (const [off, v] of s.regs) {
      if (off >= 0 && off < R.BAR0_SIZE && off % 4 === 0) this.regs[off >> 2] = v;
    }
    this.phy = [...s.phy];
    this.cableConnected = s.cableConnected;
    this.link = s.linkUp;
    this.mitDeadlineNs = s.mitDeadlineNs ?? undefined;
    this.mitTxIde = s.mitTxIde;
    const bytes = Uint8Array.from(Buffer.from(s.tx.bytes, "base64"));
    this.tx.chunks = bytes.length ? [bytes] : [];
    this.tx.length = bytes.length;
    this.tx.faulted = s.tx.faulted;
    this.stats = cloneStats(s.stats);
    this.faultLog = s.faults.map((f) => ({ ...f, icount: BigInt(f.icount) }));
    this.irqLine = s.irqLine;
    this.host.setIrqLevel(this.irqLine);
  }

  // ---- internals ----------------------------------------------------------------------------
  /** CTRL.RST and power-on: registers to defaults, MAC in RAL0/RAH0, link renegotiated. */
  private reset(): void {
    const r = this.regs;
    r.fill(0);
    r[R.CTRL >> 2] = R.CTRL_RESET_VALUE;
    const m = this.mac;
    r[R.RAL0 >> 2] = (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0;
    r[R.RAH0 >> 2] = (m[4]! | (m[5]! << 8) | R.RAH_AV) >>> 0;
    this.phy = [...PHY_RESET];
    this.mitDeadlineNs = undefined;
    this.mitTxIde = false;
    this.tx.chunks = [];
    this.tx.length = 0;
    this.tx.faulted = false;
    this.link = false;
    this.setLine(false);
    this.updateLink(); // link comes back up (SLU is in the reset value): LSC, masked since IMS = 0
  }

  private updateLink(): void {
    const up = this.cableConnected && (this.regs[R.CTRL >> 2]! & R.CTRL_SLU) !== 0;
    if (up === this.link) return;
    this.link = up;
    this.raise(R.ICR_LSC);
  }

  private writeMdic(v: number): void {
    const phyAddr = (v >>> R.MDIC_PHY_SHIFT) & 0x1f;
    const reg = (v >>> R.MDIC_REG_SHIFT) & 0x1f;
    let out = v & ~(R.MDIC_READY | R.MDIC_ERROR);
    if (phyAddr !== R.PHY_ADDRESS) out |= R.MDIC_ERROR;
    else if (v & R.MDIC_OP_READ) out = (out & ~R.MDIC_DATA_MASK) | this.phyRead(reg);
    else if (v & R.MDIC_OP_WRITE) this.phy[reg] = reg === R.PHY_CTRL ? v & 0x7fff : v & R.MDIC_DATA_MASK; // PHY reset self-clears
    this.regs[R.MDIC >> 2] = (out | R.MDIC_READY) >>> 0;
    if (v & R.MDIC_INT_EN) this.raise(R.ICR_MDAC);
  }

  private phyRead(reg: number): number {
    if (reg === R.PHY_STATUS) return 0x7949 | (this.link ? R.PHY_STATUS_LINK | R.PHY_STATUS_ANEG_DONE : 0);
    return this.phy[reg] ?? 0;
  }

  /** Statistics are read-to-clear (SDM 13.7); a 64-bit pair clears when its high half is read. */
  private readStat(off: number): number {
    const i = off >> 2;
    const v = this.regs[i]!;
    if (R.STATS_HIGH_HALVES.includes(off)) {
      this.regs[i - 1] = 0;
      this.regs[i] = 0;
    } else if (!R.STATS_HIGH_HALVES.includes(off + 4)) {
      this.regs[i] = 0;
    }
    return v;
  }

  /** Sub-word write: command registers (ICR/ICS/IMS/IMC, which act on set bits) get only the new bits. */
  private writePartial(offset: number, lane: number, mask: number, shift: number): void {
    const off = (offset >>> 0) & ~3;
    if (off >= R.BAR0_SIZE) return;
    const shifted = (lane << shift) >>> 0;
    if (off === R.ICR || off === R.ICS || off === R.IMS || off === R.IMC) return this.mmioWrite32(off, shifted);
    const current = this.peek(off);
    this.mmioWrite32(off, ((current & ~mask) | shifted) >>> 0);
  }

  /** A register's value as the guest would read it, but without read side effects (for debuggers). */
  peekRegister(offset: number): number {
    const off = (offset >>> 0) & ~3;
    return off < R.BAR0_SIZE ? this.peek(off) >>> 0 : 0;
  }

  /** The register's value without read side effects. */
  private peek(off: number): number {
    if (off === R.STATUS) return this.mmioRead32(off);
    return this.regs[off >> 2]!;
  }

  private raise(causes: number): void {
    if (!causes) return;
    this.regs[R.ICR >> 2] = (this.regs[R.ICR >> 2]! | causes) >>> 0;
    this.updateIrq();
  }

  /**
   * INTx follows (ICR & IMS) != 0, except that a rising edge is held for the mitigation delay:
   * the largest of ITR x 256 ns, RADV x 1.024 us (if RDTR != 0 and RXT0 is pending) and
   * TADV x 1.024 us (if an IDE descriptor was sent and TXDW/TXQE is pending). Causes are in ICR at
   * once, as in QEMU, so a polling driver sees them; only the line waits.
   */
  private updateIrq(): void {
    const pending = this.regs[R.ICR >> 2]! & this.regs[R.IMS >> 2]!;
    if (pending === 0) return this.setLine(false);
    if (this.irqLine || this.mitDeadlineNs !== undefined) return;
    const delay = this.mitigationDelayNs(pending);
    if (delay > 0) {
      this.mitDeadlineNs = this.host.nowNs() + delay;
      this.mitTxIde = false;
      return;
    }
    this.setLine(true);
  }

  private mitigationDelayNs(pending: number): number {
    const reg = (o: number): number => this.regs[o >> 2]! & R.DELAY_MASK;
    let d = reg(R.ITR) * R.ITR_UNIT_NS;
    if (reg(R.RDTR) !== 0 && pending & R.ICR_RXT0) d = Math.max(d, reg(R.RADV) * R.DELAY_UNIT_NS);
    if (this.mitTxIde && pending & (R.ICR_TXDW | R.ICR_TXQE)) d = Math.max(d, reg(R.TADV) * R.DELAY_UNIT_NS);
    return d;
  }

  private setLine(asserted: boolean): void {
    if (asserted === this.irqLine) return;
    this.irqLine = asserted;
    this.host.setIrqLevel(asserted);
  }

  private recordFault(f: Omit<E1000Fault, "icount">): void {
    const fault: E1000Fault = { ...f, icount: this.host.icount() };
    this.stats.faults++;
    this.faultLog.push(fault);
    if (this.faultLog.length > FAULT_LOG_LIMIT) this.faultLog.shift();
    this.faultListeners.emit(fault, undefined);
  }
}
