// Creates a v86 emulator on the patched wasm, with the host-owned imports (virtual clock,
// deterministic randomness, synchronous JIT installation) wired in. No BIOS: the kernel is
// loaded by v86's multiboot loader.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { V86 } from "v86";
import v86Package from "v86/package.json";
import { checkPinnedVersion, checkPinnedWasm } from "./pinned";
import { JIT_LOOP_BUDGET, patchV86Wasm, rewriteJitModule, type PatchedV86 } from "./wasm-patches";
import { checkInternals, type V86Cpu, type V86Inner } from "./internals";

export interface V86Controls {
  budget: WebAssembly.Global;
  interpLimit: WebAssembly.Global;
  exact: WebAssembly.Global;
  jitOn: WebAssembly.Global;
  bpArmed: WebAssembly.Global;
  bpHit: WebAssembly.Global;
  stackPointer: WebAssembly.Global;
  excMask: WebAssembly.Global;
  excHit: WebAssembly.Global;
  excVector: WebAssembly.Global;
  excError: WebAssembly.Global;
  repLoad: WebAssembly.Global;
}

/** Host callbacks the emulator calls while it runs. */
export interface V86HostHooks {
  /** Virtual time in milliseconds (v86's microtick). */
  microtick(): number;
  /** Deterministic replacement for get_rand_int (RDRAND and friends). */
  randomInt(): number;
  /** A message v86's wasm printed (its panic text ends up here). */
  wasmLog(text: string): void;
}

export interface V86Instance {
  emulator: V86;
  inner: V86Inner;
  cpu: V86Cpu;
  exports: Record<string, unknown>;
  controls: V86Controls;
  /** JIT modules compiled during the last main_loop call, to finish once it has returned. */
  pendingJit: [number, number, number][];
  /**
   * Address in v86's memory of the i32 every compiled module compares its instruction counter
   * with at its loop heads (wasm-patches.ts rewriteJitModule); the executor sets it per slice.
   */
  jitBudgetAddr: number;
  /** Address in v86's memory of the block table in_mapped_range reads (wasm-patches.ts): a byte per 128 KiB block. */
  mappedBlocksAddr: number;
}

let compiled: { module: WebAssembly.Module; patched: PatchedV86 } | undefined;

function locateWasm(): string {
  const candidates = [join(__dirname, "v86.wasm")];
  try {
    candidates.push(join(dirname(require.resolve("v86/package.json")), "build", "v86.wasm"));
  } catch {
    // not resolvable from a bundle: the copy beside it is used
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`v86.wasm not found (looked in ${candidates.join(", ")}); run npm run build`);
  return found;
}

function patchedModule(): { module: WebAssembly.Module; patched: PatchedV86 } {
  if (!compiled) {
    checkPinnedVersion((v86Package as { version?: string }).version);
    const bytes = new Uint8Array(readFileSync(locateWasm()));
    checkPinnedWasm(bytes);
    const patched = patchV86Wasm(bytes);
    compiled = { module: new WebAssembly.Module(patched.bytes), patched };
  }
  return compiled;
}

/**
 * The one microtick static v86's JS devices share across instances points at the running
 * machine. A run activates its machine and puts back what was active before, so a machine
 * being created meanwhile (its devices read microtick as they initialise, between the awaits
 * of instantiateV86) reads its own clock, not that of a machine another task ran.
 */
let activeHooks: V86HostHooks | undefined;
export function activate(hooks: V86HostHooks | undefined): V86HostHooks | undefined {
  const before = activeHooks;
  activeHooks = hooks;
  return before;
}

export interface V86BootOptions {
  kernel: Uint8Array;
  cmdline: string;
  memoryBytes: number;
  hooks: V86HostHooks;
  /** Extra disk image for the IDE controller (the delivery engine's media disk). */
  disk?: Uint8Array;
}

export async function instantiateV86(opts: V86BootOptions): Promise<V86Instance> {
  const { module, patched } = patchedModule();
  let instanceExports: WebAssembly.Exports | undefined;
  const kernel = opts.kernel.slice().buffer;
  const emulator = new V86({
    wasm_fn: async (imports: WebAssembly.Imports) => {
      const env = imports["env"] as Record<string, unknown>;
      // Per instance, unlike the JS static below: the wasm side (the TSC) reads its own clock.
      env["microtick"] = () => opts.hooks.microtick();
      env["get_rand_int"] = () => opts.hooks.randomInt();
      env["console_log_from_wasm"] = (offset: number, len: number) => {
        const mem = (instanceExports!["memory"] as WebAssembly.Memory).buffer;
        opts.hooks.wasmLog(new TextDecoder().decode(new Uint8Array(mem, offset, len)));
      };
      const instance = await WebAssembly.instantiate(module, imports);
      instanceExports = instance.exports;
      return instance.exports;
    },
    memory_size: opts.memoryBytes,
    vga_memory_size: 256 * 1024,
    multiboot: { buffer: kernel },
    cmdline: opts.cmdline,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    acpi: false,
    ...(opts.disk ? { hda: { buffer: opts.disk.slice().buffer } } : {}),
  } as ConstructorParameters<typeof V86>[0]);

  await new Promise<void>((resolve) => emulator.add_listener("emulator-loaded", () => resolve()));
  const inner = (emulator as unknown as { v86: V86Inner }).v86;
  checkInternals(inner);
  const cpu = inner.cpu;
  inner.constructor.microtick = () => (activeHooks ?? opts.hooks).microtick();

  const exp = instanceExports!;
  const g = (name: string): WebAssembly.Global => {
    const v = exp[name];
    if (!(v instanceof WebAssembly.Global)) throw new Error(`patched v86.wasm lacks the export ${name}`);
    return v;
  };
  const controls: V86Controls = {
    budget: g(patched.globals.budget),
    interpLimit: g(patched.globals.interpLimit),
    exact: g(patched.globals.exact),
    jitOn: g(patched.globals.jitOn),
    bpArmed: g(patched.globals.bpArmed),
    bpHit: g(patched.globals.bpHit),
    stackPointer: g(patched.globals.stackPointer),
    excMask: g(patched.globals.excMask),
    excHit: g(patched.globals.excHit),
    excVector: g(patched.globals.excVector),
    excError: g(patched.globals.excError),
    repLoad: g(patched.globals.repLoad),
  };

  const malloc = exp["v86_malloc"];
  if (typeof malloc !== "function") throw new Error("patched v86.wasm lacks the export v86_malloc");
  const jitBudgetAddr = (malloc as (n: number) => number)(4) >>> 0;
  if (jitBudgetAddr % 4) throw new Error(`v86_malloc returned an unaligned address ${jitBudgetAddr}`);
  new Int32Array(cpu.wasm_memory.buffer, jitBudgetAddr, 1)[0] = JIT_LOOP_BUDGET;
  // One byte per 128 KiB block of the 4 GiB physical space; the VGA window (0xA0000) is mapped, as in stock v86.
  const mappedBlocksAddr = (malloc as (n: number) => number)(MAPPED_BLOCKS) >>> 0;
  const blocks = new Uint8Array(cpu.wasm_memory.buffer, mappedBlocksAddr, MAPPED_BLOCKS);
  blocks.fill(0);
  blocks[0xa0000 >>> 17] = 1;
  g(patched.globals.mappedBlocks).value = mappedBlocksAddr;
  const instance: V86Instance = { emulator, inner, cpu, exports: exp as Record<string, unknown>, controls, pendingJit: [], jitBudgetAddr, mappedBlocksAddr };
  // v86 installs JIT code asynchronously; the LVMM compiles it synchronously and finishes the
  // cache entry after main_loop returns (finishing re-entrantly panics with "WouldBlock"). Each
  // module's loop-safety checks are made to read their budget from the cell first.
  cpu.codegen_finalize = (index, start, stateFlags, ptr, len) => {
    const code = rewriteJitModule(new Uint8Array(cpu.wasm_memory.buffer, ptr >>> 0, len >>> 0).slice(), jitBudgetAddr);
    const jit = new WebAssembly.Instance(new WebAssembly.Module(code), { e: cpu.jit_imports as WebAssembly.ModuleImports });
    cpu.wm.wasm_table.set(index + WASM_TABLE_OFFSET, jit.exports["f"] as WebAssembly.ExportValue);
    instance.pendingJit.push([index, start, stateFlags]);
  };
  return instance;
}

/** Blocks of 128 KiB in the 32-bit physical address space. */
export const MAPPED_BLOCKS = 2 ** 32 / 2 ** 17;

/** v86's WASM_TABLE_OFFSET (v86/src/const.js): JIT functions start after the built-in table entries. */
const WASM_TABLE_OFFSET = 1024;
