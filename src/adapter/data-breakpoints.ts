// Data breakpoints ("Break on Value Change"): which values can be watched, and the watchpoints
// the VMM arms for them. A data id is "ADDRESS:SIZE", the linear range of the watched object, or
// "e1000:NAME", one of the NIC's registers (Devices > e1000 in the Variables view).
import { sizeOf } from "./dwarf";
import type { BreakpointResult } from "./breakpoint-table";
import type { Target, Watchpoint } from "./target";
import { addressOf, type TypedValue } from "./values/typed-value";
import { hex32 } from "./views/register-view";
import { E1000_VIEW } from "../vmm/device-state";

/** What a data id names: a linear range of memory, or a NIC register (its BAR0 offset). */
export type DataTarget = { kind: "memory"; linear: number; size: number } | { kind: "nic"; name: string; offset: number };

export function parseDataId(id: string): DataTarget | undefined {
  const mem = /^(\d+):(\d+)$/.exec(id);
  if (mem) return { kind: "memory", linear: Number(mem[1]), size: Number(mem[2]) };
  const nic = /^e1000:(\w+)$/.exec(id);
  const offset = nic ? E1000_VIEW[nic[1]!] : undefined;
  return offset !== undefined ? { kind: "nic", name: nic![1]!, offset } : undefined;
}

/** A NIC register the Variables view shows, as a data breakpoint the client may set (writes only). */
export function nicRegisterWatchable(name: string): Watchable {
  return { dataId: `e1000:${name}`, description: `the NIC's ${name} register` };
}

/** What the client may watch for `name`: its data id and description, or (no id) why not. */
export interface Watchable {
  dataId: string | null;
  description: string;
}

/**
 * `name` is a raw address when `asAddress` (the Memory view, `bytes` long), else a value the
 * client names, which `lookup` finds; only an object in guest memory can be watched.
 */
export function watchable(name: string, asAddress: boolean, bytes: number | undefined, lookup: () => TypedValue | undefined): Watchable {
  let address: number | undefined;
  let size: number | undefined;
  try {
    if (asAddress) {
      address = Number(name) >>> 0;
      size = bytes ?? 4;
    } else {
      const found = lookup();
      if (found) {
        address = addressOf(found);
        size = sizeOf(found.type);
      }
    }
  } catch {
    address = undefined;
  }
  if (address === undefined || !size) return { dataId: null, description: `${name} is not an object in guest memory` };
  return { dataId: `${address}:${size}`, description: `${name} (${size} bytes at ${hex32(address)})` };
}

/** DAP's access types, as the VMM's watchpoints name them. */
const ACCESS = { write: "write", read: "read", readWrite: "access" } as const;

/** Replaces the armed watchpoints with those of `requests` (writes, reads, or both). */
export function setDataBreakpoints(t: Target, requests: readonly { dataId: string; accessType?: string }[]): BreakpointResult[] {
  const watch: Watchpoint[] = [];
  const results = requests.map((bp): BreakpointResult => {
    const id = t.breakpoints.newId();
    const target = parseDataId(bp.dataId);
    const access = ACCESS[(bp.accessType ?? "write") as keyof typeof ACCESS];
    if (!access) return { id, verified: false, message: `unknown access type ${bp.accessType}` };
    if (target?.kind === "nic") {
      if (access !== "write") return { id, verified: false, message: `the NIC's ${target.name} register breaks on a change, not on a read` };
      watch.push({ id, address: target.offset, length: 4, register: target.offset });
      return { id, verified: true };
    }
    const phys = target ? t.physical(target.linear) : undefined;
    if (!target || phys === undefined) return { id, verified: false, message: `bad data breakpoint id ${bp.dataId}` };
    watch.push({ id, address: phys, length: target.size, ...(access === "write" ? {} : { access }) });
    return { id, verified: true };
  });
  try {
    t.setWatchpoints(watch);
  } catch (e) {
    for (const r of results) {
      r.verified = false;
      r.message = e instanceof Error ? e.message : String(e);
    }
  }
  return results;
}
