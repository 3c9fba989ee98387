// `lvmm events`: the recording as a human-readable event log (syntaxes/lvmm-events.tmLanguage.json).
import { parse } from "../options";
import { EXIT, UsageError } from "../errors";
import { IMAGE_HELP, IMAGE_OPTIONS, loadRecording, loadTransmits, withRecordingErrors, writeOut } from "../recording-file";
import { eventJson, eventLine, headerLines, sortedEvents } from "../../vmm/recording/event-log";
import type { RecordedEvent } from "../../vmm/recording/codec";
import { writeJson } from "../json-output";
import { EVENT_KIND_NAMES } from "../../vmm/recording/format";
import { storesTransmits } from "../../vmm/recording/transmits";

export const EVENTS_HELP = `usage: lvmm events FILE [--kind K[,K...]] [--json] [--kernel ELF] [--disk IMG]
  Prints one line per recorded event: instruction count, virtual time, kind and details,
  sorted by instruction count. Kinds: ${Object.values(EVENT_KIND_NAMES).join(", ")}.
  --json  one JSON object instead: { header, events: [{ icount, ns, kind, details, and the
          event's recorded fields, bytes in base64 }] }
  Save it as a .lvmmevents file to open it highlighted in VS Code. Recordings of format 5 and
  later do not store the transmit descriptors (tx-dma), the guest's output: they are
  recomputed by replaying the recording, unless --kind leaves them out.
${IMAGE_HELP}`;

export async function events(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { kind: { type: "string" }, json: { type: "boolean" }, ...IMAGE_OPTIONS }, true);
  const known = new Set(Object.values(EVENT_KIND_NAMES));
  const kinds = values.kind ? new Set(values.kind.split(",").map((k) => k.trim())) : undefined;
  for (const k of kinds ?? []) if (!known.has(k)) throw new UsageError(`unknown event kind "${k}" (known: ${[...known].join(", ")})`);
  return withRecordingErrors(async () => {
    const rec = loadRecording(positionals[0]);
    const out = headerLines(rec.header);
    const shown: RecordedEvent[] = [];
    let all = rec.events;
    if ((!kinds || kinds.has("tx-dma")) && !storesTransmits(rec)) {
      const tx = await loadTransmits(rec, positionals[0]!, values, false);
      all = [...all, ...tx.events];
      // Above the column titles, with the other notes.
      out.splice(
        out.length - 1,
        0,
        `# tx-dma: recomputed by replaying the recording (format ${rec.header.formatVersion} stores only what a replay needs)${tx.incomplete ? `, incomplete: ${tx.incomplete}` : ""}`,
      );
    }
    for (const e of sortedEvents(all)) if (!kinds || kinds.has(EVENT_KIND_NAMES[e.kind])) shown.push(e);
    if (values.json) {
      await writeJson({ header: rec.header, events: shown.map(eventJson) });
      return EXIT.ok;
    }
    // Not out.push(...lines): a spread of a long recording's lines overflows the stack.
    for (const e of shown) out.push(eventLine(e));
    await writeOut(out.join("\n") + "\n");
    return EXIT.ok;
  });
}
