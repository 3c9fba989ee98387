// Shared set-up for tests that run the real I/O-engine guest on the LVMM.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Machine, type MachineOptions } from "../../src/vmm/machine";
import type { StopReason } from "../../src/vmm/stop-reason";
import { buildUdpFrame, parseFrame, type DecodedFrame } from "../../src/net";

export const ROOT = join(__dirname, "..", "..");
export const KERNEL_PATH = join(ROOT, "guest", "build", "ioengine.elf");
export const CLI = join(ROOT, "bin", "lvmm.js");

/** Runs `lvmm ARGS...` to its end: exit code, stdout and stderr (killed after `timeoutMs`). */
export function runLvmm(args: string[], timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const GUEST = { mac: "52:54:00:12:34:56", ip: "10.0.2.15" } as const;
export const HOST = { mac: "52:54:00:aa:bb:cc", ip: "10.0.2.2" } as const;

export function kernel(): Uint8Array {
  if (!existsSync(KERNEL_PATH)) throw new Error(`${KERNEL_PATH} is missing: run npm run build (npm test does)`);
  return new Uint8Array(readFileSync(KERNEL_PATH));
}

export async function createGuest(opts: Partial<MachineOptions> = {}): Promise<Machine> {
  return Machine.create({ kernel: kernel(), ...opts });
}

/** Runs until the guest prints a line matching `pattern`, or `maxNs` of virtual time pass. */
export function runUntilLine(m: Machine, pattern: RegExp, maxNs = 5e9): { stop: StopReason; line?: string } {
  let seen: string | undefined;
  const off = m.serial.onLine((line) => {
    if (seen === undefined && pattern.test(line)) {
      seen = line;
      m.requestStop(`saw ${pattern}`);
    }
  });
  try {
    const stop = m.run({ untilNs: m.nowNs + maxNs });
    return { stop, ...(seen !== undefined ? { line: seen } : {}) };
  } finally {
    off();
  }
}

/** Boots the guest to its "ready" line (network up). */
export async function bootGuest(opts: Partial<MachineOptions> = {}): Promise<Machine> {
  const m = await createGuest(opts);
  const r = runUntilLine(m, /^ready$/);
  if (r.line === undefined) throw new Error(`the guest did not get ready: ${JSON.stringify(r.stop)}\n${m.serial.output}`);
  return m;
}

export function udpToGuest(payload: Uint8Array, srcPort = 40000, dstPort = 7): Uint8Array {
  return buildUdpFrame({
    srcMac: HOST.mac,
    dstMac: GUEST.mac,
    srcIp: HOST.ip,
    dstIp: GUEST.ip,
    srcPort,
    dstPort,
    payload,
  });
}

/** Collects every frame the guest transmits, decoded (checksums verified strictly). */
export function captureTx(m: Machine): { frames: DecodedFrame[]; raw: Uint8Array[]; stop(): void } {
  const frames: DecodedFrame[] = [];
  const raw: Uint8Array[] = [];
  const stop = m.wire.onTransmit((f) => {
    raw.push(f);
    frames.push(parseFrame(f, { requireValidChecksums: true }));
  });
  return { frames, raw, stop };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
