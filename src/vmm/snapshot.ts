// Whole-machine snapshots: v86's own state plus everything v86 does not keep (the 64-bit
// instruction count, the virtual clock, the sync schedule, our device models, queued wire
// frames). The hash of the guest-visible state for determinism checks is machine-hash.ts's.
import type { Machine } from "./machine";
import type { ClockState } from "./clock";
import type { WireState } from "./wire";
export { stateHash } from "./machine-hash";
import { V86_TSC_STATIC } from "./v86/wasm-patches";

export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  version: typeof SNAPSHOT_VERSION;
  icount: number;
  /** EFLAGS as the guest sees them (v86's restore loses lazily computed flags). */
  eflags: number;
  v86: ArrayBuffer;
  clock: ClockState;
  sched: { nextSyncNs: number; ifOffSinceNs: number | null; rng: number; syncs: number };
  devices: Record<string, unknown>;
  wire: WireState;
  serial: { pendingInput: string };
  /**
   * v86's TSC statics (V86_TSC_STATIC, as decimal strings), which its own state lacks. Absent
   * in snapshots made before they were kept: such a restore leaves them as they are.
   */
  tsc?: string[];
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SnapshotError";
  }
}

export function saveSnapshot(m: Machine): Snapshot {
  return m.breakpoints.lifted(() => save(m));
}

function save(m: Machine): Snapshot {
  const i = m.internals;
  const devices: Record<string, unknown> = {};
  for (const d of i.devices) devices[d.name] = d.getState();
  // save_state reads the TSC (store_current_tsc), which advances read_tsc's counters: put them back.
  const tsc = readTscStatics(m);
  const v86 = i.vm.inner.save_state();
  writeTscStatics(m, tsc);
  return {
    version: SNAPSHOT_VERSION,
    icount: i.exec.icount,
    eflags: i.vm.cpu.get_eflags(),
    v86,
    tsc: tsc.map(String),
    clock: i.clock.getState(),
    sched: i.getSched(),
    devices,
    wire: i.wire.getState(),
    serial: m.serial.getState(),
  };
}

/**
 * Restores a snapshot. "live" (the default) makes the restored point the present: inputs
 * journaled after it are discarded and new ones come from the wire. "replay" keeps the journal
 * and re-executes it from the restored point up to where the machine was (time travel); the
 * wire's queue of future frames is left as it is now.
 */
export function restoreSnapshot(m: Machine, s: Snapshot, mode: "live" | "replay" = "live"): void {
  const version: number = s.version;
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError(`snapshot version ${version} is not ${SNAPSHOT_VERSION}`);
  const i = m.internals;
  const cpu = i.vm.cpu;
  for (const d of i.devices) {
    if (!(d.name in s.devices)) throw new SnapshotError(`snapshot lacks the state of device ${d.name}`);
  }
  let tsc: bigint[] | undefined;
  if (s.tsc) {
    if (!Array.isArray(s.tsc) || s.tsc.length !== TSC_ADDRS.length || !s.tsc.every((v) => typeof v === "string" && /^\d{1,20}$/.test(v))) throw new SnapshotError("snapshot has a malformed TSC state");
    tsc = s.tsc.map((v) => BigInt.asUintN(64, BigInt(v)));
  }
  m.breakpoints.unplant(); // the restored memory has no planted bytes; runs plant them again
  // Re-executing already: the present stays where it was.
  const presentBefore = i.replayPresent ?? i.point();
  restoreV86(m, s.v86);
  // restore_state sets the TSC (set_tsc) through read_tsc: its counters are put back as saved.
  if (tsc) writeTscStatics(m, tsc);
  // v86 bug: set_state replaces the lazy-flags views instead of copying into them, so the
  // arithmetic flags come back wrong (0x46 instead of 0x6). Write EFLAGS back as saved.
  cpu.flags[0] = s.eflags;
  cpu.flags_changed[0] = 0;
  i.exec.setIcount(s.icount);
  i.clock.setState(s.clock);
  i.setSched(s.sched);
  for (const d of i.devices) d.setState(s.devices[d.name]);
  m.dmaLog?.rewindTo(s.icount);
  const point = { icount: s.icount, ns: s.clock.syncNs };
  const after = m.journal.indexAt({ icount: point.icount, ns: point.ns + 1e-3 });
  if (mode === "live") {
    m.journal.truncate(after);
    i.setReplay(undefined);
    i.wire.setState(s.wire);
    m.serial.setState(s.serial);
  } else {
    i.setReplay({ index: after, present: presentBefore });
  }
}

function restoreV86(m: Machine, state: ArrayBuffer): void {
  const vm = m.internals.vm;
  // v86 bug: restore moves the I/O BARs of every PCI device and throws a TypeError on the
  // holes the IDE controller leaves in pci_bars when no disk is attached. A zero-sized
  // placeholder makes that move a no-op.
  const pci = vm.cpu.devices.pci as unknown as { devices: ({ pci_bars?: unknown[] } | undefined)[] };
  for (const dev of pci.devices ?? []) {
    const bars = dev?.pci_bars;
    if (!bars) continue;
    for (let b = 0; b < bars.length; b++) bars[b] ??= { size: 0, original_bar: 0, entries: [] };
  }
  vm.inner.restore_state(state.slice(0));
}

const TSC_ADDRS = Object.values(V86_TSC_STATIC);

function tscView(m: Machine, addr: number): BigUint64Array {
  return new BigUint64Array(m.internals.vm.cpu.wasm_memory.buffer, addr, 1);
}

function readTscStatics(m: Machine): bigint[] {
  return TSC_ADDRS.map((a) => tscView(m, a)[0]!);
}

function writeTscStatics(m: Machine, values: readonly bigint[]): void {
  TSC_ADDRS.forEach((a, k) => (tscView(m, a)[0] = values[k]!));
}
