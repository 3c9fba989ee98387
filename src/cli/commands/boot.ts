// `lvmm boot`: boot the I/O engine, stream its serial console, end with a one-line summary.
import { Machine } from "../../vmm/machine";
import type { StopReason } from "../../vmm/stop-reason";
import { readKernel } from "../kernel-path";
import { parse, positiveInteger, positiveNumber } from "../options";
import { EXIT, UsageError } from "../errors";

export const BOOT_HELP = `usage: lvmm boot [--kernel ELF] [--seconds N | --instructions N] [--cmdline S]
                 [--memory MB] [--mips N] [--no-jit] [--pace]
  Boots the kernel on the LVMM, streams its serial console to stdout, and ends with a
  summary line (instructions, virtual time, MIPS). Defaults: the built guest, 2 virtual seconds.`;

export async function boot(args: string[]): Promise<number> {
  const { values } = parse(args, {
    kernel: { type: "string" },
    seconds: { type: "string" },
    instructions: { type: "string" },
    cmdline: { type: "string" },
    memory: { type: "string" },
    mips: { type: "string" },
    "no-jit": { type: "boolean" },
    pace: { type: "boolean" },
  });
  if (values.seconds !== undefined && values.instructions !== undefined) {
    throw new UsageError("give either --seconds or --instructions, not both");
  }
  const seconds = positiveNumber("seconds", values.seconds);
  const instructions = positiveInteger("instructions", values.instructions);
  const kernel = readKernel(values.kernel);
  const machine = await Machine.create({
    kernel: kernel.bytes,
    cmdline: values.cmdline ?? "",
    memoryMB: positiveInteger("memory", values.memory) ?? 32,
    mips: positiveNumber("mips", values.mips) ?? 500,
    jit: !values["no-jit"],
  });
  machine.serial.onByte(({ byte }) => process.stdout.write(String.fromCharCode(byte)));
  const limit = instructions !== undefined ? { untilIcount: instructions } : { untilNs: (seconds ?? 2) * 1e9 };
  const wall0 = performance.now();
  const stop = await machine.runAsync(limit, { pace: values.pace ?? false });
  const wallMs = performance.now() - wall0;
  if (!machine.serial.output.endsWith("\n") && machine.serial.output.length) process.stdout.write("\n");
  console.log(summary(stop, machine, wallMs));
  machine.destroy();
  return stop.kind === "limit" ? EXIT.ok : EXIT.failed;
}

export function summary(stop: StopReason, m: Machine, wallMs: number): string {
  const n = m.icountNumber;
  const mips = wallMs > 0 ? n / wallMs / 1000 : 0;
  const why = stop.kind === "limit" ? "limit reached" : describeStop(stop);
  return `lvmm: ${why}: ${n} instructions, virtual time ${(m.nowNs / 1e9).toFixed(6)} s, ${mips.toFixed(1)} MIPS (${(wallMs / 1000).toFixed(2)} s wall)`;
}

export function describeStop(s: StopReason): string {
  switch (s.kind) {
    case "limit":
      return "limit reached";
    case "breakpoint":
      return `breakpoint at 0x${s.address.toString(16)}`;
    case "watchpoint":
      return `watchpoint ${s.id} at 0x${s.address.toString(16)} written by ${s.by}`;
    case "paused":
      return "paused";
    case "host-request":
      return s.detail;
    case "halted":
      return `guest halted (${s.detail})`;
    case "hang":
      return `guest hung (${s.detail})`;
    case "triple-fault":
      return `guest crashed (${s.detail})`;
    case "exception":
      return `guest exception ${s.name} (vector ${s.vector})`;
    case "device-fault":
      return `device fault in ${s.device} (${s.detail})`;
  }
}
