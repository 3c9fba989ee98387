// The e1000 model driven the way a small guest driver drives it, over a fake guest RAM.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { E1000, FAULT_LOG_LIMIT, type E1000Fault, type E1000Host, type E1000State, type RxDmaRecord, type TxDmaRecord } from "../../src/vmm/devices/e1000.js";
import * as R from "../../src/vmm/devices/e1000-regs.js";

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const RAM_SIZE = 1 << 20;
// Guest memory layout used by the driver below.
const RX_RING = 0x10000;
const RX_BUFS = 0x20000;
const TX_RING = 0x40000;
const TX_BUFS = 0x50000;
const BUF = 2048;

class FakeHost implements E1000Host {
  mem = new Uint8Array(RAM_SIZE);
  now = 0;
  ic = 0n;
  level = false;
  edges: boolean[] = [];
  dmaRead(addr: number, len: number): Uint8Array | false {
    if (!Number.isSafeInteger(addr) || addr < 0 || addr + len > this.mem.length) return false;
    return this.mem.slice(addr, addr + len);
  }
  dmaWrite(addr: number, data: Uint8Array): boolean {
    if (!Number.isSafeInteger(addr) || addr < 0 || addr + data.length > this.mem.length) return false;
    this.mem.set(data, addr);
    return true;
  }
  setIrqLevel(asserted: boolean): void {
    this.level = asserted;
    this.edges.push(asserted);
  }
  nowNs(): number {
    return this.now;
  }
  icount(): bigint {
    return this.ic;
  }
}

/** A minimal guest driver: what our OS's e1000 driver does, register by register. */
class Driver {
  readonly host = new FakeHost();
  readonly dev = new E1000(this.host, { mac: MAC });
  rxCount = 0;
  txCount = 0;
  txTail = 0;
  rxNext = 0;

  r(off: number): number {
    return this.dev.mmioRead32(off);
  }
  w(off: number, v: number): void {
    this.dev.mmioWrite32(off, v);
  }
  get mem(): DataView {
    return new DataView(this.host.mem.buffer);
  }

  /** Reset, clear pending causes, set up both rings; RCTL gets `rctl` on top of EN|BAM|SECRC. */
  init(opts: { rxCount?: number; txCount?: number; rctl?: number; ims?: number } = {}): void {
    this.w(R.CTRL, this.r(R.CTRL) | R.CTRL_RST);
    this.w(R.CTRL, this.r(R.CTRL) | R.CTRL_SLU | R.CTRL_ASDE);
    this.rxCount = opts.rxCount ?? 8;
    for (let i = 0; i < this.rxCount; i++) {
      this.mem.setUint32(RX_RING + 16 * i, RX_BUFS + BUF * i, true);
      this.mem.setUint32(RX_RING + 16 * i + 4, 0, true);
    }
    this.w(R.RDBAL, RX_RING);
    this.w(R.RDBAH, 0);
    this.w(R.RDLEN, this.rxCount * 16);
    this.w(R.RDH, 0);
    this.w(R.RDT, this.rxCount - 1);
    this.rxNext = 0;
    this.txCount = opts.txCount ?? 8;
    this.w(R.TDBAL, TX_RING);
    this.w(R.TDBAH, 0);
    this.w(R.TDLEN, this.txCount * 16);
    this.w(R.TDH, 0);
    this.w(R.TDT, 0);
    this.txTail = 0;
    this.w(R.TCTL, R.TCTL_EN | R.TCTL_PSP);
    this.w(R.RCTL, R.RCTL_EN | R.RCTL_BAM | R.RCTL_SECRC | (opts.rctl ?? 0));
    this.r(R.ICR); // drop LSC/TXQE from bring-up before unmasking
    if (opts.ims !== undefined) this.w(R.IMS, opts.ims);
  }

  rxDesc(i: number): { addr: number; length: number; status: number; errors: number } {
    const a = RX_RING + 16 * i;
    return { addr: this.mem.getUint32(a, true), length: this.mem.getUint16(a + 8, true), status: this.host.mem[a + 12]!, errors: this.host.mem[a + 13]! };
  }

  /** Consume every completed descriptor like an interrupt handler: clear status, hand back via RDT. */
  drainRx(): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let cur: number[] = [];
    for (;;) {
      const d = this.rxDesc(this.rxNext);
      if (!(d.status & R.RXD_STAT_DD)) break;
      cur.push(...this.host.mem.subarray(d.addr, d.addr + d.length));
      if (d.status & R.RXD_STAT_EOP) {
        frames.push(Uint8Array.from(cur));
        cur = [];
      }
      this.host.mem[RX_RING + 16 * this.rxNext + 12] = 0;
      this.w(R.RDT, this.rxNext);
      this.rxNext = (this.rxNext + 1) % this.rxCount;
    }
    return frames;
  }

  /** Queue one frame split over `parts` descriptors (RS where `rs` says), then write TDT. */
  send(parts: Uint8Array[], opts: { rs?: "all" | "last" | "none"; cmd?: number; addr?: number; eop?: boolean } = {}): void {
    const rsOn = opts.rs ?? "last";
    parts.forEach((p, k) => {
      const i = this.txTail;
      const buf = TX_BUFS + BUF * i;
      this.host.mem.set(p, buf);
      const a = TX_RING + 16 * i;
      this.mem.setUint32(a, opts.addr ?? buf, true);
      this.mem.setUint32(a + 4, 0, true);
      this.mem.setUint16(a + 8, p.length, true);
      const last = k === parts.length - 1 && opts.eop !== false;
      const rs = rsOn === "all" || (rsOn === "last" && last);
      this.host.mem[a + 11] = (last ? R.TXD_CMD_EOP : 0) | (rs ? R.TXD_CMD_RS : 0) | R.TXD_CMD_IFCS | (opts.cmd ?? 0);
      this.host.mem[a + 12] = 0;
      this.txTail = (this.txTail + 1) % this.txCount;
    });
    this.w(R.TDT, this.txTail);
  }
}

function frameTo(dst: Uint8Array | number[], len: number, seed = 1): Uint8Array {
  if (len < 14) return Uint8Array.from(dst).slice(0, len);
  const f = new Uint8Array(len);
  f.set(dst);
  f.set([0x02, 0, 0, 0, 0, 9], 6);
  f[12] = 0x08;
  f[13] = 0x00;
  for (let i = 14; i < len; i++) f[i] = (i * 7 + seed) & 0xff;
  return f;
}
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

describe("e1000 identity, reset and MAC", () => {
  it("exposes the 82540EM PCI identity", () => {
    assert.equal(E1000.VENDOR_ID, 0x8086);
    assert.equal(E1000.DEVICE_ID, 0x100e);
    assert.equal(E1000.CLASS_CODE, 0x020000);
    assert.equal(E1000.BAR0_SIZE, 0x20000);
  });

  it("reads the MAC from the EEPROM via EERD, with a valid checksum", () => {
    const d = new Driver();
    const word = (a: number): number => {
      d.w(R.EERD, R.EERD_START | (a << 8));
      const v = d.r(R.EERD);
      assert.ok(v & R.EERD_DONE, "DONE immediately");
      return v >>> 16;
    };
    const mac = [0, 1, 2].flatMap((a) => [word(a) & 0xff, word(a) >> 8]);
    assert.deepEqual(mac, [...MAC]);
    let sum = 0;
    for (let a = 0; a <= 0x3f; a++) sum += word(a);
    assert.equal(sum & 0xffff, 0xbaba);
  });

  it("holds the MAC in RAL0/RAH0 with AV; CTRL.RST self-clears and resets registers but keeps it", () => {
    const d = new Driver();
    assert.equal(d.r(R.RAL0), 0x12005452);
    assert.equal(d.r(R.RAH0), (0x5634 | R.RAH_AV) >>> 0);
    d.w(R.RCTL, R.RCTL_EN | R.RCTL_UPE);
    d.w(R.IMS, 0xff);
    d.w(R.RAL0, 0xdeadbeef);
    d.w(R.MTA + 8, 0x1234);
    assert.equal(d.r(R.MTA + 8), 0x1234, "MTA reads back");
    d.w(R.CTRL, d.r(R.CTRL) | R.CTRL_RST);
    assert.equal(d.r(R.CTRL) & R.CTRL_RST, 0, "RST self-clears");
    assert.equal(d.r(R.RCTL), 0);
    assert.equal(d.r(R.IMS), 0);
    assert.equal(d.r(R.MTA + 8), 0);
    assert.equal(d.r(R.RAL0), 0x12005452);
    assert.equal(d.r(R.RAH0), (0x5634 | R.RAH_AV) >>> 0);
  });

  it("has link up at 1000 Mb/s full duplex after reset, with LSC pending; unknown registers read 0", () => {
    const d = new Driver();
    const st = d.r(R.STATUS);
    assert.ok(st & R.STATUS_LU);
    assert.ok(st & R.STATUS_FD);
    assert.equal(st & 0xc0, R.STATUS_SPEED_1000);
    assert.equal(d.r(R.ICR), R.ICR_LSC);
    d.w(0x1234, 0xffffffff);
    assert.equal(d.r(0x1234), 0);
    assert.equal(d.r(0x20000), 0, "past the BAR");
  });

  it("drops the link when the cable goes or SLU is cleared, raising LSC each time", () => {
    const d = new Driver();
    d.init({ ims: R.ICR_LSC });
    d.dev.setCableConnected(false);
    assert.equal(d.r(R.STATUS) & R.STATUS_LU, 0);
    assert.equal(d.host.level, true);
    assert.equal(d.dev.receive(frameTo(BCAST, 64)), "dropped-disabled");
    assert.equal(d.r(R.ICR), R.ICR_LSC);
    d.dev.setCableConnected(true);
    assert.ok(d.r(R.STATUS) & R.STATUS_LU);
    assert.equal(d.r(R.ICR), R.ICR_LSC);
    d.w(R.CTRL, d.r(R.CTRL) & ~R.CTRL_SLU);
    assert.equal(d.r(R.STATUS) & R.STATUS_LU, 0);
    d.w(R.CTRL, d.r(R.CTRL) | R.CTRL_SLU);
    assert.ok(d.r(R.STATUS) & R.STATUS_LU);
  });

  it("answers PHY reads through MDIC with link status", () => {
    const d = new Driver();
    d.w(R.MDIC, R.MDIC_OP_READ | (R.PHY_ADDRESS << 21) | (R.PHY_STATUS << 16));
    const v = d.r(R.MDIC);
    assert.ok(v & R.MDIC_READY);
    assert.ok(v & R.PHY_STATUS_LINK);
    d.w(R.MDIC, R.MDIC_OP_READ | (7 << 21) | (R.PHY_ID1 << 16));
    assert.ok(d.r(R.MDIC) & R.MDIC_ERROR, "no PHY at address 7");
  });

  it("supports 8- and 16-bit accesses", () => {
    const d = new Driver();
    assert.equal(d.dev.mmioRead8(R.RAL0), 0x52);
    assert.equal(d.dev.mmioRead16(R.RAL0 + 2), 0x1200);
    d.dev.mmioWrite16(R.RCTL + 2, 0x0400);
    assert.equal(d.r(R.RCTL), R.RCTL_SECRC);
    d.dev.mmioWrite8(R.RCTL, R.RCTL_EN);
    assert.equal(d.r(R.RCTL), R.RCTL_SECRC | R.RCTL_EN);
    d.dev.mmioWrite8(R.IMS + 0, R.ICR_RXT0);
    d.dev.mmioWrite8(R.IMS + 0, R.ICR_TXDW);
    assert.equal(d.r(R.IMS), R.ICR_RXT0 | R.ICR_TXDW);
  });
});

describe("e1000 receive", () => {
  it("DMAs a frame into the ring with length, DD|EOP, RDH movement, RXT0 and counters", () => {
    const d = new Driver();
    d.init();
    const f = frameTo(MAC, 100);
    assert.equal(d.dev.receive(f), "delivered");
    const desc = d.rxDesc(0);
    assert.equal(desc.length, 100, "SECRC or not, no CRC is appended");
    assert.equal(desc.status, R.RXD_STAT_DD | R.RXD_STAT_EOP);
    assert.equal(desc.errors, 0);
    assert.deepEqual(d.host.mem.subarray(RX_BUFS, RX_BUFS + 100), f);
    assert.equal(d.r(R.RDH), 1);
    assert.equal(d.r(R.ICR) & R.ICR_RXT0, R.ICR_RXT0);
    assert.equal(d.r(R.GPRC), 1);
    assert.equal(d.r(R.GPRC), 0, "statistics clear on read");
    assert.equal(d.r(R.TPR), 1);
    assert.equal(d.r(R.GORCL), 104, "octets include the FCS");
    assert.equal(d.r(R.GORCH), 0);
    assert.equal(d.r(R.GORCL), 0, "reading the high half cleared the pair");
  });

  it("pads short frames to 60 bytes", () => {
    const d = new Driver();
    d.init();
    const f = frameTo(BCAST, 42);
    assert.equal(d.dev.receive(f), "delivered");
    assert.equal(d.rxDesc(0).length, 60);
    assert.deepEqual(d.host.mem.subarray(RX_BUFS, RX_BUFS + 42), f);
    assert.ok(d.host.mem.subarray(RX_BUFS + 42, RX_BUFS + 60).every((b) => b === 0));
  });

  it("filters by destination: own MAC, broadcast with BAM, UPE, MPE and the MTA hash", () => {
    const d = new Driver();
    d.init({ rctl: 0 });
    const other = [0x52, 0x54, 0x00, 0x99, 0x99, 0x99];
    const mcast = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
    assert.equal(d.dev.receive(frameTo(other, 64)), "dropped-filtered");
    assert.equal(d.dev.receive(frameTo(mcast, 64)), "dropped-filtered");
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "delivered");
    assert.equal(d.dev.receive(frameTo(BCAST, 64)), "delivered");
    // MTA, RCTL.MO = 0: hash = bits 47:36 of the address
    const hash = ((mcast[4]! >> 4) | (mcast[5]! << 4)) & 0xfff;
    d.w(R.MTA + 4 * (hash >> 5), 1 << (hash & 31));
    assert.equal(d.dev.receive(frameTo(mcast, 64)), "delivered");
    d.w(R.RCTL, d.r(R.RCTL) & ~R.RCTL_BAM);
    assert.equal(d.dev.receive(frameTo(BCAST, 64)), "dropped-filtered");
    d.w(R.RCTL, d.r(R.RCTL) | R.RCTL_UPE);
    assert.equal(d.dev.receive(frameTo(other, 64)), "delivered");
    d.w(R.RCTL, R.RCTL_EN);
    assert.equal(d.dev.receive(frameTo(MAC, 2000)), "dropped-filtered", "too long without LPE");
    assert.equal(d.r(R.ROC), 1);
    d.w(R.RCTL, 0);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-disabled");
    const s = d.dev.getStats();
    assert.equal(s.rxFrames, 9);
    assert.equal(s.rxDelivered, 4);
    assert.deepEqual(s.rxDropped, { disabled: 1, filtered: 4, ringFull: 0, fault: 0 });
  });

  it("wraps RDH at RDLEN/16 as the driver returns descriptors", () => {
    const d = new Driver();
    d.init({ rxCount: 8 });
    const got: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const f = frameTo(MAC, 64 + i, i);
      sent.push(f);
      assert.equal(d.dev.receive(f), "delivered", `frame ${i}`);
      if (i % 3 === 2) got.push(...d.drainRx());
    }
    got.push(...d.drainRx());
    assert.deepEqual(got, sent);
    assert.equal(d.r(R.RDH), 20 % 8);
  });

  it("spreads a frame over several small buffers, EOP on the last", () => {
    const d = new Driver();
    d.init({ rctl: 3 << R.RCTL_BSIZE_SHIFT }); // 256-byte buffers
    const f = frameTo(MAC, 600);
    assert.equal(d.dev.receive(f), "delivered");
    assert.deepEqual(
      [0, 1, 2].map((i) => d.rxDesc(i).length),
      [256, 256, 88],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => d.rxDesc(i).status),
      [R.RXD_STAT_DD, R.RXD_STAT_DD, R.RXD_STAT_DD | R.RXD_STAT_EOP],
    );
    assert.equal(d.r(R.RDH), 3);
    assert.deepEqual(d.drainRx(), [f]);
  });

  it("drops on a full ring (RDH == RDT): RXO, MPC and the receive() result", () => {
    const d = new Driver();
    d.init({ rxCount: 8, ims: R.ICR_RXO });
    for (let i = 0; i < 7; i++) assert.equal(d.dev.receive(frameTo(MAC, 64)), "delivered");
    assert.equal(d.r(R.RDH), d.r(R.RDT));
    d.r(R.ICR);
    assert.equal(d.host.level, false);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-ring-full");
    assert.equal(d.host.level, true, "RXO interrupts");
    assert.equal(d.r(R.ICR), R.ICR_RXO);
    assert.equal(d.r(R.MPC), 1);
    assert.equal(d.r(R.MPC), 0, "MPC clears on read");
    assert.equal(d.dev.getStats().rxDropped.ringFull, 1);
    assert.equal(d.dev.canReceive(), false);
    d.drainRx();
    assert.equal(d.dev.canReceive(), true);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "delivered");
  });

  it("raises RXDMT0 when free descriptors fall to the RDMTS threshold", () => {
    const d = new Driver();
    d.init({ rxCount: 16 }); // RDMTS = 1/2: free * 16 <= 256 >> 1, i.e. free <= 8
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      d.dev.receive(frameTo(MAC, 64));
      seen.push(d.r(R.ICR));
    }
    // RDT = 15: 15 free before; after frame k (1-based) 15 - k are free.
    assert.deepEqual(
      seen.map((icr) => (icr & R.ICR_RXDMT0 ? 1 : 0)),
      [0, 0, 0, 0, 0, 0, 1, 1],
    );
    const q = new Driver();
    q.init({ rxCount: 16, rctl: 1 << R.RCTL_RDMTS_SHIFT }); // 1/4: free <= 4
    let first = -1;
    for (let i = 0; i < 15 && first < 0; i++) {
      q.dev.receive(frameTo(MAC, 64));
      if (q.r(R.ICR) & R.ICR_RXDMT0) first = i + 1;
    }
    assert.equal(first, 11);
  });
});

describe("e1000 interrupts", () => {
  it("ICR reads clear, ICS sets, IMS/IMC mask, and INTx follows ICR & IMS", () => {
    const d = new Driver();
    d.init();
    d.host.edges = [];
    d.w(R.ICS, R.ICR_TXDW);
    assert.equal(d.host.level, false, "masked");
    assert.equal(d.r(R.ICS), R.ICR_TXDW, "ICS reads as ICR without clearing");
    d.w(R.IMS, R.ICR_TXDW | R.ICR_RXT0);
    assert.equal(d.host.level, true);
    assert.equal(d.r(R.IMS), R.ICR_TXDW | R.ICR_RXT0);
    d.w(R.IMC, R.ICR_TXDW);
    assert.equal(d.host.level, false, "IMC masks the pending cause");
    d.w(R.IMS, R.ICR_TXDW);
    assert.equal(d.host.level, true);
    assert.equal(d.r(R.ICR), R.ICR_TXDW);
    assert.equal(d.host.level, false, "read of ICR clears and deasserts");
    assert.equal(d.r(R.ICR), 0);
    d.w(R.ICS, R.ICR_RXT0 | R.ICR_TXQE);
    d.w(R.ICR, R.ICR_RXT0); // write 1 to clear
    assert.equal(d.host.level, false);
    assert.equal(d.r(R.ICR), R.ICR_TXQE);
    assert.deepEqual(d.host.edges, [true, false, true, false, true, false]);
  });

  it("RX asserts INTx immediately without mitigation", () => {
    const d = new Driver();
    d.init({ ims: R.ICR_RXT0 });
    d.dev.receive(frameTo(MAC, 64));
    assert.equal(d.host.level, true);
    assert.equal(d.dev.nextDeadlineNs(), undefined);
  });

  it("ITR holds the rising edge for ITR x 256 ns until advance() passes the deadline", () => {
    const d = new Driver();
    d.init({ ims: R.ICR_RXT0 });
    d.w(R.ITR, 1000);
    d.host.now = 5_000;
    d.dev.receive(frameTo(MAC, 64));
    assert.equal(d.host.level, false);
    assert.equal(d.dev.nextDeadlineNs(), 5_000 + 256_000);
    assert.ok(d.r(R.ICS) & R.ICR_RXT0, "the cause is visible at once");
    d.dev.advance(5_000 + 255_999);
    assert.equal(d.host.level, false);
    d.dev.receive(frameTo(MAC, 64)); // a second packet does not re-arm
    assert.equal(d.dev.nextDeadlineNs(), 5_000 + 256_000);
    d.dev.advance(5_000 + 256_000);
    assert.equal(d.host.level, true);
    assert.equal(d.dev.nextDeadlineNs(), undefined);
  });

  it("RADV (x 1.024 us, when RDTR != 0) and TADV (with IDE) set the delay; a cause read early posts nothing", () => {
    const d = new Driver();
    d.init({ ims: R.ICR_RXT0 | R.ICR_TXDW | R.ICR_TXQE });
    d.w(R.ITR, 10);
    d.w(R.RADV, 100);
    d.dev.receive(frameTo(MAC, 64));
    assert.equal(d.dev.nextDeadlineNs(), 2_560, "RDTR = 0: RADV ignored, ITR applies");
    d.dev.advance(2_560);
    d.r(R.ICR);
    d.w(R.RDTR, 1);
    d.dev.receive(frameTo(MAC, 64));
    assert.equal(d.dev.nextDeadlineNs(), 102_400);
    d.r(R.ICR); // the driver polled the cause before the deadline
    d.dev.advance(102_400);
    assert.equal(d.host.level, false, "nothing pending at the deadline");
    d.host.now = 200_000;
    d.w(R.TADV, 50);
    d.send([frameTo(BCAST, 60)], { cmd: R.TXD_CMD_IDE });
    assert.equal(d.dev.nextDeadlineNs(), 200_000 + 51_200);
    d.dev.advance(300_000);
    assert.equal(d.host.level, true);
  });
});

describe("e1000 transmit", () => {
  it("sends a multi-descriptor frame, writes DD on RS descriptors, raises TXDW and TXQE", () => {
    const d = new Driver();
    d.init({ ims: R.ICR_TXDW });
    const sent: Uint8Array[] = [];
    d.dev.onTransmit((f) => sent.push(f));
    const f = frameTo(BCAST, 300);
    d.send([f.subarray(0, 100), f.subarray(100, 250), f.subarray(250)]);
    assert.deepEqual(sent, [f]);
    assert.equal(d.r(R.TDH), 3);
    assert.deepEqual(
      [0, 1, 2].map((i) => d.host.mem[TX_RING + 16 * i + 12]),
      [0, 0, R.TXD_STAT_DD],
    );
    assert.equal(d.host.level, true);
    assert.equal(d.r(R.ICR), R.ICR_TXDW | R.ICR_TXQE);
    d.send([frameTo(MAC, 20)], { rs: "none" });
    assert.equal(sent[1]!.length, 60, "TCTL.PSP pads short frames");
    assert.equal(d.r(R.ICR), R.ICR_TXQE, "no RS: no write-back, no TXDW");
    assert.equal(d.host.mem[TX_RING + 16 * 3 + 12], 0);
    assert.equal(d.r(R.GPTC), 2);
    assert.equal(d.r(R.TPT), 2);
    assert.equal(d.r(R.BPTC), 1);
    assert.equal(d.dev.getStats().txFrames, 2);
  });

  it("keeps a frame without EOP across TDT writes and wraps TDH", () => {
    const d = new Driver();
    d.init({ txCount: 8 });
    const sent: Uint8Array[] = [];
    d.dev.onTransmit((f) => sent.push(f));
    for (let i = 0; i < 5; i++) d.send([frameTo(BCAST, 60, i)], { rs: "all" });
    const f = frameTo(BCAST, 200, 9);
    d.send([f.subarray(0, 120)], { rs: "all", eop: false });
    assert.equal(sent.length, 5, "no EOP yet: nothing sent");
    assert.equal(d.r(R.TDH), 6);
    d.send([f.subarray(120)], { rs: "all" });
    assert.deepEqual(sent[5], f);
    for (let i = 0; i < 4; i++) d.send([frameTo(BCAST, 60)], { rs: "all" });
    assert.equal(d.r(R.TDH), 11 % 8);
    assert.equal(sent.length, 10);
  });
});

describe("e1000 log hooks", () => {
  it("fires onIcrRead and onRdtWrite with the right values, onRxDma with the bytes written", () => {
    const d = new Driver();
    d.init();
    const icr: number[] = [];
    const rdt: Array<[number, number]> = [];
    const rx: RxDmaRecord[] = [];
    d.dev.onIcrRead((v) => icr.push(v));
    d.dev.onRdtWrite((o, n) => rdt.push([o, n]));
    d.dev.onRxDma((r) => rx.push(r));
    d.host.ic = 123_456n;
    const f = frameTo(MAC, 80);
    d.dev.receive(f);
    d.r(R.ICR);
    d.r(R.ICR);
    d.drainRx();
    assert.deepEqual(icr, [R.ICR_RXT0, 0]);
    assert.deepEqual(rdt, [[7, 0]]);
    assert.equal(rx.length, 1);
    assert.deepEqual(
      { ...rx[0]!, bytes: [...rx[0]!.bytes] },
      {
        index: 0,
        addr: RX_BUFS,
        length: 80,
        status: R.RXD_STAT_DD | R.RXD_STAT_EOP,
        errors: 0,
        bytes: [...f],
        icount: 123_456n,
      },
    );
  });

  it("fires onTxDma per consumed descriptor", () => {
    const d = new Driver();
    d.init();
    const tx: TxDmaRecord[] = [];
    d.dev.onTxDma((r) => tx.push(r));
    const f = frameTo(BCAST, 100);
    d.send([f.subarray(0, 40), f.subarray(40)], { rs: "all" });
    assert.deepEqual(
      tx.map((r) => [r.index, r.addr, r.length, r.status, r.bytes.length]),
      [
        [0, TX_BUFS, 40, R.TXD_STAT_DD, 40],
        [1, TX_BUFS + BUF, 60, R.TXD_STAT_DD, 60],
      ],
    );
    assert.deepEqual(tx[1]!.bytes, f.subarray(40));
  });
});

describe("e1000 guest faults", () => {
  function faultsOf(d: Driver): E1000Fault[] {
    return d.dev.getFaults();
  }

  it("survives a receive ring base beyond RAM, then recovers when the driver fixes it", () => {
    const d = new Driver();
    d.init();
    const seen: E1000Fault[] = [];
    d.dev.onFault((f) => seen.push(f));
    d.host.ic = 77n;
    d.w(R.RDBAL, 0xfff00000);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-fault");
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0], {
      kind: "dma-out-of-range",
      descriptor: { ring: "rx", index: 0 },
      address: 0xfff00000,
      detail: seen[0]!.detail,
      icount: 77n,
    });
    d.w(R.RDBAH, 1); // above 4 GiB
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-fault");
    assert.equal(faultsOf(d)[1]!.address, 0x1fff00000);
    assert.equal(d.r(R.RDH), 0);
    d.w(R.RDBAH, 0);
    d.w(R.RDBAL, RX_RING);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "delivered");
    assert.equal(d.dev.getStats().rxDropped.fault, 2);
  });

  it("drops a frame whose buffer is beyond RAM without touching the descriptor", () => {
    const d = new Driver();
    d.init();
    d.mem.setUint32(RX_RING, RAM_SIZE - 10, true);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-fault");
    assert.equal(d.rxDesc(0).status, 0);
    assert.equal(d.r(R.RDH), 0);
    assert.equal(d.r(R.ICR) & R.ICR_RXT0, 0);
    const f = faultsOf(d)[0]!;
    assert.equal(f.kind, "dma-out-of-range");
    assert.deepEqual(f.descriptor, { ring: "rx", index: 0 });
    assert.equal(f.address, RAM_SIZE - 10);
  });

  it("records bad rings: zero or unaligned RDLEN, head/tail past the ring, unaligned base", () => {
    const d = new Driver();
    d.init({ rxCount: 8 });
    d.w(R.RDLEN, 0);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-fault");
    d.w(R.RDLEN, 8 * 16 + 8);
    assert.equal(d.r(R.RDLEN), 128, "low bits ignored, as the hardware does");
    d.w(R.RDT, 9);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-fault");
    d.w(R.RDT, 7);
    d.w(R.RDH, 200);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "dropped-fault");
    d.w(R.RDH, 0);
    d.w(R.RDBAL, RX_RING + 4);
    assert.equal(d.dev.receive(frameTo(MAC, 64)), "delivered", "base low bits ignored");
    assert.deepEqual(
      faultsOf(d).map((f) => [f.kind, f.register]),
      [
        ["bad-ring", "RDLEN"],
        ["bad-ring", "RDLEN"],
        ["bad-ring", "RDT"],
        ["bad-ring", "RDH"],
        ["bad-ring", "RDBAL"],
      ],
    );
  });

  it("survives transmit faults: buffer beyond RAM, ring beyond RAM, context descriptors", () => {
    const d = new Driver();
    d.init();
    const sent: Uint8Array[] = [];
    d.dev.onTransmit((f) => sent.push(f));
    d.send([frameTo(BCAST, 60)], { rs: "all" });
    d.send([frameTo(BCAST, 60)], { rs: "all", addr: 0xffff0000 });
    assert.equal(d.r(R.TDH), 2, "the descriptor completes");
    assert.equal(d.host.mem[TX_RING + 16 * 1 + 12], R.TXD_STAT_DD);
    assert.equal(d.dev.getStats().txDropped.fault, 1);
    // a context descriptor (DEXT)
    d.send([frameTo(BCAST, 60)], { rs: "all", cmd: R.TXD_CMD_DEXT });
    assert.equal(d.r(R.TDH), 3);
    // ring beyond RAM
    d.w(R.TDBAL, 0xfffff000);
    d.send([frameTo(BCAST, 60)], { rs: "all" });
    assert.equal(d.r(R.TDH), 3, "a descriptor that cannot be read stops the ring");
    assert.deepEqual(
      d.dev.getFaults().map((f) => [f.kind, f.descriptor?.index]),
      [
        ["dma-out-of-range", 1],
        ["unsupported-descriptor", 2],
        ["dma-out-of-range", 3],
      ],
    );
    d.w(R.TDBAL, TX_RING);
    d.w(R.TDT, 4);
    assert.equal(d.r(R.TDH), 4, "processing resumes once the base is fixed");
    assert.deepEqual(sent.length, 2);
  });

  it("keeps a bounded fault list", () => {
    const d = new Driver();
    d.init();
    d.w(R.RDBAL, 0xfff00000);
    for (let i = 0; i < FAULT_LOG_LIMIT + 10; i++) d.dev.receive(frameTo(MAC, 64));
    assert.equal(d.dev.getFaults().length, FAULT_LOG_LIMIT);
    assert.equal(d.dev.getStats().faults, FAULT_LOG_LIMIT + 10);
  });
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One step of a plausible workload: traffic, interrupt handling, mitigation, the odd reset. */
function step(d: Driver, rand: () => number, log: string[]): void {
  const x = rand();
  d.host.now += Math.floor(rand() * 50_000);
  d.host.ic += 1000n;
  if (x < 0.35) log.push(d.dev.receive(frameTo(rand() < 0.5 ? MAC : BCAST, 40 + Math.floor(rand() * 1400), Math.floor(rand() * 256))));
  else if (x < 0.5) log.push(`rx:${d.drainRx().length}`);
  else if (x < 0.65) d.send([frameTo(BCAST, 60 + Math.floor(rand() * 500))], { rs: rand() < 0.5 ? "all" : "last" });
  else if (x < 0.8) log.push(`icr:${d.r(R.ICR)}`);
  else if (x < 0.9) d.dev.advance(d.host.now);
  else if (x < 0.95) d.w(R.ITR, Math.floor(rand() * 400));
  else log.push(`mpc:${d.r(R.MPC)},gprc:${d.r(R.GPRC)}`);
}

describe("e1000 snapshots", () => {
  it("save -> JSON -> restore -> continue equals never having saved", () => {
    const a = new Driver();
    a.init({ ims: R.ICR_RXT0 | R.ICR_TXDW | R.ICR_RXO });
    const txA: Uint8Array[] = [];
    a.dev.onTransmit((f) => txA.push(f));
    const randA = rng(42);
    const logA: string[] = [];
    for (let i = 0; i < 300; i++) step(a, randA, logA);
    // a half-assembled TX frame and a held interrupt edge must survive too
    a.w(R.ITR, 5000);
    a.r(R.ICR);
    a.dev.receive(frameTo(MAC, 64));
    assert.notEqual(a.dev.nextDeadlineNs(), undefined);

    const json = JSON.stringify(a.dev.getState());
    const b = new Driver();
    b.host.mem.set(a.host.mem);
    Object.assign(b, { rxCount: a.rxCount, txCount: a.txCount, txTail: a.txTail, rxNext: a.rxNext });
    b.host.now = a.host.now;
    b.host.ic = a.host.ic;
    b.dev.setState(JSON.parse(json) as E1000State);
    assert.equal(b.host.level, a.host.level);
    const txB: Uint8Array[] = [];
    b.dev.onTransmit((f) => txB.push(f));
    txA.length = 0;

    const randB = rng(7);
    const randA2 = rng(7);
    const logB: string[] = [];
    logA.length = 0;
    for (let i = 0; i < 300; i++) {
      step(a, randA2, logA);
      step(b, randB, logB);
    }
    assert.deepEqual(logB, logA);
    assert.deepEqual(txB, txA);
    assert.deepEqual(b.dev.getState(), a.dev.getState());
    assert.deepEqual(b.host.mem, a.host.mem);
    assert.equal(b.host.level, a.host.level);
  });

  it("rejects a state of another version with a clear error", () => {
    const d = new Driver();
    const s = { ...d.dev.getState(), version: 2 } as unknown as E1000State;
    assert.throws(() => d.dev.setState(s), /unsupported version 2/);
  });
});

describe("e1000 fuzz", () => {
  it("never throws on random register writes, reads and traffic", () => {
    const rand = rng(1234);
    const d = new Driver();
    d.init({ ims: 0xffff });
    const interesting = [
      R.CTRL,
      R.STATUS,
      R.EERD,
      R.MDIC,
      R.ICR,
      R.ITR,
      R.ICS,
      R.IMS,
      R.IMC,
      R.RCTL,
      R.TCTL,
      R.RDBAL,
      R.RDBAH,
      R.RDLEN,
      R.RDH,
      R.RDT,
      R.RDTR,
      R.RADV,
      R.TDBAL,
      R.TDBAH,
      R.TDLEN,
      R.TDH,
      R.TDT,
      R.TADV,
      R.MPC,
      R.GORCH,
      R.RAL0,
      R.RAH0,
      R.MTA,
    ];
    const value = (): number => {
      const k = rand();
      if (k < 0.3) return Math.floor(rand() * 64);
      if (k < 0.5) return RX_RING + Math.floor(rand() * 0x1000) * 16;
      return Math.floor(rand() * 0x100000000);
    };
    for (let i = 0; i < 20_000; i++) {
      const off = rand() < 0.85 ? interesting[Math.floor(rand() * interesting.length)]! : Math.floor(rand() * 0x20010);
      const k = rand();
      if (k < 0.55) d.dev.mmioWrite32(off, value());
      else if (k < 0.7) d.dev.mmioRead32(off);
      else if (k < 0.75) d.dev.mmioWrite8(off, value());
      else if (k < 0.8) d.dev.mmioRead16(off);
      else if (k < 0.9) d.dev.receive(frameTo(rand() < 0.5 ? MAC : BCAST, Math.floor(rand() * 3000)));
      else {
        // scribble on descriptors so the engines see garbage
        const at = (rand() < 0.5 ? RX_RING : TX_RING) + Math.floor(rand() * 256) * 4;
        d.mem.setUint32(at, value(), true);
      }
      if (i % 97 === 0) {
        d.host.now += 100_000;
        d.dev.advance(d.host.now);
      }
    }
    const s = d.dev.getState();
    const e = new Driver();
    e.dev.setState(JSON.parse(JSON.stringify(s)) as E1000State);
    assert.deepEqual(e.dev.getState(), s);
  });
});
