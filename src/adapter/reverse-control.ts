// Reverse execution for the debug session: step back (by instruction or line), reverse step
// over and out, reverse continue to the last accepted breakpoint / data write / exception, and
// seeks to an instruction count, all on the VMM's timeline (exact seeks by re-execution).
// Stepping backwards re-executes a window before the current position one instruction at a
// time, records where each instruction was, and picks the stop from that trace; the window
// grows until it holds one. Seeks and reverse continue are long work: they report progress and
// can be cancelled (progress.ts). Knows nothing of DAP; debug-session.ts translates.
import { reverseContinueWork, seekTo, seekToWork, type ReverseSearch } from "../vmm/reverse";
import { memoryHistoryWork, type MemoryHistory, type MemoryRange } from "../vmm/memory-history";
import { Chunks, runWatched, WorkCancelled, type WorkWatch } from "../vmm/long-work";
import type { StopReason } from "../vmm/stop-reason";
import { saveSnapshot, restoreSnapshot } from "../vmm/snapshot";
import { I386 } from "./dwarf";
import type { CodeBreakpoint } from "./breakpoint-table";
import type { TargetStop } from "./stop-description";
import type { Target } from "./target";
import { RunHistory } from "./timeline-data";
import { UNWATCHED, type Work } from "./progress";

/** One position of a re-executed window: the state before the instruction at `icount`. */
interface Position {
  icount: number;
  pc: number;
  esp: number;
  ebp: number;
  /** Asynchronous interrupt handlers this position is nested in (within the window). */
  depth: number;
}

export type BackStep = "instruction" | "into" | "over" | "out";

/** Trace windows tried in turn (instructions before the current position). */
const WINDOWS = [2_000, 30_000, 400_000, 4_000_000];
/** Wall-clock interval at which a running machine may leave a checkpoint. */
const CHECKPOINT_POLL_MS = 50;

export class ReverseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReverseError";
  }
}

export class ReverseControl {
  private readonly timer: NodeJS.Timeout;
  /** Set by every move through time; the session sends invalidated/memory events for it. */
  private moved = false;
  /** Set when the session ends: a long move still going stops at its next chunk. */
  private disposed = false;
  /** Markers and DMA history for the views (kept across seeks). */
  readonly history: RunHistory;

  constructor(
    private readonly t: Target,
    /** Starts a progress item for a long move. */
    private readonly work: (title: string) => Work = () => UNWATCHED,
  ) {
    const m = t.machine;
    this.history = new RunHistory(m);
    m.timeline.checkpoint();
    // Between run chunks the machine is at a consistent point; leave checkpoints as it goes.
    this.timer = setInterval(() => {
      if (t.isRunning && !m.isDead) m.timeline.maybeCheckpoint();
    }, CHECKPOINT_POLL_MS);
    this.timer.unref();
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.history.dispose();
  }

  /** True once after each move through time (consumed by the session). */
  takeMoved(): boolean {
    const m = this.moved;
    this.moved = false;
    return m;
  }

  /** Whether the machine is re-executing its past (a later present exists). */
  get inPast(): boolean {
    return this.t.machine.internals.replayPresent !== undefined;
  }

  /** The instruction count where live execution left off (the present). */
  get presentIcount(): number {
    return this.t.machine.internals.replayPresent?.icount ?? this.t.machine.icountNumber;
  }

  get firstIcount(): number {
    return this.t.machine.timeline.checkpoints[0]?.icount ?? 0;
  }

  // ---- stepping backwards ------------------------------------------------------------------

  back(kind: BackStep): void {
    if (this.t.machine.icountNumber <= this.firstIcount) throw new ReverseError("already at the start of the recorded run");
    this.t.travel(async () => this.stepBack(kind));
  }

  private stepBack(kind: BackStep): TargetStop {
    const t = this.t;
    const m = t.machine;
    this.history.absorb();
    const origin = this.here();
    const di = t.debugInfo;
    const hasLines = (pc: number) => di.lineRangeAt(pc) !== undefined && di.functionAt(pc) !== undefined;
    const cfa = (p: Position) => {
      const regs: (number | undefined)[] = [];
      regs[I386.esp] = p.esp;
      regs[I386.ebp] = p.ebp;
      regs[I386.eip] = p.pc;
      return di.cfaAt(p.pc, regs, (a, n) => t.memory.read(a, n));
    };
    const originCfa = cfa(origin);
    let effective = kind;
    if ((kind === "into" || kind === "over") && !hasLines(origin.pc)) effective = "instruction";
    if (kind === "out" && originCfa === undefined) effective = "instruction";
    const isStmtStart = (pc: number) => {
      if (!hasLines(pc)) return false;
      const e = di.lineTable().entryAt(pc);
      return !!e && e.address === pc && e.isStmt && e.line !== 0;
    };
    const wanted = (p: Position, originDepth: number): boolean => {
      if (p.depth > originDepth) return false; // inside an interrupt handler the origin was not in
      switch (effective) {
        case "instruction":
          return true;
        case "into":
          return isStmtStart(p.pc);
        case "over": {
          if (!isStmtStart(p.pc)) return false;
          const c = cfa(p);
          return originCfa === undefined || (c !== undefined && c >= originCfa);
        }
        case "out":
          return p.esp >= originCfa!;
      }
    };
    const found = this.searchBack(origin.icount, wanted);
    if (found === undefined) {
      seekTo(m, origin.icount);
      this.afterMove();
      return { reason: "step", description: "Paused after a step back", text: `no earlier ${effective === "instruction" ? "instruction" : "line"} found in the recorded run` };
    }
    this.moveTo(found);
    const text = effective !== kind ? "No line information here: stepped back one instruction" : undefined;
    return { reason: "step", description: "Paused after a step back", ...(text ? { text } : {}) };
  }

  private here(): Position {
    const r = this.t.machine.cpu.registers();
    return { icount: this.t.machine.icountNumber, pc: r.eip, esp: r.esp, ebp: r.ebp, depth: 0 };
  }

  /**
   * The latest position before `origin` that `wanted` accepts, re-executing ever larger
   * windows. Leaves the machine somewhere in the window (the caller seeks).
   */
  private searchBack(origin: number, wanted: (p: Position, originDepth: number) => boolean): number | undefined {
    for (const w of WINDOWS) {
      const from = Math.max(this.firstIcount, origin - w);
      const trace = this.trace(from, origin);
      const last = trace[trace.length - 1];
      if (!last || last.icount !== origin) return undefined; // could not re-execute up to here
      for (let i = trace.length - 2; i >= 0; i--) if (wanted(trace[i]!, last.depth)) return trace[i]!.icount;
      if (from === this.firstIcount) return undefined;
    }
    return undefined;
  }

  /** Re-executes [from, to] one instruction at a time with every stop disarmed. */
  private trace(from: number, to: number): Position[] {
    const m = this.t.machine;
    const out: Position[] = [];
    const saved = { bps: m.breakpoints.list(), watches: m.watchpoints.list(), exceptions: m.exceptionStops };
    seekTo(m, from);
    m.breakpoints.set([]);
    m.setWatchpoints([]);
    m.setExceptionStops([]);
    const handlers: number[] = []; // stack pointers interrupted handlers will return to
    const off = m.onInterrupt(() => {
      const p = out[out.length - 1];
      if (p) handlers.push(p.esp);
    });
    try {
      for (;;) {
        const r = m.cpu.registers();
        while (handlers.length && r.esp >= handlers[handlers.length - 1]!) handlers.pop();
        out.push({ icount: m.icountNumber, pc: r.eip, esp: r.esp, ebp: r.ebp, depth: handlers.length });
        if (m.icountNumber >= to) break;
        const s = m.step();
        if (s.kind !== "limit") break;
      }
    } finally {
      off();
      m.breakpoints.set(saved.bps);
      m.setWatchpoints(saved.watches);
      m.setExceptionStops(saved.exceptions);
    }
    return out;
  }

  // ---- reverse continue --------------------------------------------------------------------

  reverseContinue(): void {
    this.t.travel(() => this.watched("Reverse continue", (watch) => this.findLastStop(watch)));
  }

  private async findLastStop(watch: WorkWatch): Promise<TargetStop> {
    const t = this.t;
    const m = t.machine;
    this.history.absorb();
    const linearOf = new Map<number, number>();
    for (const a of t.breakpoints.addresses) {
      const p = t.physical(a);
      if (p !== undefined) linearOf.set(p, a);
    }
    const decisions = new Map<number, { bps: CodeBreakpoint[]; errors: string[] }>();
    const search: ReverseSearch = {
      arm: (mm) => mm.breakpoints.set(linearOf.keys()),
      accept: (mm, stop) => {
        if (stop.kind !== "breakpoint") return true;
        t.forgetFrames();
        const linear = linearOf.get(stop.address) ?? stop.address;
        const stopping: CodeBreakpoint[] = [];
        const errors: string[] = [];
        // Conditions are evaluated on the past state; hit counts belong to forward runs.
        for (const bp of t.breakpoints.at(linear)) {
          if (bp.logMessage !== undefined) continue;
          if (bp.condition?.trim()) {
            try {
              if (!t.scope(0).truthy(bp.condition)) continue;
            } catch (e) {
              errors.push(`breakpoint condition "${bp.condition}" could not be evaluated: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
          stopping.push(bp);
        }
        if (!stopping.length) return false;
        decisions.set(mm.icountNumber, { bps: stopping, errors });
        return true;
      },
    };
    const origin = m.icountNumber;
    const found = await runWatched(reverseContinueWork(m, search, new Chunks()), watch);
    t.forgetFrames();
    this.afterMove();
    if (!found) {
      return {
        reason: "pause",
        description: "Paused at the start of the search",
        text: `no breakpoint, data write or exception before instruction ${origin} since the first checkpoint (instruction ${this.firstIcount}); stayed where it was`,
      };
    }
    return this.describe(found.stop, decisions.get(found.icount));
  }

  private describe(stop: StopReason, d: { bps: CodeBreakpoint[]; errors: string[] } | undefined): TargetStop {
    if (stop.kind === "breakpoint" && d) {
      const kind = d.bps[0]!.kind;
      const reason = kind === "function" ? "function breakpoint" : kind === "instruction" ? "instruction breakpoint" : "breakpoint";
      return { reason, description: `Paused on ${reason} (reverse)`, hitBreakpointIds: d.bps.map((b) => b.id), ...(d.errors.length ? { text: d.errors.join("\n") } : {}) };
    }
    const s = this.t.vmStop(stop);
    return { ...s, description: `${s.description} (reverse)` };
  }

  // ---- seeks ---------------------------------------------------------------------------------

  /** Moves to an exact instruction count between the first checkpoint and the present. */
  goto(icount: number): void {
    if (!Number.isSafeInteger(icount) || icount < 0) throw new ReverseError(`instruction count must be a non-negative integer, got ${icount}`);
    if (icount < this.firstIcount) throw new ReverseError(`instruction ${icount} is before the first checkpoint (${this.firstIcount})`);
    const present = this.presentIcount;
    if (icount > present) throw new ReverseError(`instruction ${icount} is after the present (${present}); continue or step forward to get there`);
    this.t.travel(() =>
      this.watched(`Go to instruction ${icount}`, async (watch) => {
        this.history.absorb();
        this.arrived(icount, await runWatched(seekToWork(this.t.machine, icount, new Chunks()), watch));
        return { reason: "goto", description: `Moved to instruction ${icount}` };
      }),
    );
  }

  /**
   * Runs a long move through time under a progress item. Cancelled, it goes back to where it
   * started (a short seek: checkpoints are left near where the user works) and stops there.
   */
  private async watched(title: string, move: (watch: WorkWatch) => Promise<TargetStop>): Promise<TargetStop> {
    const origin = this.t.machine.icountNumber;
    const work = this.work(title);
    try {
      const stop = await move({ progress: work.progress, cancelled: () => this.disposed || work.cancelled() });
      work.end();
      return stop;
    } catch (e) {
      if (!(e instanceof WorkCancelled)) {
        work.end("failed");
        throw e;
      }
      if (!this.disposed) this.moveTo(origin);
      work.end("cancelled");
      return { reason: "pause", description: `${title}: cancelled`, text: `cancelled: ${title.toLowerCase()} stopped; back at instruction ${origin}` };
    }
  }

  private moveTo(icount: number): void {
    this.arrived(icount, seekTo(this.t.machine, icount));
  }

  private arrived(icount: number, s: StopReason): void {
    if (s.kind !== "limit" && this.t.machine.icountNumber !== icount) throw new ReverseError(`re-execution stopped at ${this.t.machine.icountNumber} before reaching ${icount}: ${s.kind}`);
    this.afterMove();
  }

  private afterMove(): void {
    this.t.forgetFrames();
    this.moved = true;
  }

  // ---- the history of a memory range ----------------------------------------------------------

  /**
   * Every change to a guest-physical range from the first checkpoint to the present (the
   * recording's end when one is replayed), as long work under a progress item; the machine ends
   * where it was. Undefined when cancelled.
   */
  memoryHistory(range: MemoryRange, limit?: number): Promise<MemoryHistory | undefined> {
    const m = this.t.machine;
    const [from, to] = [this.firstIcount, this.presentIcount];
    if (to <= from) return Promise.resolve({ changes: [], from, to, truncated: false });
    return new Promise((resolve, reject) => {
      const started = this.t.travel(() =>
        this.watched(`History of 0x${(range.address >>> 0).toString(16)}`, async (watch) => {
          this.history.absorb();
          let h: MemoryHistory;
          try {
            h = await runWatched(memoryHistoryWork(m, range, from, to, { chunks: new Chunks(), ...(limit ? { limit } : {}) }), watch);
          } catch (e) {
            if (e instanceof WorkCancelled) resolve(undefined);
            else reject(e);
            throw e;
          }
          resolve(h);
          this.afterMove();
          const n = h.changes.length;
          return { reason: "goto", description: `History: ${n} change${n === 1 ? "" : "s"}${h.truncated ? " (limit reached)" : ""}` };
        }),
      );
      // Another move is under way, or the session ended: nothing will answer.
      if (!started) reject(new ReverseError("the guest is busy with another move; try again when it stops"));
    });
  }

  // ---- going live ----------------------------------------------------------------------------

  /**
   * Makes the current (past) position the present: the journal and checkpoints after it are
   * dropped, and the frames that arrived after it go back on the wire to arrive again live
   * (where the user may edit the next one). Returns how many frames were queued again.
   */
  goLive(): number {
    const m = this.t.machine;
    if (this.t.isRunning) throw new ReverseError("pause the guest first");
    if (!this.inPast) return 0;
    const here = { icount: m.icountNumber, ns: m.internals.point().ns };
    const after = m.journal.all().filter((e) => e.icount > here.icount || (e.icount === here.icount && e.ns > here.ns));
    this.history.absorb();
    const snap = saveSnapshot(m);
    restoreSnapshot(m, snap, "live");
    m.timeline.truncateAfter(here.icount);
    this.history.truncateAfter(here.icount);
    let n = 0;
    for (const e of after) {
      if (e.kind !== "frame") continue;
      m.wire.inject(e.bytes, Math.max(e.ns, here.ns));
      n++;
    }
    this.afterMove();
    return n;
  }

  /** The next frame queued on the wire, if any. */
  nextFrame(): { ns: number; bytes: Uint8Array } | undefined {
    const q = this.t.machine.wire.getState().queue[0];
    return q ? { ns: q.ns, bytes: new Uint8Array(Buffer.from(q.bytes, "base64")) } : undefined;
  }

  /** Replaces the bytes of the next queued frame (only live: a replay re-injects the journal). */
  editNextFrame(bytes: Uint8Array): void {
    if (this.inPast) throw new ReverseError("the machine is replaying its past: go live first, then edit the next packet");
    if (bytes.length < 14 || bytes.length > 16_384) throw new ReverseError(`a frame must be 14 to 16384 bytes, got ${bytes.length}`);
    const wire = this.t.machine.wire;
    const s = wire.getState();
    if (!s.queue.length) throw new ReverseError("no frame is queued on the wire");
    s.queue[0]!.bytes = Buffer.from(bytes).toString("base64");
    wire.setState(s);
  }
}
