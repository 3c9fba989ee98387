// Time travel in a real VS Code with the real adapter (process mode), in a live session that
// receives UDP datagrams through the bridge and in a replay session of a recording made with
// `lvmm record`: the Timeline view and the NIC DMA inspector are opened, show the run's
// markers and the received packets, and seek from both (a click in the timeline, "Go to the
// DMA write" and "Reveal in timeline" on a descriptor, "Go to Instruction Count").
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, suiteSetup, suiteTeardown, test } from "mocha";
import * as vscode from "vscode";
import { TT_REQUEST, type HistoryResult, type PositionInfo } from "../../../src/protocols/time-travel-protocol";
import { TT_COMMAND } from "../../../src/extension/time-travel/commands";
import type { DmaNode } from "../../../src/extension/time-travel/dma-tree";
import type { HistoryNode } from "../../../src/extension/time-travel/history-tree";
import { activateLvmm, waitFor } from "./extension-api";

const WAIT_MS = 15_000;
const HOST_PORT = 47_000 + (process.pid % 1000);

interface DapEvent {
  type: string;
  event?: string;
  body?: Record<string, unknown>;
}

/** How a suite's session starts: launch it, bring the guest to a paused state with traffic seen. */
type StartSession = (folder: vscode.WorkspaceFolder | undefined, pause: () => Promise<void>) => Promise<void>;

const live: StartSession = async (folder, pause) => {
  const ok = await vscode.debug.startDebugging(folder, {
    type: "lvmm",
    request: "launch",
    name: "time travel",
    kernel: "${workspaceFolder}/../../guest/build/ioengine.elf",
    cmdline: "ip=10.0.2.15",
    stopOnEntry: false,
    udpBridge: [{ hostPort: HOST_PORT, guestPort: 7 }],
  });
  assert.equal(ok, true);
  // Let it boot, send datagrams to the guest's echo service, then pause.
  await new Promise((r) => setTimeout(r, 1500));
  const sock = createSocket("udp4");
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((r) => sock.send(Buffer.from(`time travel ${i}`), HOST_PORT, "127.0.0.1", () => r()));
    await new Promise((r) => setTimeout(r, 200));
  }
  sock.close();
  await new Promise((r) => setTimeout(r, 500));
  await pause();
};

const replay: StartSession = async (folder, pause) => {
  // A short recording of UDP echo under load, made by the CLI, then debugged as a replay.
  const root = join(folder!.uri.fsPath, "..", "..");
  const file = join(tmpdir(), `lvmm-host-replay-${process.pid}.lvmmrec`);
  const r = spawnSync(process.execPath, [join(root, "bin", "lvmm.js"), "record", "--out", file, "--seconds", "0.4", "--echo-load", "300", "--quiet"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `lvmm record: ${r.stderr}`);
  const ok = await vscode.debug.startDebugging(folder, {
    type: "lvmm",
    request: "launch",
    name: "replay",
    kernel: "${workspaceFolder}/../../guest/build/ioengine.elf",
    replay: file,
    stopOnEntry: false,
  });
  assert.equal(ok, true);
  await new Promise((r) => setTimeout(r, 1500));
  await pause();
};

for (const [title, start] of [
  ["live session", live],
  ["replay session of a recording", replay],
] as const) {
  suite(`time travel views (real adapter, ${title})`, function () {
    this.timeout(60_000);
    const disposables: vscode.Disposable[] = [];
    const events: DapEvent[] = [];
    let session: vscode.DebugSession | undefined;

    const nextEvent = async (pred: (e: DapEvent) => boolean, what: string): Promise<DapEvent> => {
      const since = events.length;
      return waitFor(what, () => events.slice(since).find(pred), WAIT_MS);
    };
    const position = async () => (await session!.customRequest(TT_REQUEST.position)) as PositionInfo;

    suiteSetup(async () => {
      await activateLvmm();
      disposables.push(
        vscode.debug.registerDebugAdapterTrackerFactory("lvmm", {
          createDebugAdapterTracker: () => ({ onDidSendMessage: (m: DapEvent) => void (m.type === "event" && events.push(m)) }),
        }),
      );
      const folder = vscode.workspace.workspaceFolders?.[0];
      const started = new Promise<vscode.DebugSession>((resolve) => {
        const sub = vscode.debug.onDidStartDebugSession((s) => {
          sub.dispose();
          resolve(s);
        });
      });
      await start(folder, async () => {
        session = await started;
        const paused = nextEvent((e) => e.event === "stopped", "the pause to stop the guest");
        await session!.customRequest("pause", { threadId: 1 });
        await paused;
      });
    });

    suiteTeardown(async () => {
      if (session) await vscode.debug.stopDebugging(session);
      for (const d of disposables) d.dispose();
    });

    test("the Timeline view draws the run's markers and a click seeks there", async () => {
      const { api } = await activateLvmm();
      const tl = api.timeTravel.timeline;
      await vscode.commands.executeCommand("lvmm.timeline.focus");
      const rendered = await waitFor("the timeline to draw markers", () => (tl.lastRendered && tl.lastRendered.events > 0 ? tl.lastRendered : undefined));
      assert.ok(rendered.buckets >= 16);
      const data = tl.lastData!;
      assert.ok(
        data.markers.interrupt.counts.some((n) => n > 0),
        "interrupt markers",
      );
      assert.ok(
        data.markers.rx.counts.some((n) => n > 0),
        "RX DMA markers from the datagrams",
      );

      // What a click on the RX lane sends: the first RX event of that column.
      const col = data.markers.rx.first.findIndex((x) => x >= 0);
      const icount = data.markers.rx.first[col]!;
      const stopped = nextEvent((e) => e.event === "stopped" && e.body?.reason === "goto", "a goto stop");
      const invalidated = nextEvent((e) => e.event === "invalidated", "an invalidated event");
      await tl.handleMessage({ type: "seek", icount });
      await stopped;
      await invalidated;
      assert.equal((await position()).icount, icount);
      assert.equal((await position()).inPast, true);

      await tl.handleMessage({ type: "addBookmark", icount });
      assert.ok(tl.bookmarks.some((b) => b.icount === icount));
      await tl.handleMessage({ type: "removeBookmark", icount });
    });

    test("the NIC DMA inspector lists the received packets; Go to the DMA write and Reveal in timeline seek from it", async () => {
      const { api } = await activateLvmm();
      const dma = api.timeTravel.dma;
      await vscode.commands.executeCommand("lvmm.dmaInspector.focus");
      await dma.refresh();
      const [rxGroup, txGroup] = dma.getChildren();
      assert.match(String(dma.getTreeItem(rxGroup!).label), /^Receive interrupts: [1-9]/);
      assert.match(String(dma.getTreeItem(txGroup!).label), /^Transmit descriptors: [1-9]/, "the echo replies went out");
      const withDesc = dma.getChildren(rxGroup).find((n) => n.kind === "interrupt" && n.rx.descriptors.length > 0)!;
      const desc = dma.getChildren(withDesc)[0]!;
      assert.match(String(dma.getTreeItem(desc).label), /^RX desc \d+: \d+ bytes at 0x/);
      assert.match(String(dma.getTreeItem(desc).description), /status 0x\w+ \(DD EOP/);
      const lines = dma.getChildren(desc).map((n) => (n as Extract<DmaNode, { kind: "line" }>).text);
      assert.ok(
        lines.some((l) => /^Ethernet /.test(l)),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) => /^UDP \d+ > 7 /.test(l)),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) => /^0000  /.test(l)),
        "a hex dump",
      );

      const dmaIcount = (desc as Extract<DmaNode, { kind: "rxDescriptor" }>).d.dmaIcount;
      const stopped = nextEvent((e) => e.event === "stopped" && e.body?.reason === "goto", "a goto stop");
      await vscode.commands.executeCommand(TT_COMMAND.gotoDmaWrite, desc);
      await stopped;
      assert.equal((await position()).icount, dmaIcount);

      const tl = api.timeTravel.timeline;
      const before = tl.lastRendered;
      await vscode.commands.executeCommand(TT_COMMAND.revealInTimeline, desc);
      const zoomed = await waitFor("the timeline to zoom around the DMA write", () =>
        tl.lastRendered !== before && tl.lastRendered!.from <= dmaIcount && tl.lastRendered!.to >= dmaIcount && tl.lastRendered!.to - tl.lastRendered!.from < (tl.lastData?.present ?? Infinity)
          ? tl.lastRendered
          : undefined,
      );
      assert.ok(zoomed.from <= dmaIcount);

      const target = Math.max(1, dmaIcount - 5000);
      const again = nextEvent((e) => e.event === "stopped" && e.body?.reason === "goto", "a goto stop");
      await vscode.commands.executeCommand(TT_COMMAND.gotoInstruction, target);
      await again;
      assert.equal((await position()).icount, target);
    });

    test("History of This Value lists a variable's changes with their writers, and a row goes to its change", async () => {
      const { api } = await activateLvmm();
      const result = (await vscode.commands.executeCommand(TT_COMMAND.history, { expression: "stats", limit: 5 })) as HistoryResult | undefined;
      assert.ok(result && result.changes.length >= 1, JSON.stringify(result));
      const view = api.timeTravel.history;
      const rows = view.getChildren();
      assert.match(String(view.getTreeItem(rows[0]!).label), /^stats \(28 bytes at 0x[0-9a-f]{8}\): \d+ changes?/);
      const change = rows.find((n): n is Extract<HistoryNode, { kind: "change" }> => n.kind === "change")!;
      const item = view.getTreeItem(change);
      assert.match(String(item.label), /^[\d,]+ {2}\+\d+: [0-9a-f …]+ → [0-9a-f …]+$/);
      assert.match(String(item.description), /^CPU in \w+ at e1000\.c:\d+$/);
      const stopped = nextEvent((e) => e.event === "stopped" && e.body?.reason === "goto", "a goto stop");
      await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
      await stopped;
      assert.equal((await position()).icount, change.c.icount);
    });
  });
}
