// The target description gdb reads with qXfer:features:read:target.xml: gdb's own i386
// features (org.gnu.gdb.i386.core with the segment registers, org.gnu.gdb.i386.sse), as in
// gdb's features/i386/32bit-core.xml and 32bit-sse.xml, plus the control registers in a
// feature of ours (gdb shows them under `info all-registers`). The register numbers are the
// order of REGISTERS: gdb's i386 numbering, which `g`, `G`, `p` and `P` use.
import type { RegisterName } from "../cpu-view";
import type { FpuRegisterName } from "../fpu-view";

export interface RegisterSlot {
  name: string;
  /** Bytes in the g packet. */
  size: number;
  /** The machine's register behind it: a general, segment or control register, or the FPU/SSE state's. */
  machine?: RegisterName;
  fpu?: FpuRegisterName;
}

const GPRS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"] as const;
const X87_CONTROL = ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"] as const;

export const REGISTERS: RegisterSlot[] = [
  ...GPRS.map((n) => ({ name: n, size: 4, machine: n })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `st${i}`, size: 10, fpu: `st${i}` as const })),
  ...X87_CONTROL.map((n) => ({ name: n, size: 4, fpu: n })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `xmm${i}`, size: 16, fpu: `xmm${i}` as const })),
  { name: "mxcsr", size: 4, fpu: "mxcsr" as const },
  ...(["cr0", "cr2", "cr3", "cr4"] as const).map((n) => ({ name: n, size: 4, machine: n })),
];

const reg = (name: string, bitsize: number, type: string, extra = ""): string => `    <reg name="${name}" bitsize="${bitsize}" type="${type}"${extra}/>`;

export const TARGET_XML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>i386</architecture>
  <feature name="org.gnu.gdb.i386.core">
    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
${[
  reg("eax", 32, "int32", ' regnum="0"'),
  reg("ecx", 32, "int32"),
  reg("edx", 32, "int32"),
  reg("ebx", 32, "int32"),
  reg("esp", 32, "data_ptr"),
  reg("ebp", 32, "data_ptr"),
  reg("esi", 32, "int32"),
  reg("edi", 32, "int32"),
  reg("eip", 32, "code_ptr"),
  reg("eflags", 32, "i386_eflags"),
  ...["cs", "ss", "ds", "es", "fs", "gs"].map((n) => reg(n, 32, "int32")),
  ...Array.from({ length: 8 }, (_, i) => reg(`st${i}`, 80, "i387_ext")),
  ...X87_CONTROL.map((n) => reg(n, 32, "int", ' group="float"')),
].join("\n")}
  </feature>
  <feature name="org.gnu.gdb.i386.sse">
    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/>
      <field name="DE" start="1" end="1"/>
      <field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/>
      <field name="UE" start="4" end="4"/>
      <field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/>
      <field name="IM" start="7" end="7"/>
      <field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/>
      <field name="OM" start="10" end="10"/>
      <field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/>
      <field name="FZ" start="15" end="15"/>
    </flags>
${[...Array.from({ length: 8 }, (_, i) => reg(`xmm${i}`, 128, "vec128", i === 0 ? ' regnum="32"' : "")), reg("mxcsr", 32, "i386_mxcsr", ' group="vector"')].join("\n")}
  </feature>
  <feature name="org.lvmm.i386.control">
${(["cr0", "cr2", "cr3", "cr4"] as const).map((n) => reg(n, 32, "int32", ' group="system"')).join("\n")}
  </feature>
</target>
`;

/** The qXfer:features:read reply for `annex` at offset/length (`m` more follows, `l` last). */
export function readFeature(annex: string, offset: number, length: number): string | undefined {
  if (annex !== "target.xml") return undefined;
  const chunk = TARGET_XML.slice(offset, offset + length);
  return (offset + length >= TARGET_XML.length ? "l" : "m") + chunk;
}
