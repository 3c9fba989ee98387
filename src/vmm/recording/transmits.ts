// A recording's transmit descriptors. From format 5 on a file stores only what a replay needs:
// the inputs and the receive side (as the thesis logs them). What the guest transmitted is its
// output: replaying the recording re-executes the guest, whose NIC model consumes the same
// transmit descriptors at the same instruction counts, and they are collected as it does
// (`lvmm events`, `lvmm dma --tx` and `lvmm pcap` use this; a debug session over a recording
// shows the machine's own DMA log, which its re-execution fills). Older files carry them as
// tx-dma events, which are used as they are.
import type { RecordedEvent } from "./codec";
import { EventKind, FIRST_VERSION_WITHOUT_TX } from "./format";
import type { Recording } from "./reader";
import { Replayer, type ReplayOptions } from "./replayer";

export type TxEvent = Extract<RecordedEvent, { kind: EventKind.TxDma }>;

export interface Transmits {
  /** In the order the NIC consumed them (instruction count order). */
  events: TxEvent[];
  /** Stored in the file (formats 2 to 4), or recomputed by replaying it. */
  source: "recorded" | "replayed";
  /** Set when the replay did not reach the recorded end: transmits after that point are missing. */
  incomplete?: string;
  /** Wall ms the replay took (source "replayed"). */
  wallMs?: number;
}

/** Whether the file itself holds the transmit records (formats before 5). */
export function storesTransmits(rec: Recording): boolean {
  return rec.header.formatVersion < FIRST_VERSION_WITHOUT_TX;
}

/**
 * The recording's transmit descriptors: its tx-dma events, or (format 5 and later) those its
 * replay produces. `opts` gives the kernel and disk images a file that does not embed them needs
 * (Replayer.create throws RecordingError "wrong-kernel"/"wrong-disk" without them).
 */
export async function transmitsOf(rec: Recording, opts: Pick<ReplayOptions, "kernel" | "disk"> = {}): Promise<Transmits> {
  if (storesTransmits(rec)) return { events: rec.events.filter((e): e is TxEvent => e.kind === EventKind.TxDma), source: "recorded" };
  const rp = await Replayer.create(rec, opts);
  try {
    const m = rp.machine;
    const clock = m.internals.clock;
    const events: TxEvent[] = [];
    // As the recording machine's DMA log notes them (nic-dma-log.ts): the count of the TDT
    // write, the time of the last sync point.
    const off = m.nic?.model.onTxDma((r) => {
      const icount = Number(r.icount);
      const ns = clock.seenNs;
      events.push({ kind: EventKind.TxDma, icount, ns, tx: { index: r.index, addr: r.addr, length: r.length, cmd: r.cmd, status: r.status, bytes: r.bytes, icount, ns } });
    });
    const res = rp.run();
    off?.();
    const d = res.divergence;
    const s = res.stop;
    const incomplete = d
      ? `the replay diverged at icount ${d.icount} (${d.kind}; lvmm replay FILE --verify says more)`
      : s
        ? `the replay stopped at icount ${res.endIcount} before the recorded end (${s.kind}${"detail" in s ? `: ${s.detail}` : ""})`
        : undefined;
    return { events, source: "replayed", wallMs: res.wallMs, ...(incomplete ? { incomplete } : {}) };
  } finally {
    rp.destroy();
  }
}
