// Loading a recording for the recording commands: one clear line and exit code 2 for anything
// wrong with the file (RecordingError), a warning line for a truncated file's prefix.
import { readFileSync } from "node:fs";
import { readRecording, type Recording } from "../vmm/recording/reader";
import { RecordingError } from "../vmm/recording/format";
import { transmitsOf, type Transmits } from "../vmm/recording/transmits";
import { Replayer, type ReplayOptions } from "../vmm/recording/replayer";
import { recordedInputs } from "../vmm/recording/recorded-inputs";
import { EXIT, UsageError } from "./errors";
import { readKernel } from "./kernel-path";

export function loadRecording(path: string | undefined, opts: { strict?: boolean } = {}): Recording {
  if (!path) throw new UsageError("name the recording file (FILE.lvmmrec)");
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new RecordingError("io", `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const rec = readRecording(bytes, opts);
  if (rec.truncated) console.error(`lvmm: warning: ${path}: ${rec.truncated.message}; using the complete prefix`);
  else if (!rec.complete) console.error(`lvmm: warning: ${path} has no end record (the recorder stopped abruptly); using the complete prefix`);
  return rec;
}

/** Reads an image a recording refers to (a disk given with --disk), as a RecordingError("io") if it cannot. */
export function readImage(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new RecordingError("io", `cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

/** The images a replay takes from --kernel and --disk (for a recording that does not embed them). */
export type ReplayImages = Pick<ReplayOptions, "kernel" | "disk">;

export function replayImages(values: { kernel?: string; disk?: string }): ReplayImages {
  const kernel = values.kernel ? readKernel(values.kernel) : undefined;
  const disk = values.disk ? { bytes: readImage(values.disk, "disk image"), path: values.disk } : undefined;
  return { ...(kernel ? { kernel } : {}), ...(disk ? { disk } : {}) };
}

/**
 * A machine that re-executes the recording: created with its launch settings, its recorded
 * inputs loaded up to where the file is whole (`end`), where the machine goes live. The caller
 * destroys the replayer.
 */
export async function openReplay(rec: Recording, images: ReplayImages): Promise<{ replayer: Replayer; inputs: number; end: { icount: number; ns: number } }> {
  const replayer = await Replayer.create(rec, images);
  const { inputs, end } = recordedInputs(rec);
  replayer.machine.loadJournal(inputs, end, rec.start);
  return { replayer, inputs: inputs.length, end };
}

/** The --kernel and --disk options of the commands that may replay a recording for its transmits. */
export const IMAGE_OPTIONS = { kernel: { type: "string" }, disk: { type: "string" } } as const;
export const IMAGE_HELP = `  --kernel ELF  the kernel, for a recording made with --no-embed-kernel (replaying needs it)
  --disk IMG    the disk image, for a recording that does not embed its machine's disk`;

/**
 * The recording's transmit descriptors, for a command that shows them: stored in files before
 * format 5, recomputed by replaying later ones (transmits.ts). A replay that needs an image
 * the file lacks (--kernel, --disk) is an error when `required`; otherwise a warning, and none.
 */
export async function loadTransmits(rec: Recording, path: string, images: { kernel?: string; disk?: string }, required: boolean): Promise<Transmits> {
  try {
    const t = await transmitsOf(rec, replayImages(images));
    if (t.incomplete) console.error(`lvmm: warning: ${path}: its transmit descriptors are recomputed by replaying it, and ${t.incomplete}: the ones after that are missing`);
    return t;
  } catch (e) {
    if (required || !(e instanceof RecordingError)) throw e;
    console.error(`lvmm: warning: ${path}: ${e.message}; its transmit descriptors, which recordings of format 5 and later do not store but replaying recomputes, are left out`);
    return { events: [], source: "replayed", incomplete: e.message };
  }
}

/** Runs a command body, turning a RecordingError into one line on stderr and exit code 2. */
export async function withRecordingErrors(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (!(e instanceof RecordingError)) throw e;
    console.error(`lvmm: ${e.message} [${e.code}]`);
    return EXIT.usage;
  }
}

/** Writes to stdout and waits until it is flushed (main exits right after a command returns). */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    // A reader that closed the pipe early (| head) is not an error.
    process.stdout.once("error", () => resolve());
    process.stdout.write(text, () => resolve());
  });
}
