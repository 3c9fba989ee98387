// The recorder's checkpoint hash, off the critical path: the same sha256 over the same bytes as
// machine-hash.ts's stateHash (its stateHashInput: the non-zero RAM pages, registers, counters,
// device models). The guest thread only copies those parts into a shared buffer it reuses (a
// few hundred KiB for the I/O engine, well under a millisecond); a worker thread digests them
// while the guest runs on. The digest is stateHash(m) at the capture point by construction
// (test/recording/dma-refs.test.ts checks it), so the replay's --verify compares exactly that.
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { Machine } from "../machine";
import { stateHashInput } from "../machine-hash";
import { BACKGROUND_NICE } from "./chunk-io";

/** Shared buffer layout: i32 state, then the 32-byte digest, then the hashed bytes. */
const STATE_IDLE = 0;
const STATE_HASHING = 1;
const STATE_DONE = 2;
const DIGEST_AT = 32;
const DATA_AT = 64;

// Plain CommonJS so it runs from any bundle or loader (`eval: true` needs no file on disk).
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
// Below the guest thread, as the chunk I/O thread (chunk-io.ts).
try { require("node:os").setPriority(Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop()), ${BACKGROUND_NICE}); } catch {}
parentPort.on("message", ({ sab, length }) => {
  const state = new Int32Array(sab, 0, 1);
  const digest = createHash("sha256").update(new Uint8Array(sab, ${DATA_AT}, length)).digest();
  new Uint8Array(sab, ${DIGEST_AT}, 32).set(digest);
  Atomics.store(state, 0, ${STATE_DONE});
  Atomics.notify(state, 0);
  parentPort.postMessage(0);
});`;

/** Machines whose RAM a hasher has read once (StateHasher.prepare). */
const prepared = new WeakSet<Machine>();

/**
 * Buffers of closed hashers, for the next recording in this process: a fresh buffer costs
 * page faults on its first copy. At most two are kept.
 */
const spareBuffers: SharedArrayBuffer[] = [];

let shared: Worker | undefined;
let sharedFailed = false;
/** Digests posted and not yet settled, over all hashers: the worker is ref'd while any is. */
let inFlightCount = 0;

function holdWorker(w: Worker, delta: 1 | -1): void {
  inFlightCount += delta;
  if (inFlightCount === 1 && delta === 1) w.ref();
  else if (inFlightCount === 0) w.unref();
}

/**
 * One digest thread for the process, started on first use; it keeps the process alive only
 * while a digest is in flight (holdWorker). Each hasher posts its own buffer and watches its
 * own flag. Starting a thread costs tens of ms, too much to pay per recording.
 */
function sharedWorker(): Worker | undefined {
  if (shared || sharedFailed) return shared;
  try {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.setMaxListeners(0);
    w.once("exit", () => {
      if (shared !== w) return;
      shared = undefined;
      inFlightCount = 0; // each hasher computes what it had in flight itself (dropWorker)
    });
    w.on("error", () => undefined); // reported to each hasher by "exit"
    shared = w;
  } catch {
    sharedFailed = true;
  }
  return shared;
}

/** A hash being computed: `result` settles with it; `now()` waits for it on this thread. */
export interface PendingHash {
  readonly result: Promise<string>;
  now(): string;
}

interface Job {
  length: number;
  hash?: string;
  resolve: (hash: string) => void;
}

/**
 * One shared buffer per recorder, digested by the process's digest thread. A capture while the
 * previous digest is still running waits for it (at most one digest, tens of ms); without a
 * worker (it failed to start or died) the digest is computed on this thread, so a hash is never
 * lost.
 */
export class StateHasher {
  private sab: SharedArrayBuffer | undefined;
  private state: Int32Array | undefined;
  private worker: Worker | undefined;
  private workerFailed = false;
  private inFlight: Job | undefined;

  /** Copies the hashed state now (breakpoint bytes lifted, as stateHash does) and starts its digest. */
  capture(m: Machine): PendingHash {
    this.settleInFlight();
    const length = m.breakpoints.lifted(() => this.copyState(m));
    let resolve!: (hash: string) => void;
    const result = new Promise<string>((res) => (resolve = res));
    const job: Job = { length, resolve };
    const worker = this.startWorker();
    if (worker) {
      Atomics.store(this.state!, 0, STATE_HASHING);
      this.inFlight = job;
      holdWorker(worker, 1);
      worker.postMessage({ sab: this.sab, length });
    } else {
      this.settle(job, this.digestHere(length));
    }
    return {
      result,
      now: () => {
        if (this.inFlight === job) this.settleInFlight();
        return job.hash!;
      },
    };
  }

  /**
   * Copies the state once ahead of the first capture, so that capture costs what the later ones
   * do: the first read of the guest RAM pages the guest never touched faults them in (about
   * 300 ms for 32 MiB on the 2-core VMs these benchmarks run on, 2 ms afterwards), and a fresh
   * buffer's first copy faults its pages in too. A recorder calls it as it attaches, before the
   * guest runs on.
   */
  prepare(m: Machine): void {
    // Once per machine and buffer: a ring recording's next segment finds both warm.
    if (this.inFlight || (prepared.has(m) && (this.sab || spareBuffers.length))) return;
    m.breakpoints.lifted(() => this.copyState(m));
    prepared.add(m);
  }

  /** Lets go of the worker and hands the buffer on (a digest in flight is finished first). */
  close(): void {
    this.settleInFlight();
    this.unlisten?.();
    this.workerFailed = true;
    this.worker = undefined;
    if (this.sab && spareBuffers.length < 2) spareBuffers.push(this.sab);
    this.sab = undefined;
  }

  /** Finishes the digest in flight: waits for the worker's flag (or computes it here). */
  private settleInFlight(): void {
    const job = this.inFlight;
    if (!job) return;
    this.inFlight = undefined;
    if (shared) holdWorker(shared, -1);
    const finished = this.worker !== undefined && Atomics.wait(this.state!, 0, STATE_HASHING, 10_000) !== "timed-out";
    const hash = finished ? Buffer.from(new Uint8Array(this.sab!, DIGEST_AT, 32)).toString("hex") : this.digestHere(job.length);
    Atomics.store(this.state!, 0, STATE_IDLE);
    this.settle(job, hash);
  }

  private settle(job: Job, hash: string): void {
    job.hash = hash;
    job.resolve(hash);
  }

  private copyState(m: Machine): number {
    const parts = stateHashInput(m);
    const length = parts.reduce((n, b) => n + b.length, 0);
    if (!this.sab || this.sab.byteLength < DATA_AT + length) {
      const spare = spareBuffers.findIndex((b) => b.byteLength >= DATA_AT + length);
      // Room for the guest to touch more pages without a new buffer.
      this.sab = spare >= 0 ? spareBuffers.splice(spare, 1)[0]! : new SharedArrayBuffer(DATA_AT + Math.max(2 * length, 1 << 20));
      this.state = new Int32Array(this.sab, 0, 1);
    }
    const data = new Uint8Array(this.sab, DATA_AT, length);
    let at = 0;
    for (const b of parts) {
      data.set(b, at);
      at += b.length;
    }
    return length;
  }

  private digestHere(length: number): string {
    return createHash("sha256")
      .update(new Uint8Array(this.sab!, DATA_AT, length))
      .digest("hex");
  }

  /** Starts the worker now (a recorder does at attach, so its first checkpoint does not wait). */
  startWorker(): Worker | undefined {
    if (this.worker || this.workerFailed) return this.worker;
    const w = sharedWorker();
    if (!w) {
      this.workerFailed = true;
      return undefined;
    }
    // The worker's message wakes this thread's event loop, so the promise settles promptly.
    const onMessage = (): void => {
      if (this.inFlight && Atomics.load(this.state!, 0) === STATE_DONE) this.settleInFlight();
    };
    const onExit = (): void => this.dropWorker();
    w.on("message", onMessage);
    w.once("exit", onExit);
    w.unref(); // a 'message' listener refs it again; only digests in flight may keep the process alive
    this.unlisten = () => {
      w.off("message", onMessage);
      w.off("exit", onExit);
    };
    this.worker = w;
    return w;
  }

  private unlisten: (() => void) | undefined;

  private dropWorker(): void {
    this.unlisten?.();
    this.workerFailed = true;
    this.worker = undefined;
    // A digest the worker never finished is computed here.
    if (this.inFlight) this.settleInFlight();
  }
}

/**
 * The light state digest taken where each input reaches the guest (`--event-hashes`): what rr
 * compares at every event. CPU registers, instruction count, virtual time, HLT and every device's
 * interrupt line; not RAM (a full hash per input would cost ~10 ms each; checkpoints cover RAM).
 * 16 bytes of sha256: a divergence shows at the first input after it instead of at the next
 * checkpoint or interrupt.
 */
export function inputDigest(m: Machine): string {
  const i = m.internals;
  const r = m.cpu.registers();
  const lines = i.devices.map((d) => (d.irqLevel() ? 1 : 0)).join("");
  const text = `${r.eax},${r.ecx},${r.edx},${r.ebx},${r.esp},${r.ebp},${r.esi},${r.edi},${r.eip},${r.eflags},${r.es},${r.cs},${r.ss},${r.ds},${r.fs},${r.gs},${r.cr0},${r.cr2},${r.cr3},${r.cr4};${i.exec.icount};${i.clock.seenNs};${i.vm.cpu.in_hlt[0]};${lines}`;
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
