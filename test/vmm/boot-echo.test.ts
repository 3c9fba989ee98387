// The I/O engine boots on the LVMM and its e1000 driver answers ARP and UDP echo through the
// wire API, with correct checksums, also under a 10,000-frame back-to-back load.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildArpRequest } from "../../src/net";
import type { Machine } from "../../src/vmm/machine";
import { bootGuest, bytes, captureTx, GUEST, HOST, runUntilLine, udpToGuest } from "../helpers/guest";

describe("boot and UDP echo on the LVMM", () => {
  let m: Machine;
  before(async () => {
    m = await bootGuest();
  });
  after(() => m.destroy());

  it("prints the banner and brings the network up", () => {
    assert.match(m.serial.output, /^LVMM I\/O engine /);
    assert.match(m.serial.output, /net: e1000 mac=52:54:00:12:34:56 ip=10\.0\.2\.15 irq=11/);
    assert.match(m.serial.output, /\nready\n/);
  });

  it("answers ARP for its address", () => {
    const tx = captureTx(m);
    m.wire.inject(buildArpRequest({ srcMac: HOST.mac, srcIp: HOST.ip, targetIp: GUEST.ip }), m.nowNs + 1000);
    m.run({ untilNs: m.nowNs + 5e6 });
    tx.stop();
    const arp = tx.frames.find((f) => f.arp);
    assert.ok(arp?.arp, "an ARP reply");
    assert.equal(arp.arp.op, 2);
    assert.equal(arp.arp.senderMac, GUEST.mac);
    assert.equal(arp.arp.senderIp, GUEST.ip);
    assert.equal(arp.ethernet!.dstMac, HOST.mac);
  });

  it("echoes UDP payloads of every size with valid IPv4 and UDP checksums", () => {
    for (const size of [1, 18, 64, 512, 1000, 1472]) {
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff);
      const tx = captureTx(m);
      m.wire.inject(udpToGuest(payload, 40000 + size), m.nowNs + 1000);
      m.run({ untilNs: m.nowNs + 5e6 });
      tx.stop();
      assert.equal(tx.frames.length, 1, `one reply for ${size} bytes`);
      const f = tx.frames[0]!;
      assert.equal(f.error, undefined, `reply decodes with valid checksums (${f.error?.message})`);
      assert.equal(f.ipv4!.srcIp, GUEST.ip);
      assert.equal(f.ipv4!.dstIp, HOST.ip);
      assert.equal(f.udp!.srcPort, 7);
      assert.equal(f.udp!.dstPort, 40000 + size);
      assert.ok(f.udp!.checksumPresent, "the guest always computes the UDP checksum");
      assert.deepEqual([...f.udp!.payload], [...payload]);
    }
  });

  it("drops a frame with a bad UDP checksum instead of echoing it", () => {
    const frame = udpToGuest(bytes("corrupt me"), 40100);
    frame[frame.length - 1] ^= 0xff; // payload changes, checksum does not
    const tx = captureTx(m);
    m.wire.inject(frame, m.nowNs + 1000);
    m.run({ untilNs: m.nowNs + 5e6 });
    tx.stop();
    assert.equal(tx.frames.length, 0);
  });

  it("loses no frame silently when 10,000 arrive back to back and the ring overflows", () => {
    const n = 10_000;
    const before = queryStats(m);
    const nicBefore = m.nic!.model.getStats();
    const tx = captureTx(m);
    const t0 = m.nowNs + 1000;
    for (let i = 0; i < n; i++) {
      const payload = new Uint8Array(64);
      new DataView(payload.buffer).setUint32(0, i);
      m.wire.inject(udpToGuest(payload, 50000), t0 + i * 200); // 200 ns apart: faster than the guest
    }
    m.run({ untilNs: t0 + n * 200 + 50e6 });
    tx.stop();
    const echoed = new Set<number>();
    for (const f of tx.frames) {
      assert.equal(f.error, undefined);
      echoed.add(new DataView(f.udp!.payload.buffer, f.udp!.payload.byteOffset).getUint32(0));
    }
    const nic = m.nic!.model.getStats();
    const ringFull = nic.rxDropped.ringFull - nicBefore.rxDropped.ringFull;
    const after = queryStats(m);
    assert.ok(ringFull > 0, "the load overflowed the receive ring (RXO)");
    assert.ok(after.rxo > before.rxo, "the driver saw the RXO interrupt cause");
    const guestDropped = after.drop - before.drop;
    assert.equal(echoed.size + ringFull + guestDropped, n, `echoed ${echoed.size} + NIC dropped ${ringFull} + guest dropped ${guestDropped}`);
    assert.equal(after.rx - before.rx, n - ringFull + 1, "the guest received every frame the NIC delivered (plus the second stats query)");
  });

  function queryStats(machine: Machine): { rx: number; tx: number; rxo: number; drop: number } {
    const done = runUntilLineAfter(machine, () => machine.wire.inject(udpToGuest(bytes("stats"), 40200, 9), machine.nowNs + 1000));
    const g = /stats rx=(\d+) tx=(\d+) rxo=(\d+) drop=(\d+)/.exec(done)!;
    return { rx: Number(g[1]), tx: Number(g[2]), rxo: Number(g[3]), drop: Number(g[4]) };
  }

  function runUntilLineAfter(machine: Machine, act: () => void): string {
    act();
    const r = runUntilLine(machine, /^stats rx=/, 1e9);
    assert.ok(r.line, `stats line (${JSON.stringify(r.stop)})`);
    return r.line!;
  }
});
