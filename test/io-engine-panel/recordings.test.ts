// Where the panel's flight recordings go (the lvmm.recordingsDirectory setting, else the first
// workspace folder, else global storage; never the extension's folder), how the panel learns of
// each one from the server's log, the replay launch configuration that opens one, and the
// messages that carry them between the extension and the webview.
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { isHostToWebview, parseWebviewMessage } from "../../src/protocols/io-engine-panel-messages";
import { parseRecordingLog, recordingsDirectory, replayConfiguration } from "../../src/extension/io-engine-panel/recordings";

const storage = "/home/u/.vscode-server/data/User/globalStorage/lvmm.lvmm";

test("recordings go to the setting's folder, else <first workspace folder>/recordings, else global storage", () => {
  assert.equal(recordingsDirectory({ workspaceFolder: "/w/proj", globalStorage: storage }), "/w/proj/recordings");
  assert.equal(recordingsDirectory({ setting: "", workspaceFolder: "/w/proj", globalStorage: storage }), "/w/proj/recordings");
  assert.equal(recordingsDirectory({ setting: "  ", globalStorage: storage }), join(storage, "recordings"));
  assert.equal(recordingsDirectory({ globalStorage: storage }), join(storage, "recordings"));
  assert.equal(recordingsDirectory({ setting: "/data/recs", workspaceFolder: "/w/proj", globalStorage: storage }), "/data/recs");
  assert.equal(recordingsDirectory({ setting: "out/recs", workspaceFolder: "/w/proj", globalStorage: storage }), "/w/proj/out/recs");
  assert.equal(recordingsDirectory({ setting: "recs", globalStorage: storage }), join(storage, "recs"));
  assert.equal(recordingsDirectory({ setting: "~/recs", workspaceFolder: "/w/proj", globalStorage: storage, home: "/home/u" }), "/home/u/recs");
});

test("the server's log line for a written recording becomes the panel's entry; a failure too", () => {
  // As the engine's thread logs it (src/streamsim/ioengine/engine-worker.ts).
  const line =
    "recorded the I/O engine (boot 41234001): /w/proj/recordings/engine-41234001.lvmmrec, 3.4 virtual s, 1875 events, 2 checkpoints; check it with: lvmm replay /w/proj/recordings/engine-41234001.lvmmrec --verify";
  assert.deepEqual(parseRecordingLog(line), { kind: "saved", recording: { path: "/w/proj/recordings/engine-41234001.lvmmrec", bootId: 41234001, virtualSeconds: 3.4, events: 1875 } });
  assert.deepEqual(parseRecordingLog(`[engine 2] ${line}`)?.kind, "saved", "a label in front is allowed");
  assert.deepEqual(parseRecordingLog("recording the I/O engine (boot 7) failed: ENOSPC: no space left (segments already written stay in x.ring); it runs on unrecorded"), {
    kind: "failed",
    bootId: 7,
    message: "ENOSPC: no space left (segments already written stay in x.ring); it runs on unrecorded",
  });
  assert.equal(parseRecordingLog("I/O engine up (boot 7): 1 content items"), undefined);
});

test("a recording opens as an lvmm replay launch of the engine's kernel, stopped at its start", () => {
  assert.deepEqual(replayConfiguration("/w/proj/recordings/engine-9.lvmmrec", "/ext/guest/build/ioengine.elf"), {
    type: "lvmm",
    request: "launch",
    name: "Replay engine-9.lvmmrec",
    kernel: "/ext/guest/build/ioengine.elf",
    replay: "/w/proj/recordings/engine-9.lvmmrec",
    stopOnEntry: true,
  });
});

test("messages: the recordings list to the webview, openRecording and the rendered count back", () => {
  const rec = { path: "/w/r/engine-9.lvmmrec", bootId: 9, virtualSeconds: 2, events: 10, at: 1 };
  assert.equal(isHostToWebview({ type: "recordings", recordings: [rec], dir: "/w/r" }), true);
  assert.equal(isHostToWebview({ type: "recordings", recordings: [{ ...rec, bootId: "9" }], dir: "/w/r" }), false);
  assert.equal(isHostToWebview({ type: "recordings", recordings: [] }), false);
  assert.deepEqual(parseWebviewMessage({ type: "openRecording", path: rec.path }), { type: "openRecording", path: rec.path });
  assert.ok(parseWebviewMessage({ type: "openRecording", path: "/etc/passwd" }) instanceof Error);
  assert.ok(parseWebviewMessage({ type: "openRecording" }) instanceof Error);
  assert.deepEqual(parseWebviewMessage({ type: "rendered", sessions: 0, streamSeries: 0, samples: 0, nonEmptyCharts: [], recordings: 2 }), {
    type: "rendered",
    sessions: 0,
    streamSeries: 0,
    samples: 0,
    nonEmptyCharts: [],
    recordings: 2,
  });
  assert.ok(parseWebviewMessage({ type: "rendered", sessions: 0, streamSeries: 0, samples: 0, nonEmptyCharts: [], recordings: -1 }) instanceof Error);
});
