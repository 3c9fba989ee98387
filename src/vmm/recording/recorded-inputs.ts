// What a replay feeds the machine: the recorded inputs up to where the recording is whole (its
// end record, else its last checkpoint: a truncated file replays to the last point known to be
// whole, else where it starts), and that point. The gdb stub, the debug adapter and run diff
// open a recording this way; the Replayer applies the same rule as it verifies.
import type { InputEvent } from "../journal";
import { EventKind } from "./format";
import type { Recording } from "./reader";

export interface RecordedInputs {
  inputs: InputEvent[];
  /** Where the recording ends: the machine is live after it. */
  end: { icount: number; ns: number };
}

export function recordedInputs(rec: Recording): RecordedInputs {
  let endAt: { icount: number; ns: number } | undefined;
  let lastCheckpoint: { icount: number; ns: number } | undefined;
  for (const e of rec.events) {
    if (e.kind === EventKind.End) endAt ??= e;
    else if (e.kind === EventKind.CheckpointHash) lastCheckpoint = e;
  }
  const at = endAt ?? lastCheckpoint ?? rec.header.start ?? { icount: 0, ns: 0 };
  const end = { icount: at.icount, ns: at.ns };
  const inputs: InputEvent[] = [];
  for (const e of rec.events) {
    if (e.icount > end.icount || (e.icount === end.icount && e.ns > end.ns)) continue;
    if (e.kind === EventKind.FrameIn) inputs.push({ kind: "frame", icount: e.icount, ns: e.ns, bytes: e.bytes });
    else if (e.kind === EventKind.SerialIn) inputs.push({ kind: "serial", icount: e.icount, ns: e.ns, text: e.text });
  }
  return { inputs, end };
}
