// Exact instruction-count control over v86's main loop (through the patched wasm globals).
//
// Fast slices run the JIT with a budget and may overshoot it by up to one compiled-module or
// interpreted-block run; exact slices run the interpreter one instruction per cycle. To land on
// an exact count, the executor runs fast until SAFETY_MARGIN short of the target and finishes
// exactly. Landing positions therefore never depend on what the JIT happened to have compiled,
// which is what makes runs (and runs after a snapshot restore) repeatable.
import type { V86Instance } from "./v86/instantiate";
import { stableView } from "./v86/internals";
import { FAR_JIT_LOOP_BUDGET, JIT_LOOP_BUDGET } from "./v86/wasm-patches";

/**
 * Fast slices stop this far short of a target; compiled code rarely overshoots by more: it checks
 * its budget at loop heads every JIT_LOOP_BUDGET instructions near a target. Far from one, it
 * checks every FAR_JIT_LOOP_BUDGET (fewer exits to main_loop, as stock v86) and the slice stops
 * that much earlier, so it overshoots into the same margin.
 */
export const SAFETY_MARGIN = 4096;
/** Longest interpreted run while approaching a target (then single instructions). */
const APPROACH_RUN = 64;
/** Fast slices are cut at this many instructions so pause requests are seen promptly. */
const MAX_FAST_SLICE = 20_000_000;
/**
 * Interpreter iterations before a backward jump ends an interpreted run in fast slices. v86's
 * stock 100,001 would let one run overshoot a budget by hundreds of thousands of instructions.
 */
const FAST_INTERPRETER_LIMIT = 2000;

export type SliceEnd =
  | { kind: "reached" }
  | { kind: "breakpoint"; address: number }
  | { kind: "exception"; vector: number; errorCode?: number }
  | { kind: "idle" } // HLT with interrupts enabled: waits for the next interrupt
  | { kind: "dead" } // HLT with interrupts disabled
  | { kind: "trap"; message: string };

export interface ExecutorStats {
  fastSlices: number;
  /** Instructions run by the interpreter while approaching an exact count. */
  exactInstructions: number;
  /** Largest overshoot of a fast slice's budget. */
  maxOvershoot: number;
  /** Landings a compiled loop carried past SAFETY_MARGIN (the target was passed). */
  lateLandings: number;
  maxLateBy: number;
}

export class Executor {
  /** 64-bit instruction count, kept in a double (exact to 2^53, ~100 days at 1000 MIPS). */
  private count = 0;
  private lastLow = 0;
  readonly stats: ExecutorStats = { fastSlices: 0, exactInstructions: 0, maxOvershoot: 0, lateLandings: 0, maxLateBy: 0 };
  private readonly mainLoop: () => number;
  /** The last v86 panic text, captured from console_log_from_wasm. */
  lastWasmMessage = "";

  private compiling = true;
  private readonly setJitConfig: (index: number, value: number) => void;

  constructor(
    private readonly vm: V86Instance,
    public jit = true,
  ) {
    this.mainLoop = vm.exports["main_loop"] as () => number;
    this.setJitConfig = vm.exports["set_jit_config"] as (index: number, value: number) => void;
    this.counter = stableView(vm.cpu, vm.cpu.instruction_counter, Uint32Array);
    this.hlt = stableView(vm.cpu, vm.cpu.in_hlt, Uint8Array);
    this.loopBudget = stableView(vm.cpu, { byteOffset: vm.jitBudgetAddr, length: 1 }, Int32Array);
    this.lastLow = this.counter()[0]!;
  }

  /** v86's 32-bit instruction counter (read on every device access, so not through its Proxy). */
  private readonly counter: () => Uint32Array;
  private readonly hlt: () => Uint8Array;
  /** The instructions compiled code may run between its budget checks (wasm-patches.ts rewriteJitModule). */
  private readonly loopBudget: () => Int32Array;

  /** The count now; inside a slice (device callbacks) the start of the current block or run. */
  get icount(): number {
    return this.count + ((this.counter()[0]! - this.lastLow) >>> 0);
  }

  /** After a snapshot restore: v86 does not keep the counter in its state. */
  setIcount(n: number): void {
    this.count = n;
    this.counter()[0] = n >>> 0;
    this.lastLow = n >>> 0;
  }

  private sync(): void {
    const low = this.counter()[0]!;
    this.count += (low - this.lastLow) >>> 0;
    this.lastLow = low;
  }

  /** Bit n: stop right after CPU exception vector n is delivered to the guest. */
  set exceptionMask(mask: number) {
    this.vm.controls.excMask.value = mask | 0;
  }
  get exceptionMask(): number {
    return this.vm.controls.excMask.value as number;
  }

  get halted(): boolean {
    return this.hlt()[0] !== 0;
  }

  /**
   * Calls into v86 outside main_loop (timers, IRQ delivery at sync points). Delivering an
   * interrupt through a corrupt IDT panics inside v86 just like a fault inside main_loop.
   */
  guard(fn: () => void): SliceEnd | undefined {
    const sp = this.vm.controls.stackPointer.value as number;
    try {
      fn();
      return undefined;
    } catch (e) {
      this.vm.controls.stackPointer.value = sp;
      this.sync();
      return { kind: "trap", message: this.lastWasmMessage || (e instanceof Error ? e.message : String(e)) };
    }
  }

  /**
   * Runs one main_loop call with the given budget; returns how it ended. `exactRun` > 0 runs
   * the interpreter only, at most that many instructions per interpreted run, so the budget is
   * overshot by at most exactRun - 1 (1: exact to the instruction).
   */
  private slice(budget: number, exactRun = 0): SliceEnd {
    const c = this.vm.controls;
    const exact = exactRun > 0;
    c.budget.value = budget;
    c.exact.value = exact ? 1 : 0;
    c.interpLimit.value = exact ? exactRun : FAST_INTERPRETER_LIMIT;
    const useJit = !exact && this.jit;
    c.jitOn.value = useJit ? 1 : 0;
    // No JIT compilation while interpreting exactly: v86 would compile hot pages it then may
    // not use, again and again (it made exact runs ~10x slower).
    if (useJit !== this.compiling) {
      this.setJitConfig(0, useJit ? 0 : 1);
      this.compiling = useJit;
    }
    const sp = c.stackPointer.value as number;
    try {
      this.mainLoop();
    } catch (e) {
      // A Rust panic in v86 (e.g. "Unimplemented: #GP handler" for a fault it cannot deliver)
      // is a wasm trap: restore the shadow stack and report the machine as dead.
      c.stackPointer.value = sp;
      this.vm.pendingJit.length = 0;
      this.sync();
      const text = this.lastWasmMessage || (e instanceof Error ? e.message : String(e));
      return { kind: "trap", message: text };
    } finally {
      const pending = this.vm.pendingJit;
      for (let i = 0; i < pending.length; i++) {
        const [index, start, flags] = pending[i]!;
        this.vm.cpu.codegen_finalize_finished(index, start, flags);
      }
      pending.length = 0;
    }
    this.sync();
    if (c.excHit.value) {
      c.excHit.value = 0;
      this.vm.cpu.in_hlt[0] = 0;
      const err = c.excError.value as number;
      return { kind: "exception", vector: c.excVector.value as number, ...(err === -1 ? {} : { errorCode: err >>> 0 }) };
    }
    if (c.bpHit.value) {
      c.bpHit.value = 0;
      this.vm.cpu.in_hlt[0] = 0;
      return { kind: "breakpoint", address: this.vm.cpu.instruction_pointer[0]! >>> 0 };
    }
    if (this.vm.cpu.in_hlt[0]) {
      return this.vm.cpu.get_eflags() & 0x200 ? { kind: "idle" } : { kind: "dead" };
    }
    return { kind: "reached" };
  }

  /**
   * Runs until the instruction count is exactly `target`, or the guest halts, hits a breakpoint
   * or traps first. `shouldYield` is polled between fast slices.
   */
  runTo(target: number, shouldYield?: () => boolean): SliceEnd {
    while (this.count < target) {
      const rem = target - this.count;
      let end: SliceEnd;
      const before = this.count;
      if (rem > SAFETY_MARGIN && this.jit) {
        // Far from the target: long runs of compiled code, stopping FAR_JIT_LOOP_BUDGET earlier.
        const far = rem - SAFETY_MARGIN - FAR_JIT_LOOP_BUDGET >= FAR_JIT_LOOP_BUDGET;
        const budget = Math.min(far ? rem - SAFETY_MARGIN - FAR_JIT_LOOP_BUDGET : rem - SAFETY_MARGIN, MAX_FAST_SLICE);
        this.loopBudget()[0] = far ? FAR_JIT_LOOP_BUDGET : JIT_LOOP_BUDGET;
        end = this.slice(budget);
        this.stats.fastSlices++;
        const over = this.count - before - budget;
        if (over > this.stats.maxOvershoot) this.stats.maxOvershoot = over;
      } else if (rem >= APPROACH_RUN) {
        // Interpreted runs of up to APPROACH_RUN instructions: cannot pass the target.
        end = this.slice(Math.min(rem - APPROACH_RUN + 1, 0x7fffffff), APPROACH_RUN);
        this.stats.exactInstructions += this.count - before;
      } else {
        end = this.slice(rem, 1);
        this.stats.exactInstructions += this.count - before;
      }
      if (this.count > target) {
        // A compiled loop ran past the margin (v86 checks its loop budget only in single-entry
        // loops). The landing happens late; callers see it in stats and recordings verify it.
        this.stats.lateLandings++;
        this.stats.maxLateBy = Math.max(this.stats.maxLateBy, this.count - target);
        return end.kind === "reached" ? { kind: "reached" } : end;
      }
      if (end.kind !== "reached") return end;
      if (shouldYield && this.count < target && shouldYield()) return { kind: "reached" };
    }
    return { kind: "reached" };
  }

  /** Executes exactly one instruction (or reports why it could not). */
  step(): SliceEnd {
    return this.slice(1, 1);
  }
}
