// Loading a recording for the recording commands: one clear line and exit code 2 for anything
// wrong with the file (RecordingError), a warning line for a truncated file's prefix.
import { readFileSync } from "node:fs";
import { readRecording, type Recording } from "../vmm/recording/reader";
import { RecordingError } from "../vmm/recording/format";
import { EXIT, UsageError } from "./errors";

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
