// The Registers scope: general-purpose, instruction pointer, EFLAGS decoded bit by bit,
// segment selectors, and control registers CR0/CR2/CR3/CR4 with their flags (IA-32 SDM vol. 1
// 3.4.3 for EFLAGS, vol. 3 2.5 for CR0 and CR4).
import type { Registers, RegisterName } from "../../vmm/cpu-view";

export interface ViewNode {
  name: string;
  value: string;
  type?: string;
  children?: ViewNode[];
  /** Register that setVariable writes for this node. */
  register?: RegisterName;
  /** For flag bits: the register and bit mask a write toggles. */
  flag?: { register: RegisterName; mask: number };
  memoryReference?: string;
  /** For the NIC's registers: the datasheet name, which data breakpoints and History follow. */
  nicRegister?: string;
}

type Field = [name: string, bit: number, width?: number, meaning?: string];

/** IA-32 SDM vol. 1, 3.4.3 (figure 3-8). */
export const EFLAGS_FIELDS: Field[] = [
  ["CF", 0, 1, "carry"],
  ["PF", 2, 1, "parity"],
  ["AF", 4, 1, "auxiliary carry"],
  ["ZF", 6, 1, "zero"],
  ["SF", 7, 1, "sign"],
  ["TF", 8, 1, "trap"],
  ["IF", 9, 1, "interrupts enabled"],
  ["DF", 10, 1, "direction"],
  ["OF", 11, 1, "overflow"],
  ["IOPL", 12, 2, "I/O privilege level"],
  ["NT", 14, 1, "nested task"],
  ["RF", 16, 1, "resume"],
  ["VM", 17, 1, "virtual-8086"],
  ["AC", 18, 1, "alignment check"],
  ["VIF", 19, 1, "virtual interrupt"],
  ["VIP", 20, 1, "virtual interrupt pending"],
  ["ID", 21, 1, "CPUID available"],
];

/** IA-32 SDM vol. 3, 2.5 (figure 2-7). */
const CR0_FIELDS: Field[] = [
  ["PE", 0, 1, "protected mode"],
  ["MP", 1, 1, "monitor coprocessor"],
  ["EM", 2, 1, "x87 emulation"],
  ["TS", 3, 1, "task switched"],
  ["ET", 4, 1, "extension type"],
  ["NE", 5, 1, "numeric error"],
  ["WP", 16, 1, "write protect"],
  ["AM", 18, 1, "alignment mask"],
  ["NW", 29, 1, "not write-through"],
  ["CD", 30, 1, "cache disable"],
  ["PG", 31, 1, "paging"],
];

const CR4_FIELDS: Field[] = [
  ["VME", 0, 1],
  ["PVI", 1, 1],
  ["TSD", 2, 1],
  ["DE", 3, 1],
  ["PSE", 4, 1, "4 MiB pages"],
  ["PAE", 5, 1],
  ["MCE", 6, 1],
  ["PGE", 7, 1, "global pages"],
  ["PCE", 8, 1],
  ["OSFXSR", 9, 1],
  ["OSXMMEXCPT", 10, 1],
];

export const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
const hex16 = (n: number) => `0x${(n & 0xffff).toString(16).padStart(4, "0")}`;

/** Child nodes for each field of a register value; one-bit fields are 0/1 and writable via `reg`. */
export function decodeFields(value: number, fields: Field[], reg?: RegisterName): ViewNode[] {
  return fields.map(([name, bit, width = 1, meaning]) => {
    const v = width === 32 ? value >>> 0 : (value >>> bit) & ((1 << width) - 1);
    const node: ViewNode = { name, value: width === 1 ? String(v) : `${v} (0x${v.toString(16)})`, type: meaning };
    if (reg && width === 1) node.flag = { register: reg, mask: (1 << bit) >>> 0 };
    return node;
  });
}

/** Names of the set one-bit flags, e.g. "[ IF ZF PF ]". */
function setFlags(value: number, fields: Field[]): string {
  const on = fields.filter(([, bit, width = 1]) => width === 1 && (value >>> bit) & 1).map(([n]) => n);
  return `[ ${on.join(" ")} ]`;
}

export function registerNodes(r: Registers): ViewNode[] {
  const gpr = (name: RegisterName, pointer = false): ViewNode => ({ name, value: hex32(r[name]), register: name, ...(pointer ? { memoryReference: hex32(r[name]) } : {}) });
  return [
    gpr("eax"),
    gpr("ecx"),
    gpr("edx"),
    gpr("ebx"),
    gpr("esp", true),
    gpr("ebp", true),
    gpr("esi"),
    gpr("edi"),
    { name: "eip", value: hex32(r.eip), register: "eip", memoryReference: hex32(r.eip) },
    { name: "eflags", value: `${hex32(r.eflags)} ${setFlags(r.eflags, EFLAGS_FIELDS)}`, register: "eflags", children: decodeFields(r.eflags, EFLAGS_FIELDS, "eflags") },
    { name: "cs", value: hex16(r.cs) },
    { name: "ds", value: hex16(r.ds) },
    { name: "es", value: hex16(r.es) },
    { name: "fs", value: hex16(r.fs) },
    { name: "gs", value: hex16(r.gs) },
    { name: "ss", value: hex16(r.ss) },
    { name: "cr0", value: `${hex32(r.cr0)} ${setFlags(r.cr0, CR0_FIELDS)}`, children: decodeFields(r.cr0, CR0_FIELDS) },
    { name: "cr2", value: hex32(r.cr2), register: "cr2", memoryReference: hex32(r.cr2) },
    { name: "cr3", value: hex32(r.cr3), children: [{ name: "page directory", value: hex32(r.cr3 & 0xfffff000), memoryReference: hex32(r.cr3 & 0xfffff000) }] },
    { name: "cr4", value: `${hex32(r.cr4)} ${setFlags(r.cr4, CR4_FIELDS)}`, children: decodeFields(r.cr4, CR4_FIELDS) },
  ];
}
