// `lvmm dma`: the NIC DMA log of a recording, per receive interrupt (the thesis's log): each
// consumed descriptor with its buffer, status bits and the packet decoded, then a hex dump.
import { parse, positiveInteger } from "../options";
import { EXIT, UsageError } from "../errors";
import { IMAGE_HELP, IMAGE_OPTIONS, loadRecording, loadTransmits, withRecordingErrors, writeOut } from "../recording-file";
import { EventKind } from "../../vmm/recording/format";
import { hex32, rxStatusBits, txCmdBits } from "../../vmm/recording/event-log";
import { describeFrame, hexDump } from "../../vmm/recording/packet-view";
import type { RecordedEvent } from "../../vmm/recording/codec";
import type { RxInterrupt } from "../../vmm/nic-dma-log";
import { writeJson } from "../json-output";

export const DMA_HELP = `usage: lvmm dma FILE [--interrupt K] [--tx] [--bytes N] [--json] [--kernel ELF] [--disk IMG]
  Prints every receive interrupt of the recorded NIC DMA log (or only interrupt K): the
  descriptors the driver consumed between its ICR read and RDT write, with index, buffer
  address, length, status bits, when the NIC wrote them and when the driver handed them back,
  the packet decoded (Ethernet, ARP, IPv4, UDP, RTP) and a hex dump (first N bytes, default 256).
  A buffer the NIC wrote again before the driver's next RDT write is flagged (the driver may
  still have been reading it).
  --json  one JSON object instead: { interrupts: [...] } (or { transmits: [...] } with --tx),
          each descriptor with its fields, status bits, overlap, packet lines and all its
          bytes in base64 (--bytes limits the text's hex dump only)
  --tx  the transmit descriptors instead (recordings of format 5 and later do not store them:
        they are recomputed by replaying the recording)
${IMAGE_HELP}`;

export async function dma(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { interrupt: { type: "string" }, tx: { type: "boolean" }, bytes: { type: "string" }, json: { type: "boolean" }, ...IMAGE_OPTIONS }, true);
  const only = values.interrupt === undefined ? undefined : positiveInteger("interrupt", values.interrupt);
  const limit = positiveInteger("bytes", values.bytes) ?? 256;
  return withRecordingErrors(async () => {
    const rec = loadRecording(positionals[0]);
    const out: string[] = [];
    const transmits: unknown[] = [];
    if (values.tx) {
      for (const e of (await loadTransmits(rec, positionals[0]!, values, true)).events) {
        const t = e.tx;
        transmits.push({ ...t, cmdBits: txCmdBits(t.cmd), packet: describeFrame(t.bytes, "") });
        out.push(`tx desc [${t.index}] addr ${hex32(t.addr)} len ${t.length} cmd ${txCmdBits(t.cmd)} status ${t.status & 1 ? "DD" : "0"} at icount ${t.icount} (t=${(t.ns / 1e9).toFixed(9)} s)`);
        out.push(...describeFrame(t.bytes), ...hexDump(t.bytes, "    ", limit));
      }
      await (values.json ? writeJson({ transmits }) : writeOut(out.join("\n") + (out.length ? "\n" : "")));
      return EXIT.ok;
    }
    const rx = rec.events.filter((e): e is Extract<RecordedEvent, { kind: EventKind.RxDmaInterrupt }> => e.kind === EventKind.RxDmaInterrupt).map((e) => e.rx);
    const overlaps = findOverlaps(rx);
    const shown = only === undefined ? rx : rx.filter((r) => r.seq === only);
    if (only !== undefined && shown.length === 0)
      throw new UsageError(`no receive interrupt #${only} in the recording (it has ${rx.length}, numbered ${rx[0]?.seq ?? "-"}..${rx[rx.length - 1]?.seq ?? "-"})`);
    if (values.json) {
      await writeJson({
        interrupts: shown.map((r) => ({
          ...r,
          descriptors: r.descriptors.map((d) => ({ ...d, statusBits: rxStatusBits(d.status), overlap: overlaps.get(d) ?? null, packet: describeFrame(d.bytes, "") })),
        })),
      });
      return EXIT.ok;
    }
    for (const r of shown) {
      out.push(
        `interrupt #${r.seq}: ICR ${hex32(r.icr)} read at icount ${r.icrIcount} (t=${(r.icrNs / 1e9).toFixed(9)} s)${r.rdt !== undefined ? `, RDT=${r.rdt} written at icount ${r.rdtIcount}` : ""}, ${r.descriptors.length} descriptor(s)`,
      );
      for (const d of r.descriptors) {
        out.push(
          `  desc [${d.index}] addr ${hex32(d.addr)} len ${d.length} status ${rxStatusBits(d.status)} errors 0x${d.errors.toString(16).padStart(2, "0")}, DMA at icount ${d.dmaIcount} (t=${(d.dmaNs / 1e9).toFixed(9)} s), handed back at icount ${d.consumedIcount}`,
        );
        const o = overlaps.get(d);
        if (o)
          out.push(
            `  ! possible overlap: buffer ${hex32(d.addr)} DMA'd again at icount ${o.dmaIcount} (desc [${o.index}], interrupt #${o.seq}), ${o.dmaIcount - d.consumedIcount} instructions after it was handed back and before the driver's next RDT write (icount ${o.nextRdtIcount})`,
          );
        out.push(...describeFrame(d.bytes), ...hexDump(d.bytes, "    ", limit));
      }
    }
    await writeOut(out.join("\n") + (out.length ? "\n" : ""));
    return EXIT.ok;
  });
}

type Desc = RxInterrupt["descriptors"][number];

/**
 * For each descriptor, a DMA into the same buffer after the driver handed it back but before
 * the driver's next RDT write: if the driver was still reading the buffer then (the rdt-early
 * race), that frame overwrote it.
 */
export function findOverlaps(rx: readonly RxInterrupt[]): Map<Desc, { dmaIcount: number; index: number; seq: number; nextRdtIcount: number }> {
  const all = rx.flatMap((r) => r.descriptors.map((d) => ({ d, seq: r.seq })));
  const handBacks = [...new Set(all.map(({ d }) => d.consumedIcount))].sort((a, b) => a - b);
  const byAddr = new Map<number, { d: Desc; seq: number }[]>();
  for (const x of all) (byAddr.get(x.d.addr) ?? byAddr.set(x.d.addr, []).get(x.d.addr)!).push(x);
  const out = new Map<Desc, { dmaIcount: number; index: number; seq: number; nextRdtIcount: number }>();
  for (const { d } of all) {
    const nextRdt = handBacks.find((c) => c > d.consumedIcount) ?? Infinity;
    const hit = byAddr.get(d.addr)!.find(({ d: o }) => o.dmaIcount > d.consumedIcount && o.dmaIcount < nextRdt);
    if (hit) out.set(d, { dmaIcount: hit.d.dmaIcount, index: hit.d.index, seq: hit.seq, nextRdtIcount: nextRdt });
  }
  return out;
}
