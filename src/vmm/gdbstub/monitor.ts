// `monitor` commands (qRcmd): what gdb has no word for. icount, goto N, dma [K], timeline,
// checkpoint, help. Each returns the text gdb prints. A long goto also prints its progress while
// it runs: gdb waits for a qRcmd's reply only `remotetimeout` (2 s) between packets, and took a
// late reply as the answer to its next request.
import { EXCEPTION_NAMES, type Machine } from "../machine";
import type { RxInterrupt } from "../nic-dma-log";
import { RewindError, seekToWork } from "../reverse";
import { Chunks, runWatched } from "../long-work";
import { describeFrame, hexDump } from "../recording/packet-view";
import { hex32, rxStatusBits } from "../recording/event-log";

/**
 * The receive interrupts seen so far, kept across seeks (a seek back drops the later ones from
 * the machine's DMA log; re-execution is deterministic, so a number always means the same one).
 */
export class DmaHistory {
  private readonly rx = new Map<number, RxInterrupt>();

  constructor(private readonly m: Machine) {}

  absorb(): void {
    const rx = this.m.dmaLog?.interrupts() ?? [];
    // Newest first: once one is known complete, so is every older one (only the newest is open).
    for (let i = rx.length - 1; i >= 0; i--) {
      const r = rx[i]!;
      const known = this.rx.get(r.seq);
      // An interrupt still open (no RDT write yet) is taken again once it has its descriptors.
      if (!known || known.descriptors.length < r.descriptors.length || known.rdt === undefined) this.rx.set(r.seq, { ...r, descriptors: [...r.descriptors] });
      else if (i < rx.length - 1) break;
    }
  }

  all(): RxInterrupt[] {
    this.absorb();
    return [...this.rx.values()].sort((a, b) => a.seq - b.seq);
  }
}

export interface MonitorContext {
  machine: Machine;
  history: DmaHistory;
  /** The machine moved in time (gdb's cached registers are stale). */
  moved(): void;
  /** Prints a line now, before the command's reply (gdb shows it as it comes). */
  output?(text: string): void;
  /** How often a long goto prints its progress (default PROGRESS_EVERY_MS). */
  progressEveryMs?: number;
}

/** Progress lines of a goto, at most this often (well inside gdb's 2 s remote timeout). */
const PROGRESS_EVERY_MS = 500;

const HELP = `lvmm monitor commands:
  monitor icount       the instruction count and virtual time here, and the history's span
  monitor goto N       seek to instruction count N (then: maintenance flush register-cache)
  monitor dma [K]      the receive interrupts of the NIC DMA log, or interrupt K's descriptors and packets
  monitor timeline     checkpoints, inputs and interrupts: a summary
  monitor checkpoint   take a checkpoint here
  monitor catch [V...|none]  stop on these CPU exception vectors (0-31, e.g. 13 14), on the
                       first instruction of the guest's handler; no argument: the ones set
`;

export async function runMonitor(ctx: MonitorContext, line: string): Promise<string> {
  const m = ctx.machine;
  const [cmd, ...args] = line.trim().split(/\s+/);
  try {
    switch (cmd) {
      case "":
      case "help":
        return HELP;
      case "icount": {
        const first = m.timeline.checkpoints[0]?.icount ?? 0;
        return `icount ${m.icountNumber} (virtual time ${(m.nowNs / 1e9).toFixed(9)} s); history from ${first} to ${present(m)}${inPast(m) ? " (replaying the past)" : ""}\n`;
      }
      case "goto": {
        const n = Number(args[0]);
        if (!args[0] || !Number.isSafeInteger(n) || n < 0) return "usage: monitor goto N (an instruction count)\n";
        const first = m.timeline.checkpoints[0]?.icount ?? 0;
        if (n < first) return `instruction ${n} is before the first checkpoint (${first})\n`;
        if (n > present(m)) return `instruction ${n} is after the present (${present(m)}): continue or step to get there\n`;
        ctx.history.absorb();
        let shown = performance.now();
        const stop = await runWatched(seekToWork(m, n, new Chunks()), {
          progress: (p) => {
            if (performance.now() - shown < (ctx.progressEveryMs ?? PROGRESS_EVERY_MS) || !p.total) return;
            shown = performance.now();
            ctx.output?.(`seeking: ${((100 * p.done) / p.total).toFixed(0)}% (${p.done} of ${p.total} instructions)\n`);
          },
        });
        ctx.moved();
        if (stop.kind !== "limit") return `re-execution stopped at ${m.icountNumber}: ${stop.kind}\n`;
        return `at instruction ${m.icountNumber}, eip 0x${m.cpu.registers().eip.toString(16)}; run "maintenance flush register-cache" to refresh gdb's view\n`;
      }
      case "dma":
        return dma(ctx, args[0]);
      case "timeline":
        return timeline(ctx);
      case "catch":
        return catchExceptions(m, args);
      case "checkpoint": {
        const cp = m.timeline.checkpoint();
        return `checkpoint at icount ${cp.icount} (${m.timeline.checkpoints.length} checkpoints, ${(m.timeline.memoryBytes / 2 ** 20).toFixed(1)} MiB)\n`;
      }
      default:
        return `unknown monitor command "${cmd}"\n${HELP}`;
    }
  } catch (e) {
    if (e instanceof RewindError || e instanceof RangeError) return `${e.message}\n`;
    throw e;
  }
}

function catchExceptions(m: Machine, args: string[]): string {
  if (args.length === 1 && args[0] === "none") m.setExceptionStops([]);
  else if (args.length) {
    const vectors = args.map(Number);
    if (!vectors.every((v) => Number.isInteger(v) && v >= 0 && v <= 31)) return "usage: monitor catch [V...|none] (vectors 0-31)\n";
    m.setExceptionStops(vectors);
  }
  const on = m.exceptionStops;
  return on.length ? `stopping on exceptions: ${on.map((v) => EXCEPTION_NAMES[v] ?? `vector ${v}`).join(", ")}\n` : "stopping on no exception\n";
}

function present(m: Machine): number {
  return m.internals.replayPresent?.icount ?? m.icountNumber;
}

function inPast(m: Machine): boolean {
  return m.internals.replayPresent !== undefined;
}

function dma(ctx: MonitorContext, arg: string | undefined): string {
  if (!ctx.machine.dmaLog) return "the machine has no NIC\n";
  const rx = ctx.history.all();
  if (arg === undefined) {
    if (!rx.length) return "no receive interrupt yet\n";
    const shown = rx.slice(-20);
    const lines = shown.map(
      (r) => `#${r.seq}: ICR ${hex32(r.icr)} at icount ${r.icrIcount}, ${r.descriptors.length} descriptor(s)${r.rdt !== undefined ? `, RDT=${r.rdt} at icount ${r.rdtIcount}` : ""}`,
    );
    const more = rx.length > shown.length ? `(the last ${shown.length} of ${rx.length}; monitor dma K for one)\n` : "";
    return `${more}${lines.join("\n")}\n`;
  }
  const k = Number(arg);
  const r = rx.find((x) => x.seq === k);
  if (!r) return `no receive interrupt #${arg} so far (${rx.length ? `#${rx[0]!.seq}..#${rx[rx.length - 1]!.seq}` : "none yet"})\n`;
  const out = [
    `interrupt #${r.seq}: ICR ${hex32(r.icr)} read at icount ${r.icrIcount}${r.rdt !== undefined ? `, RDT=${r.rdt} written at icount ${r.rdtIcount}` : ""}, ${r.descriptors.length} descriptor(s)`,
  ];
  for (const d of r.descriptors) {
    out.push(
      `  desc [${d.index}] addr ${hex32(d.addr)} len ${d.length} status ${rxStatusBits(d.status)} errors 0x${d.errors.toString(16).padStart(2, "0")}, DMA at icount ${d.dmaIcount}, handed back at icount ${d.consumedIcount}`,
    );
    out.push(...describeFrame(d.bytes), ...hexDump(d.bytes, "    ", 128));
  }
  return out.join("\n") + "\n";
}

function timeline(ctx: MonitorContext): string {
  const m = ctx.machine;
  const cps = m.timeline.checkpoints;
  const rx = m.dmaLog ? ctx.history.all() : [];
  return [
    `icount ${m.icountNumber} of ${present(m)} (present)${inPast(m) ? ", replaying the past" : ""}; virtual time ${(m.nowNs / 1e9).toFixed(6)} s`,
    `checkpoints: ${cps.length} (${cps.length ? `${cps[0]!.icount}..${cps[cps.length - 1]!.icount}` : "none"}), ${(m.timeline.memoryBytes / 2 ** 20).toFixed(1)} MiB`,
    `inputs journaled: ${m.journal.length}; receive interrupts: ${rx.length}; transmits: ${m.dmaLog?.transmitCount ?? 0}`,
    "",
  ].join("\n");
}
