// The panel's controller end to end in node: it forks the stream-server bundle
// (dist/stream-server.js, built by npm test), starts it in each architecture, runs the load
// generator, and gets session rows and chart samples back; stop ends the process.
import * as assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { StreamServerController } from "../../src/extension/io-engine-panel/controller";
import type { HostToWebview, StatsSample } from "../../src/protocols/io-engine-panel-messages";
import { hasTool, until } from "../streamsim/fixtures";

const root = join(import.meta.dirname, "../..");
const bundle = join(root, "dist/stream-server.js");
const kernel = join(root, "guest/build/ioengine.elf");
const skip = !existsSync(bundle) ? "dist/stream-server.js is not built (npm run build)" : !hasTool("ffmpeg") ? "ffmpeg is not installed" : false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exercise(arch: "conventional" | "ioengine", clients: number, seconds: number) {
  const log: string[] = [];
  const c = new StreamServerController({ root, log: (l) => log.push(l) });
  const messages: HostToWebview[] = [];
  c.subscribe((m) => messages.push(m));
  try {
    const status = await c.start(arch, { port: 0, metricsPort: 0 });
    assert.equal(status.state, "running", log.join("\n"));
    assert.equal(status.arch, arch);
    assert.match(status.url ?? "", /^rtsp:\/\/127\.0\.0\.1:\d+\/testsrc-640x360-20s$/);
    assert.match(status.metricsUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const pid = c.serverPid;
    assert.ok(pid && pid !== process.pid, "the server runs in its own process");
    // the load runs until every client's stream shows a bitrate in a chart sample (at most `seconds`)
    const run = c.startLoad(clients, seconds, "udp");
    const playing = () => c.history.some((s) => s.streams.filter((st) => st.bitrateBps > 0).length >= clients);
    await until(playing, seconds * 1000, "every stream's bitrate in a sample").catch((e: Error) => {
      throw new Error(`${e.message}\nsamples: ${JSON.stringify(c.history)}\nthe server's log:\n${log.join("\n")}`);
    });
    await c.stopLoad();
    const totals = await run;
    assert.deepEqual(totals.errors, [], `the server's log:\n${log.join("\n")}`);
    for (const pc of totals.perClient) assert.ok(pc.packets > 0, `every client received packets: ${JSON.stringify(totals.perClient)}`);
    assert.ok(
      messages.some((m) => m.type === "sessions" && m.rows.length === clients),
      "the session table had every client",
    );
    assert.ok(
      messages.some((m) => m.type === "load" && !m.load.running && m.load.packets === totals.packets),
      "the final load totals were posted",
    );
    const stopped = await c.stop();
    assert.equal(stopped.state, "stopped");
    assert.equal(c.serverPid, undefined);
    await until(() => !alive(pid), 3000, "the server process to exit");
    return { history: c.history as StatsSample[], status, log };
  } finally {
    await c.dispose();
  }
}

test("conventional: start, 3 clients until their streams show in the samples, sessions, stop", { skip, timeout: 40_000 }, async () => {
  const { history } = await exercise("conventional", 3, 15);
  const last = history.at(-1)!;
  assert.equal(last.guestBusy, null, "no guest in the conventional architecture");
  assert.equal(last.queueDepth, null);
  assert.notEqual(last.deadlineMissesPerSec, null);
});

test(
  "ioengine: the engine boots on the LVMM, 2 clients until their streams show, guest busy ratio and queue depth, stop",
  { skip: skip || (!existsSync(kernel) && "the guest kernel is not built"), timeout: 50_000 },
  async () => {
    const { history, status } = await exercise("ioengine", 2, 15);
    assert.ok(status.engine?.up, "the engine is up");
    assert.ok((status.engine?.maxStreams ?? 0) > 0);
    const busy = history.map((s) => s.guestBusy).filter((b): b is number => b !== null);
    assert.ok(busy.length > 0 && busy.every((b) => b >= 0 && b <= 1), `guest busy ratios: ${busy}`);
    assert.ok(
      busy.some((b) => b > 0),
      "the guest did some work",
    );
    assert.ok(
      history.every((s) => s.queueDepth !== null),
      "the engine reports its queue depth",
    );
  },
);

test("a second start while running is refused; stop when stopped is a no-op", { skip, timeout: 20_000 }, async () => {
  const c = new StreamServerController({ root, log: () => {} });
  try {
    await c.start("conventional", { port: 0, metricsPort: 0 });
    await assert.rejects(c.start("ioengine", { port: 0, metricsPort: 0 }), /already running/);
    assert.equal(c.status.state, "running");
    await c.stop();
    assert.equal((await c.stop()).state, "stopped");
    await assert.rejects(c.startLoad(1, 1, "udp"), /start the server first/);
  } finally {
    await c.dispose();
  }
});

test("a taken RTSP port falls back to a free one, and a server process that dies shows as failed", { skip, timeout: 20_000 }, async () => {
  const { createServer } = await import("node:net");
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
  const taken = (blocker.address() as { port: number }).port;
  const log: string[] = [];
  const c = new StreamServerController({ root, log: (l) => log.push(l) });
  try {
    const status = await c.start("conventional", { port: taken, metricsPort: 0 });
    assert.equal(status.state, "running");
    assert.doesNotMatch(status.url!, new RegExp(`:${taken}/`));
    assert.ok(
      log.some((l) => l.includes(`port ${taken} is in use`)),
      log.join("\n"),
    );
    const pid = c.serverPid!;
    process.kill(pid, "SIGKILL");
    await until(() => c.status.state === "failed", 5000, "the failed state");
    assert.match(c.status.error ?? "", /ended unexpectedly \(SIGKILL\)/);
    assert.equal(c.serverPid, undefined);
    const again = await c.start("conventional", { port: 0, metricsPort: 0 });
    assert.equal(again.state, "running", "it can be started again");
    await c.stop();
  } finally {
    await c.dispose();
    blocker.close();
  }
});
