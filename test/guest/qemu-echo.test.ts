// The real guest kernel on QEMU's e1000: it must boot, answer ARP, echo UDP (checked with the
// src/net codec, checksums included), drop a corrupted datagram, and report exact counters.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ARP_OP, buildArpRequest, buildUdpFrame, parseFrame, type DecodedFrame } from "../../src/net";
import { GUEST_MAC, QemuGuest, qemuAvailable } from "./qemu";

const GUEST_IP = "10.0.2.15";
const HOST_MAC = "52:54:00:ab:cd:01";
const HOST_IP = "10.0.2.2";
const BOOT_TIMEOUT_MS = 60_000; // TCG boot takes a few seconds; leave room on a loaded machine
const REPLY_TIMEOUT_MS = 5_000;
const SILENCE_MS = 750;

const skip = qemuAvailable() ? false : "qemu-system-i386 is not installed (apt-get install qemu-system-x86)";

function decode(f: Uint8Array): DecodedFrame {
  return parseFrame(f);
}

function isUdpTo(port: number) {
  return (f: Uint8Array): boolean => decode(f).udp?.dstPort === port;
}

function pattern(len: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed) & 0xff);
}

function udpToGuest(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return buildUdpFrame({ srcMac: HOST_MAC, dstMac: GUEST_MAC, srcIp: HOST_IP, dstIp: GUEST_IP, srcPort, dstPort, payload });
}

/** Asserts everything an echo reply must satisfy, and returns its payload. */
function checkReply(frame: Uint8Array, srcPort: number, dstPort: number): Uint8Array {
  const d = parseFrame(frame, { requireValidChecksums: true });
  assert.equal(d.error, undefined, d.error?.message);
  assert.equal(d.ethernet!.dstMac, HOST_MAC, "reply goes to the requester's MAC");
  assert.equal(d.ethernet!.srcMac, GUEST_MAC);
  assert.equal(d.ipv4!.srcIp, GUEST_IP);
  assert.equal(d.ipv4!.dstIp, HOST_IP);
  assert.equal(d.ipv4!.checksumValid, true, "IPv4 header checksum");
  assert.equal(d.udp!.checksumPresent, true, "the guest always computes the UDP checksum");
  assert.equal(d.udp!.checksumValid, true, "UDP checksum");
  assert.equal(d.udp!.srcPort, srcPort);
  assert.equal(d.udp!.dstPort, dstPort);
  return d.udp!.payload;
}

describe("guest on QEMU e1000", { skip }, () => {
  const guest = new QemuGuest();
  let sent = 0;
  let replies = 0;

  async function send(frame: Uint8Array): Promise<void> {
    sent++;
    await guest.send(frame);
  }

  before(async () => {
    await guest.start(`ip=${GUEST_IP} gw=${HOST_IP}`);
    await guest.waitForSerial(/^ready\r?$/m, BOOT_TIMEOUT_MS);
  });

  after(async () => {
    await guest.stop();
  });

  it("prints the banner, the network line and ready", () => {
    assert.match(guest.serial, /LVMM I\/O engine \d+\.\d+ \(build [^)]+\)/);
    const net = guest.serial.match(/^net: e1000 mac=([0-9a-f:]{17}) ip=(\S+) irq=(\d+)\r?$/m);
    assert.ok(net, `no net: line in\n${guest.serial}`);
    assert.equal(net[1], GUEST_MAC);
    assert.equal(net[2], GUEST_IP);
    assert.ok(Number(net[3]) > 0 && Number(net[3]) < 16, `irq ${net[3]} is a PIC line`);
    assert.doesNotMatch(guest.serial, /GUEST CRASH/);
  });

  it("answers an ARP request for its address", async () => {
    await send(buildArpRequest({ srcMac: HOST_MAC, srcIp: HOST_IP, targetIp: GUEST_IP }));
    const f = await guest.nextFrame((x) => decode(x).arp !== undefined, REPLY_TIMEOUT_MS, "an ARP reply");
    replies++;
    const d = decode(f);
    assert.equal(d.ethernet!.dstMac, HOST_MAC);
    assert.deepEqual(d.arp, { op: ARP_OP.reply, senderMac: GUEST_MAC, senderIp: GUEST_IP, targetMac: HOST_MAC, targetIp: HOST_IP });
  });

  it("echoes UDP payloads of every size up to 1472 bytes", async () => {
    const sizes = [0, 1, 18, 64, 255, 512, 1000, 1471, 1472];
    for (const [i, size] of sizes.entries()) {
      const port = 41000 + i;
      const payload = pattern(size, i);
      await send(udpToGuest(port, 7, payload));
      const reply = await guest.nextFrame(isUdpTo(port), REPLY_TIMEOUT_MS, `the echo of ${size} bytes`);
      replies++;
      assert.deepEqual(checkReply(reply, 7, port), payload, `payload of ${size} bytes`);
    }
  });

  it("echoes a back-to-back burst of full-size datagrams, none lost", async () => {
    const count = 32;
    for (let i = 0; i < count; i++) await send(udpToGuest(42000 + i, 7, pattern(1472, 100 + i)));
    for (let i = 0; i < count; i++) {
      const reply = await guest.nextFrame(isUdpTo(42000 + i), REPLY_TIMEOUT_MS, `burst echo ${i}`);
      replies++;
      assert.deepEqual(checkReply(reply, 7, 42000 + i), pattern(1472, 100 + i));
    }
  });

  it("drops a datagram whose UDP checksum is wrong", async () => {
    const frame = udpToGuest(43000, 7, pattern(100, 7));
    frame[frame.length - 1] ^= 0x5a;
    assert.equal(parseFrame(frame).udp?.checksumValid, false);
    await send(frame);
    await assert.rejects(guest.nextFrame(isUdpTo(43000), SILENCE_MS), /timed out/);
  });

  it("reports exact counters for the `stats` query on the discard port", async () => {
    await send(udpToGuest(44000, 9, new TextEncoder().encode("stats")));
    const reply = await guest.nextFrame(isUdpTo(44000), REPLY_TIMEOUT_MS, "the stats reply");
    const text = new TextDecoder().decode(checkReply(reply, 9, 44000));
    const m = text.match(/^stats rx=(\d+) tx=(\d+) rxo=(\d+) drop=(\d+)$/);
    assert.ok(m, `stats reply ${JSON.stringify(text)}`);
    assert.equal(Number(m[1]), sent, "rx counts every frame sent to the guest");
    assert.equal(Number(m[2]), replies, "tx counts every reply before this one");
    assert.equal(Number(m[4]), 1, "only the corrupted datagram was dropped");
    await guest.waitForSerial(new RegExp(`^${text}\\r?$`, "m"), REPLY_TIMEOUT_MS);
    assert.equal(guest.pendingFrames().length, 0, "no unexpected frames from the guest");
  });
});
