// `lvmm replay`: re-execute a recording and, with --verify, check it state hash by state hash.
import { parse, positiveInteger } from "../options";
import { EXIT } from "../errors";
import { loadRecording, replayImages, withRecordingErrors, writeOut } from "../recording-file";
import { Replayer, formatDivergence, type ReplayResult } from "../../vmm/recording/replayer";
import { EventKind } from "../../vmm/recording/format";
import type { Recording } from "../../vmm/recording/reader";
import { ProgressLine } from "../terminal";
import { describeStop } from "./boot";

export const REPLAY_HELP = `usage: lvmm replay FILE [--verify] [--json] [--kernel ELF] [--disk IMG] [--strict] [--console] [--times N]
  Re-executes the recorded run from power-on (a ring recording: from the snapshot it starts
  at) with its recorded inputs. Every interrupt and console line is checked against the
  recording as it happens; --verify also compares the machine state hash at every recorded
  checkpoint, and the CPU state digest at every input of a recording made with --event-hashes.
  The first divergence stops the replay with a report (exit code 1); otherwise it
  prints "verified N events, M checkpoints". On a terminal, stderr shows how far it is.
  --json        print the outcome as JSON instead: ok, endIcount, prefixOnly, wallSeconds,
                verified, events, checkpoints, and the divergence or stop if any (an array of
                them with --times)
  --kernel ELF  the kernel, for recordings made with --no-embed-kernel (its sha256 must match)
  --disk IMG    the disk image, for a recording of a machine with a disk that does not embed it
                (its sha256 must match; lvmm serve's recordings embed the content disk)
  --strict      refuse a truncated recording instead of replaying its complete prefix
  --console     print the guest's console lines with their instruction counts
  --times N     replay N times (default 1)`;

export async function replay(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      verify: { type: "boolean" },
      json: { type: "boolean" },
      kernel: { type: "string" },
      disk: { type: "string" },
      strict: { type: "boolean" },
      console: { type: "boolean" },
      times: { type: "string" },
    },
    true,
  );
  const times = positiveInteger("times", values.times) ?? 1;
  return withRecordingErrors(async () => {
    const rec = loadRecording(positionals[0], { strict: values.strict ?? false });
    const images = replayImages(values);
    const span = virtualSpan(rec);
    const runs: ReturnType<typeof outcome>[] = [];
    for (let i = 0; i < times; i++) {
      const r = await Replayer.create(rec, images);
      const progress = new ProgressLine(`lvmm: replaying${times > 1 ? ` (${i + 1} of ${times})` : ""}`);
      r.machine.onInterrupt((e) => progress.update(e.ns - span.startNs, span.endNs - span.startNs));
      const onLine = (t: string, ic: number): void => {
        progress.clear();
        console.log(`[icount ${ic}] ${t}`);
      };
      const result = r.run({ verify: values.verify ?? false, ...(values.console ? { onLine } : {}) });
      progress.clear();
      r.destroy();
      if (values.json) {
        runs.push(outcome(result, values.verify ?? false));
        if (!runs[runs.length - 1]!.ok) break;
        continue;
      }
      if (result.divergence) {
        console.log(formatDivergence(result.divergence));
        return EXIT.failed;
      }
      if (result.stop) {
        console.log(`lvmm: the replay stopped before the recorded end: ${describeStop(result.stop)}`);
        return EXIT.failed;
      }
      const what = result.prefixOnly ? " (the complete prefix of a truncated recording)" : "";
      console.log(`lvmm: replayed to icount ${result.endIcount}${what} in ${(result.wallMs / 1000).toFixed(2)} s`);
      console.log(
        values.verify
          ? `verified ${result.verifiedEvents} events, ${result.verifiedCheckpoints} checkpoints`
          : `replayed ${result.verifiedEvents} events (run with --verify to check the state hashes)`,
      );
    }
    if (values.json) {
      await writeOut(JSON.stringify(times === 1 ? runs[0] : runs, null, 2) + "\n");
      return runs.every((x) => x.ok) ? EXIT.ok : EXIT.failed;
    }
    return EXIT.ok;
  });
}

/** The facts the text output gives, as JSON. */
function outcome(r: ReplayResult, verify: boolean) {
  return {
    ok: !r.divergence && !r.stop,
    endIcount: r.endIcount,
    prefixOnly: r.prefixOnly,
    wallSeconds: Number((r.wallMs / 1000).toFixed(3)),
    verified: verify,
    events: r.verifiedEvents,
    checkpoints: r.verifiedCheckpoints,
    ...(r.divergence ? { divergence: r.divergence } : {}),
    ...(r.stop ? { stop: { ...r.stop, description: describeStop(r.stop) } } : {}),
  };
}

/** Virtual time the replay covers: from the start (power-on or the start snapshot) to the end record, or a truncated file's last checkpoint. */
function virtualSpan(rec: Recording): { startNs: number; endNs: number } {
  let endNs = rec.header.start?.ns ?? 0;
  for (const e of rec.events) if (e.kind === EventKind.End || e.kind === EventKind.CheckpointHash) endNs = Math.max(endNs, e.ns);
  return { startNs: rec.header.start?.ns ?? 0, endNs };
}
