// `lvmm events`: the recording as a human-readable event log (syntaxes/lvmm-events.tmLanguage.json).
import { parse } from "../options";
import { EXIT, UsageError } from "../errors";
import { loadRecording, withRecordingErrors, writeOut } from "../recording-file";
import { eventLine, headerLines, sortedEvents } from "../../vmm/recording/event-log";
import { EVENT_KIND_NAMES } from "../../vmm/recording/format";

export const EVENTS_HELP = `usage: lvmm events FILE [--kind K[,K...]]
  Prints one line per recorded event: instruction count, virtual time, kind and details,
  sorted by instruction count. Kinds: ${Object.values(EVENT_KIND_NAMES).join(", ")}.
  Save it as a .lvmmevents file to open it highlighted in VS Code.`;

export async function events(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { kind: { type: "string" } }, true);
  const known = new Set(Object.values(EVENT_KIND_NAMES));
  const kinds = values.kind ? new Set(values.kind.split(",").map((k) => k.trim())) : undefined;
  for (const k of kinds ?? []) if (!known.has(k)) throw new UsageError(`unknown event kind "${k}" (known: ${[...known].join(", ")})`);
  return withRecordingErrors(async () => {
    const rec = loadRecording(positionals[0]);
    const out = headerLines(rec.header);
    for (const e of sortedEvents(rec.events)) if (!kinds || kinds.has(EVENT_KIND_NAMES[e.kind])) out.push(eventLine(e));
    await writeOut(out.join("\n") + "\n");
    return EXIT.ok;
  });
}
