// A fixed scenario for determinism checks: boot, then UDP echo traffic at fixed virtual times.
// Also runnable as a script (node --import tsx test/vmm/scenario.ts) that prints its digest,
// so a second process can be compared with the first.
import { createHash } from "node:crypto";
import type { Machine } from "../../src/vmm/machine";
import { stateHash } from "../../src/vmm/snapshot";
import { createGuest, udpToGuest } from "../helpers/guest";

export interface ScenarioResult {
  serial: string;
  /** sha256 of the instruction count at which each serial byte was written. */
  byteCounts: string;
  txDigest: string;
  icount: bigint;
  state: string;
}

export const SCENARIO_END_NS = 400e6;

/** Frames at fixed virtual times, from 150 ms (after boot) on. */
export function injectTraffic(m: Machine): void {
  for (let i = 0; i < 40; i++) {
    const payload = Uint8Array.from({ length: 20 + i * 13 }, (_, k) => (k + i) & 0xff);
    m.wire.inject(udpToGuest(payload, 41000 + i), 150e6 + i * 5.3e6);
  }
}

export async function runScenario(opts: { jit?: boolean } = {}): Promise<ScenarioResult> {
  const m = await createGuest({ jit: opts.jit ?? true });
  try {
    const counts = createHash("sha256");
    m.serial.onByte(({ byte, icount }) => counts.update(`${byte}@${icount};`));
    const tx = createHash("sha256");
    m.wire.onTransmit((f, ns) => tx.update(Buffer.from(f)).update(String(ns)));
    injectTraffic(m);
    m.run({ untilNs: SCENARIO_END_NS });
    return { serial: m.serial.output, byteCounts: counts.digest("hex"), txDigest: tx.digest("hex"), icount: m.icount, state: stateHash(m) };
  } finally {
    m.destroy();
  }
}

if (require.main === module) {
  void runScenario().then((r) => {
    console.log(JSON.stringify({ ...r, icount: String(r.icount), serial: createHash("sha256").update(r.serial).digest("hex") }));
    process.exit(0);
  });
}
