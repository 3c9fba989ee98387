// `lvmm pcap`: the NIC traffic of a recording as pcapng (both directions, virtual timestamps).
import { writeFileSync } from "node:fs";
import { parse } from "../options";
import { EXIT, UsageError } from "../errors";
import { IMAGE_HELP, IMAGE_OPTIONS, loadRecording, loadTransmits, withRecordingErrors } from "../recording-file";
import { EventKind } from "../../vmm/recording/format";
import { writePcapng, type PcapPacket } from "../../vmm/recording/pcapng";

export const PCAP_HELP = `usage: lvmm pcap FILE --out X.pcapng [--kernel ELF] [--disk IMG]
  Writes every frame that arrived on the NIC wire and every frame the guest transmitted, in
  order, as pcapng for Wireshark or tshark. Timestamps are virtual time from the recorded RTC
  epoch (ns resolution); each packet's comment gives its instruction count. Recordings of
  format 5 and later do not store what the guest transmitted: replaying recomputes it.
${IMAGE_HELP}`;

export async function pcap(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: "string" }, ...IMAGE_OPTIONS }, true);
  if (!values.out) throw new UsageError("--out X.pcapng is required");
  return withRecordingErrors(async () => {
    const rec = loadRecording(positionals[0]);
    const epochNs = BigInt(rec.header.launch.epochMs) * 1_000_000n;
    const packets: (PcapPacket & { icount: number })[] = [];
    let tx: Uint8Array[] = [];
    const transmits = await loadTransmits(rec, positionals[0]!, values, false);
    const stored = transmits.source === "recorded";
    for (const e of stored ? rec.events : [...rec.events.filter((x) => x.kind === EventKind.FrameIn), ...transmits.events]) {
      if (e.kind === EventKind.FrameIn) {
        packets.push({ icount: e.icount, timestampNs: epochNs + BigInt(Math.round(e.ns)), data: e.bytes, direction: "inbound", comment: `icount ${e.icount}` });
      } else if (e.kind === EventKind.TxDma) {
        tx.push(e.tx.bytes);
        if (e.tx.cmd & 0x01 /* EOP */) {
          const data = new Uint8Array(tx.reduce((n, b) => n + b.length, 0));
          let o = 0;
          for (const b of tx) data.set(b, (o += b.length) - b.length);
          tx = [];
          if (data.length) packets.push({ icount: e.icount, timestampNs: epochNs + BigInt(Math.round(e.ns)), data, direction: "outbound", comment: `icount ${e.icount}` });
        }
      }
    }
    packets.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : a.icount - b.icount));
    writeFileSync(values.out!, writePcapng(packets));
    const how = stored ? "" : transmits.incomplete ? "; transmits left out or incomplete" : "; transmits recomputed by replaying the recording";
    console.log(
      `lvmm: wrote ${packets.length} packets (${packets.filter((p) => p.direction === "inbound").length} in, ${packets.filter((p) => p.direction === "outbound").length} out) to ${values.out}${how}`,
    );
    return EXIT.ok;
  });
}
