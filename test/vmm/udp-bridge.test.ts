// The UDP bridge: a real UDP client on 127.0.0.1 talks to the guest's echo service, the guest
// resolves the gateway by ARP, and datagrams the guest sends to the gateway leave on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { UdpBridge } from "../../src/vmm/udp-bridge";
import { bootGuest } from "../helpers/guest";

test("a real UDP client gets its datagrams echoed by the guest, paced to wall-clock time", async () => {
  const m = await bootGuest();
  const bridge = await UdpBridge.open(m, { forwards: [{ hostPort: 0, guestPort: 7 }] });
  const client = createSocket("udp4");
  try {
    client.bind(0, "127.0.0.1");
    await once(client, "listening");
    const replies: string[] = [];
    client.on("message", (msg) => {
      replies.push(msg.toString());
      if (replies.length === 3) m.pause();
    });
    for (const text of ["one", "two", "three"]) client.send(text, bridge.boundPorts[0]!, "127.0.0.1");
    const stop = await m.runAsync({ untilNs: m.nowNs + 10e9 }, { pace: true });
    assert.equal(stop.kind, "paused", "all three replies arrived before 10 s");
    assert.deepEqual(replies.sort(), ["one", "three", "two"]);
    assert.equal(bridge.stats.toGuest, 3);
    assert.equal(bridge.stats.fromGuest, 3);
    // Every datagram the guest received is in the journal, at an exact sync point.
    assert.equal(m.journal.all().filter((e) => e.kind === "frame").length, 3);
  } finally {
    client.close();
    bridge.close();
    m.destroy();
  }
});
