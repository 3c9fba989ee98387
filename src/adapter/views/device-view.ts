// The Devices scope: the e1000's registers decoded by field (82540EM SDM chapter 13), the
// two 8259A PICs and the 8254 PIT channels. Values come from side-effect-free device reads.
import type { DeviceState } from "../../vmm/device-state";
import { decodeFields, hex32, type ViewNode } from "./register-view";

type Field = [name: string, bit: number, width?: number, meaning?: string];

/** Interrupt causes, SDM 13.4.17 (ICR) — the same layout for IMS (13.4.20). */
const INTERRUPT_CAUSES: Field[] = [
  ["TXDW", 0, 1, "transmit descriptor written back"],
  ["TXQE", 1, 1, "transmit queue empty"],
  ["LSC", 2, 1, "link status change"],
  ["RXSEQ", 3, 1, "receive sequence error"],
  ["RXDMT0", 4, 1, "receive descriptor minimum threshold"],
  ["RXO", 6, 1, "receiver overrun"],
  ["RXT0", 7, 1, "receiver timer"],
  ["MDAC", 9, 1, "MDI/O access complete"],
  ["RXCFG", 10, 1],
  ["PHYINT", 12, 1],
  ["GPI_SDP6", 13, 1],
  ["GPI_SDP7", 14, 1],
  ["TXD_LOW", 15, 1],
  ["SRPD", 16, 1, "small receive packet detected"],
];

/** SDM 13.4.22. */
const RCTL_FIELDS: Field[] = [
  ["EN", 1, 1, "receiver enable"],
  ["SBP", 2, 1, "store bad packets"],
  ["UPE", 3, 1, "unicast promiscuous"],
  ["MPE", 4, 1, "multicast promiscuous"],
  ["LPE", 5, 1, "long packet enable"],
  ["LBM", 6, 2, "loopback mode"],
  ["RDMTS", 8, 2, "descriptor minimum threshold (0=1/2, 1=1/4, 2=1/8)"],
  ["MO", 12, 2, "multicast offset"],
  ["BAM", 15, 1, "broadcast accept"],
  ["BSIZE", 16, 2, "buffer size (0=2048, 1=1024, 2=512, 3=256)"],
  ["VFE", 18, 1],
  ["CFIEN", 19, 1],
  ["CFI", 20, 1],
  ["DPF", 22, 1, "discard pause frames"],
  ["PMCF", 23, 1],
  ["BSEX", 25, 1, "buffer size extension"],
  ["SECRC", 26, 1, "strip Ethernet CRC"],
];

/** SDM 13.4.33. */
const TCTL_FIELDS: Field[] = [
  ["EN", 1, 1, "transmitter enable"],
  ["PSP", 3, 1, "pad short packets"],
  ["CT", 4, 8, "collision threshold"],
  ["COLD", 12, 10, "collision distance"],
  ["SWXOFF", 22, 1],
  ["RTLC", 24, 1],
];

/** SDM 13.4.1. */
const CTRL_FIELDS: Field[] = [
  ["FD", 0, 1, "full duplex"],
  ["LRST", 3, 1, "link reset"],
  ["ASDE", 5, 1, "auto-speed detection"],
  ["SLU", 6, 1, "set link up"],
  ["ILOS", 7, 1],
  ["SPEED", 8, 2, "0=10, 1=100, 2=1000 Mb/s"],
  ["FRCSPD", 11, 1],
  ["FRCDPLX", 12, 1],
  ["RST", 26, 1, "device reset"],
  ["RFCE", 27, 1],
  ["TFCE", 28, 1],
  ["VME", 30, 1],
  ["PHY_RST", 31, 1],
];

/** SDM 13.4.2. */
const STATUS_FIELDS: Field[] = [
  ["FD", 0, 1, "full duplex"],
  ["LU", 1, 1, "link up"],
  ["TXOFF", 4, 1],
  ["SPEED", 6, 2, "0=10, 1=100, 2/3=1000 Mb/s"],
];

const DECODED: Record<string, Field[]> = { ICR: INTERRUPT_CAUSES, IMS: INTERRUPT_CAUSES, RCTL: RCTL_FIELDS, TCTL: TCTL_FIELDS, CTRL: CTRL_FIELDS, STATUS: STATUS_FIELDS };
const RING_BASES = new Set(["RDBAL", "TDBAL"]);
/** 82540EM legacy descriptors are 16 bytes (SDM 3.2.3, 3.3.3). */
const DESCRIPTOR_BYTES = 16;
/** The 8254's input clock (Hz). */
const PIT_HZ = 1193182;

function causes(value: number, fields: Field[]): string {
  const on = fields.filter(([, bit]) => (value >>> bit) & 1).map(([n]) => n);
  return on.length ? on.join("|") : "none";
}

function e1000Nodes(regs: Record<string, number>): ViewNode[] {
  const out: ViewNode[] = [];
  for (const [name, value] of Object.entries(regs)) {
    const fields = DECODED[name];
    if (fields) {
      const summary = name === "ICR" || name === "IMS" ? ` ${causes(value, fields)}` : "";
      out.push({ name, value: `${hex32(value)}${summary}`, children: decodeFields(value, fields), nicRegister: name });
    } else if (RING_BASES.has(name)) {
      out.push({ name, value: hex32(value), memoryReference: hex32(value), nicRegister: name });
    } else if (name === "RDLEN" || name === "TDLEN") {
      out.push({ name, value: `${value} (${value / DESCRIPTOR_BYTES} descriptors)`, nicRegister: name });
    } else {
      out.push({ name, value: name.endsWith("H") || name.endsWith("T") ? String(value) : hex32(value), nicRegister: name });
    }
  }
  return out;
}

function picNodes(p: DeviceState["pic"]["master"]): ViewNode[] {
  const bits = (v: number) =>
    `0x${v.toString(16).padStart(2, "0")} (${
      [0, 1, 2, 3, 4, 5, 6, 7]
        .filter((i) => (v >> i) & 1)
        .map((i) => `IR${i}`)
        .join(" ") || "none"
    })`;
  return [
    { name: "IMR", value: bits(p.imr), type: "masked lines" },
    { name: "IRR", value: bits(p.irr), type: "requests pending" },
    { name: "ISR", value: bits(p.isr), type: "in service" },
    { name: "vector base", value: `0x${p.vectorBase.toString(16)}` },
  ];
}

export function deviceNodes(d: DeviceState): ViewNode[] {
  const out: ViewNode[] = [];
  if (d.e1000) out.push({ name: "e1000", value: "Intel 82540EM", children: e1000Nodes(d.e1000) });
  out.push({ name: "PIC master", value: `vector base 0x${d.pic.master.vectorBase.toString(16)}, IMR 0x${d.pic.master.imr.toString(16)}`, children: picNodes(d.pic.master) });
  out.push({ name: "PIC slave", value: `vector base 0x${d.pic.slave.vectorBase.toString(16)}, IMR 0x${d.pic.slave.imr.toString(16)}`, children: picNodes(d.pic.slave) });
  out.push({
    name: "PIT",
    value: d.pit[0]?.enabled ? `channel 0 at ${(PIT_HZ / d.pit[0].reload).toFixed(1)} Hz` : "channel 0 off",
    children: d.pit.map((c, i) => ({
      name: `channel ${i}`,
      value: c.enabled ? `mode ${c.mode}, reload ${c.reload} (${(PIT_HZ / c.reload).toFixed(1)} Hz)` : "disabled",
      children: [
        { name: "enabled", value: String(c.enabled) },
        { name: "mode", value: String(c.mode) },
        { name: "reload", value: String(c.reload) },
      ],
    })),
  });
  return out;
}
