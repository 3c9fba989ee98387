// Where the I/O engine's flight recordings go, and how the panel learns that one was written.
// No vscode import (node tests use it): extension.ts reads the setting and the workspace.
import { basename, isAbsolute, join, resolve } from "node:path";
import type { RecordingInfo } from "../../protocols/io-engine-panel-messages";

export type { RecordingInfo };

/** The setting naming the recordings folder (package.json contributes.configuration). */
export const RECORDINGS_SETTING = "recordingsDirectory";

/**
 * The recordings folder: the `lvmm.recordingsDirectory` setting when it is set (absolute, or
 * relative to the first workspace folder, else to the global storage folder; `~/` is the home
 * folder), else `recordings/` in the first workspace folder, else `recordings/` in the
 * extension's global storage folder (never the extension's own folder: an installed extension's
 * folder may be read-only and is replaced on every update).
 */
export function recordingsDirectory(o: { setting?: string | undefined; workspaceFolder?: string | undefined; globalStorage: string; home?: string | undefined }): string {
  const base = o.workspaceFolder ?? o.globalStorage;
  const s = o.setting?.trim();
  if (!s) return join(base, "recordings");
  if (o.home && (s === "~" || s.startsWith("~/"))) return join(o.home, s.slice(1));
  return isAbsolute(s) ? resolve(s) : resolve(base, s);
}

/** What one line of the stream server's log says about a recording, if anything. */
export type RecordingLogLine = { kind: "saved"; recording: Omit<RecordingInfo, "at"> } | { kind: "failed"; bootId: number; message: string };

// The lines the engine's thread logs when its ring recording is written or fails
// (src/streamsim/ioengine/engine-worker.ts, the same lines `lvmm serve` prints; a label may precede them).
const SAVED = /\brecorded the I\/O engine \(boot (\d+)\): (.+?\.lvmmrec), ([\d.]+) virtual s, (\d+) events\b/;
const FAILED = /\brecording the I\/O engine \(boot (\d+)\) failed: (.*)$/;

export function parseRecordingLog(line: string): RecordingLogLine | undefined {
  const s = SAVED.exec(line);
  if (s) return { kind: "saved", recording: { path: s[2]!, bootId: Number(s[1]), virtualSeconds: Number(s[3]), events: Number(s[4]) } };
  const f = FAILED.exec(line);
  if (f) return { kind: "failed", bootId: Number(f[1]), message: f[2]! };
  return undefined;
}

/** The launch configuration that debugs a recording as a replay (the "replay" launch option). */
export function replayConfiguration(recording: string, kernel: string): { type: "lvmm"; request: "launch"; name: string; kernel: string; replay: string; stopOnEntry: boolean } {
  return { type: "lvmm", request: "launch", name: `Replay ${basename(recording)}`, kernel, replay: recording, stopOnEntry: true };
}
