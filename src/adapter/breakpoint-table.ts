// The user's code breakpoints (source, function, instruction) by guest address, and the
// decision made when the guest reaches one: stop, or count the hit, print a log point, go on.
import type { SourceLine } from "./stop-description";

export type CodeBreakpointKind = "source" | "function" | "instruction";

export interface CodeBreakpoint {
  id: number;
  kind: CodeBreakpointKind;
  addresses: number[];
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
  hits: number;
  /** Source breakpoints: the file and (snapped) line they stand on. */
  file?: string;
  line?: number;
}

/** What a set-breakpoints request asks of each breakpoint, whatever its kind. */
export interface BreakpointRequest {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

/**
 * Where one requested breakpoint goes: its addresses, the source line it stands on (source
 * breakpoints) and the line the Breakpoints view shows; or why it cannot be set.
 */
export type Placement = { addresses: number[]; at?: SourceLine; shows?: SourceLine } | { message: string; line?: number };

/** What one requested breakpoint became (data breakpoints too), for the Breakpoints view. */
export interface BreakpointResult {
  id: number;
  verified: boolean;
  message?: string;
  /** The first address it stands on. */
  address?: number;
  file?: string;
  line?: number;
}

export interface HitDecision {
  stop: boolean;
  /** Kind of the first breakpoint that stopped (for the stopped event's reason). */
  kind: CodeBreakpointKind | undefined;
  ids: number[];
  /** Log point output lines, already interpolated. */
  logs: string[];
  /** Conditions that could not be evaluated (they stop, so the user sees why). */
  errors: string[];
}

/** Parses a hit condition: "5" (from the 5th hit on), ">= 5", "== 5", "> 5", "< 5", "% 5". */
export function parseHitCondition(text: string): { op: string; n: number } | undefined {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  return { op: m[1] === "=" ? "==" : (m[1] ?? ">="), n: Number(m[2]) };
}

function hitMatches(hits: number, cond: { op: string; n: number }): boolean {
  switch (cond.op) {
    case ">=":
      return hits >= cond.n;
    case "<=":
      return hits <= cond.n;
    case "==":
      return hits === cond.n;
    case ">":
      return hits > cond.n;
    case "<":
      return hits < cond.n;
    case "%":
      return cond.n > 0 && hits % cond.n === 0;
    default:
      return false;
  }
}

export class BreakpointTable {
  private readonly groups = new Map<string, CodeBreakpoint[]>();
  private byAddress = new Map<number, CodeBreakpoint[]>();
  private nextId = 1;

  newId(): number {
    return this.nextId++;
  }

  /**
   * The one path of every set-breakpoints request: places each requested breakpoint, replaces
   * the group with those that could be placed and says what became of each.
   */
  set<R extends BreakpointRequest>(group: string, kind: CodeBreakpointKind, requests: readonly R[], place: (r: R) => Placement): BreakpointResult[] {
    const bps: CodeBreakpoint[] = [];
    const results = requests.map((req): BreakpointResult => {
      const id = this.newId();
      const p = place(req);
      if ("message" in p) return { id, verified: false, message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) };
      const { condition, hitCondition, logMessage } = req;
      bps.push({ id, kind, addresses: p.addresses, condition, hitCondition, logMessage, hits: 0, ...(p.at ? { file: p.at.file, line: p.at.line } : {}) });
      const shows = p.shows ?? p.at;
      return { id, verified: true, address: p.addresses[0], ...(shows ? { file: shows.file, line: shows.line } : {}) };
    });
    this.replace(group, bps);
    return results;
  }

  /** Replaces one group ("source:<path>", "function", "instruction"), as DAP's set* requests do. */
  replace(group: string, bps: CodeBreakpoint[]): void {
    this.groups.set(group, bps);
    this.byAddress = new Map();
    for (const list of this.groups.values()) {
      for (const bp of list) {
        for (const a of bp.addresses) {
          let l = this.byAddress.get(a >>> 0);
          if (!l) this.byAddress.set(a >>> 0, (l = []));
          l.push(bp);
        }
      }
    }
  }

  get addresses(): number[] {
    return [...this.byAddress.keys()];
  }

  at(address: number): CodeBreakpoint[] {
    return this.byAddress.get(address >>> 0) ?? [];
  }

  /**
   * Counts a hit on every breakpoint at `address` and decides whether to stop. `condition`
   * returns true/false or throws; `interpolate` expands a log message's {expressions}.
   */
  hit(address: number, condition: (expr: string, bp: CodeBreakpoint) => boolean, interpolate: (msg: string, bp: CodeBreakpoint) => string): HitDecision {
    const d: HitDecision = { stop: false, kind: undefined, ids: [], logs: [], errors: [] };
    for (const bp of this.at(address)) {
      if (bp.condition?.trim()) {
        let ok: boolean;
        try {
          ok = condition(bp.condition, bp);
        } catch (e) {
          d.errors.push(`breakpoint condition "${bp.condition}" could not be evaluated: ${e instanceof Error ? e.message : String(e)}`);
          ok = true;
        }
        if (!ok) continue;
      }
      bp.hits++;
      if (bp.hitCondition?.trim()) {
        const hc = parseHitCondition(bp.hitCondition);
        if (hc && !hitMatches(bp.hits, hc)) continue;
      }
      if (bp.logMessage !== undefined) {
        d.logs.push(interpolate(bp.logMessage, bp));
        continue;
      }
      d.stop = true;
      d.kind ??= bp.kind;
      d.ids.push(bp.id);
    }
    return d;
  }
}
