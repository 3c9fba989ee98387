// The linkage under injected loss: a fraction of its datagrams is dropped on the wire in both
// directions, and every command still takes effect exactly once (retransmitted until
// acknowledged; repeats answered from the engine's reply cache, never carried out twice).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DeliveryStart } from "../../src/streamsim/delivery/backend";
import type { IoEngineDelivery } from "../../src/streamsim/delivery/ioengine-delivery";
import { hasTool, makeTestContent, until, type TestContent } from "./fixtures";
import { openEngine } from "./ioengine-fixture";
import { UdpClient } from "./udp-client";

const haveFfmpeg = hasTool("ffmpeg");

describe("I/O engine: linkage under loss", { skip: haveFfmpeg ? false : "ffmpeg not installed: cannot make the sample clip" }, () => {
  let content: TestContent;
  let engine: IoEngineDelivery;
  const udps: UdpClient[] = [];

  before(async () => {
    content = await makeTestContent();
    engine = await openEngine(content.dir, { linkLoss: { toEngine: 0.3, fromEngine: 0.3, seed: 7 }, rtoMs: 40, maxTries: 60 });
  });
  after(async () => {
    for (const u of udps) u.close();
    await engine?.close();
    content?.remove();
  });

  it("carries out every command exactly once with 30% of control datagrams dropped each way", async () => {
    const start = async (n: number): Promise<{ id: string; u: UdpClient; p: DeliveryStart }> => {
      const u = await UdpClient.open();
      udps.push(u);
      const p: DeliveryStart = {
        streamId: `s${n}`,
        content: content.clip,
        ssrc: 0x1000 + n,
        seqBase: 1000 * n,
        rtpTimeBase: 0,
        cname: `loss-test-${n}`,
        fromSec: 0,
        target: { kind: "udp", address: "127.0.0.1", rtpPort: u.ports[0], rtcpPort: u.ports[1] },
      };
      const pos = await engine.start(p);
      assert.equal(pos.seq, 1000 * n, "START answers with the first sequence number");
      return { id: p.streamId, u, p };
    };
    const [a, b, c] = await Promise.all([start(1), start(2), start(3)]);
    await until(() => a!.u.rtp.length > 5 && b!.u.rtp.length > 5 && c!.u.rtp.length > 5, 5000, "RTP on all three streams");
    const pausedAt = await engine.pause(a!.id);
    assert.ok(pausedAt >= 0 && pausedAt < content.clip.durationSec);
    const resumed = await engine.resume(a!.id);
    const seeked = await engine.seek(b!.id, 2);
    assert.ok(seeked.startSec <= 2 && seeked.startSec > 0.5, `seek lands on a random-access point at or before 2 s, got ${seeked.startSec}`);
    await engine.pause(c!.id);
    await Promise.all([engine.stop(c!.id), engine.stop(a!.id), engine.stop(b!.id)]);

    const node = engine.status().link!;
    assert.equal(node.commands, 10, "3 START, 2 PAUSE, RESUME, SEEK, 3 STOP");
    assert.ok(node.retransmits > 0, "loss made the node retransmit");
    // the engine's own count of commands carried out, from its STATS reports
    await until(
      () => engine.status().stats?.commandsExecuted === node.commands && engine.status().stats?.streams === 0,
      5000,
      `the engine to report ${node.commands} commands carried out (reports ${engine.status().stats?.commandsExecuted})`,
    );
    const st = engine.status();
    assert.equal(st.stats!.commandsExecuted, node.commands, "each command carried out exactly once");
    assert.ok(st.stats!.duplicatesSuppressed + node.retransmits > 0);
    // a START carried out twice would have restarted a stream at its first sequence number
    for (const s of [a!, b!, c!]) {
      const firstSeqs = s.u.rtp.filter((r) => r.seq === s.p.seqBase).length;
      assert.equal(firstSeqs, 1, `${s.id}: its first packet was sent once`);
    }
    // RESUME continued where PAUSE stopped, with the next sequence number
    assert.ok(resumed.seq > 1000 && resumed.seq < 2000, `resume seq ${resumed.seq}`);
    assert.ok(engine.status().up, "no command timed out: the engine stayed up");
  });

  it("carries out a burst of more commands than the engine remembers without losing one (a hundred clients at once)", async () => {
    // 150 STARTs and then 150 STOPs at once, 30% lost each way: without a window on commands in
    // flight, a retransmission more than 64 sequence numbers old goes unanswered and the engine
    // is declared down
    const u = await UdpClient.open();
    udps.push(u);
    const before = engine.status().link!.commands;
    const ids = Array.from({ length: 150 }, (_, i) => `burst${i}`);
    await Promise.all(
      ids.map((id, i) =>
        engine.start({
          streamId: id,
          content: content.clip,
          ssrc: 0x2000 + i,
          seqBase: 0,
          rtpTimeBase: 0,
          cname: "burst",
          fromSec: 0,
          target: { kind: "udp", address: "127.0.0.1", rtpPort: u.ports[0], rtcpPort: u.ports[1] },
        }),
      ),
    );
    assert.equal(engine.activeStreams, 150);
    await Promise.all(ids.map((id) => engine.stop(id)));
    assert.equal(engine.status().link!.commands - before, 300);
    assert.equal(engine.status().link!.timeouts, 0, "no command timed out");
    assert.ok(engine.status().up, "the engine stayed up");
    await until(() => engine.status().stats?.streams === 0, 5000, "the engine to have no streams left");
  });
});
