// Unit tests of the packet codec (src/net): known-answer checksums, round trips through the
// builders and the layered decoder, and malformed input that must come back as PacketError.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ARP_OP,
  buildArpReply,
  buildArpRequest,
  buildEthernetFrame,
  buildIpv4Packet,
  buildUdpDatagram,
  buildUdpFrame,
  ETHERTYPE,
  internetChecksum,
  ipv4ToBytes,
  ipv4ToString,
  macToBytes,
  macToString,
  onesComplementSum,
  PacketError,
  parseArp,
  parseEthernet,
  parseFrame,
  parseIpv4,
  parseUdp,
  UDP_MAX_PAYLOAD_UNFRAGMENTED,
} from "../../src/net";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (h) => parseInt(h, 16));
const GUEST = { mac: "52:54:00:12:34:56", ip: "10.0.2.15" };
const HOST = { mac: "52:54:00:ab:cd:ef", ip: "10.0.2.2" };

function udpFrame(payload: Uint8Array): Uint8Array {
  return buildUdpFrame({ srcMac: HOST.mac, dstMac: GUEST.mac, srcIp: HOST.ip, dstIp: GUEST.ip, srcPort: 40000, dstPort: 7, payload });
}

function expectError(v: unknown, code: PacketError["code"], layer: PacketError["layer"]): PacketError {
  assert.ok(v instanceof PacketError, `expected a PacketError, got ${JSON.stringify(v)}`);
  assert.equal(v.code, code, v.message);
  assert.equal(v.layer, layer, v.message);
  return v;
}

describe("Internet checksum", () => {
  it("matches the RFC 1071 section 3 example", () => {
    const data = hex("0001 f203 f4f5 f6f7");
    assert.equal(onesComplementSum(data), 0xddf2);
    assert.equal(internetChecksum(data), 0x220d);
  });

  it("matches a well-known IPv4 header checksum (0xb861)", () => {
    const header = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
    assert.equal(internetChecksum(header), 0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    assert.equal(internetChecksum(header), 0, "a header with its checksum sums to zero");
  });

  it("pads an odd trailing byte with zero", () => {
    assert.equal(onesComplementSum(hex("01")), 0x0100);
    assert.equal(onesComplementSum(hex("ffff ffff 01")), 0x0100, "0x200fe folds its carries back in: 0x00fe + 2");
  });

  it("computes the UDP checksum over the pseudo-header (known answer)", () => {
    // 10.0.2.2:40000 -> 10.0.2.15:7, payload "hello". Pseudo-header + header + data, summed by hand:
    // 0a00+0202+0a00+020f+0011+000d + 9c40+0007+000d + 6865+6c6c+6f00 = 0x1f854 -> 0xf855 -> ~ = 0x07aa
    const udp = buildUdpDatagram({ srcIp: HOST.ip, dstIp: GUEST.ip, srcPort: 40000, dstPort: 7, payload: new TextEncoder().encode("hello") });
    assert.deepEqual([...udp], [...hex("9c40 0007 000d 07aa 6865 6c6c 6f")]);
  });
});

describe("addresses", () => {
  it("round-trip MAC and IPv4 text", () => {
    assert.equal(macToString(macToBytes("52-54-00-AB-CD-EF")), "52:54:00:ab:cd:ef");
    assert.equal(ipv4ToString(ipv4ToBytes("10.0.2.15")), "10.0.2.15");
  });

  it("reject malformed addresses with a PacketError naming the input", () => {
    for (const bad of ["52:54:00:12:34", "zz:54:00:12:34:56", ""]) {
      const e = expectError(
        ((): unknown => {
          try {
            return macToBytes(bad);
          } catch (err) {
            return err;
          }
        })(),
        "invalid-argument",
        "address",
      );
      assert.match(e.message, /is not a MAC address/);
    }
    for (const bad of ["10.0.2", "10.0.2.256", "a.b.c.d", "10.0.2.15.1"]) {
      expectError(
        ((): unknown => {
          try {
            return ipv4ToBytes(bad);
          } catch (err) {
            return err;
          }
        })(),
        "invalid-argument",
        "address",
      );
    }
  });
});

describe("building and parsing frames", () => {
  it("round-trips a UDP frame through parseFrame", () => {
    const payload = new TextEncoder().encode("ping");
    const frame = udpFrame(payload);
    assert.equal(frame.length, 14 + 20 + 8 + 4);
    const d = parseFrame(frame, { requireValidChecksums: true });
    assert.equal(d.error, undefined);
    assert.equal(d.ethernet?.dstMac, GUEST.mac);
    assert.equal(d.ethernet?.srcMac, HOST.mac);
    assert.equal(d.ethernet?.etherType, ETHERTYPE.ipv4);
    assert.equal(d.ipv4?.srcIp, HOST.ip);
    assert.equal(d.ipv4?.dstIp, GUEST.ip);
    assert.equal(d.ipv4?.ttl, 64);
    assert.equal(d.ipv4?.dontFragment, true);
    assert.equal(d.ipv4?.checksumValid, true);
    assert.equal(d.udp?.srcPort, 40000);
    assert.equal(d.udp?.dstPort, 7);
    assert.equal(d.udp?.checksumValid, true);
    assert.deepEqual(d.udp?.payload, payload);
  });

  it("builds the largest unfragmented payload (1472 bytes) and rejects larger", () => {
    const frame = udpFrame(new Uint8Array(UDP_MAX_PAYLOAD_UNFRAGMENTED).fill(0xa5));
    assert.equal(frame.length, 1514);
    assert.equal(parseFrame(frame).udp?.payload.length, 1472);
    const e = ((): unknown => {
      try {
        return udpFrame(new Uint8Array(1473));
      } catch (err) {
        return err;
      }
    })();
    expectError(e, "invalid-argument", "ethernet");
  });

  it("pads short frames on request and trims the padding when parsing", () => {
    const frame = buildUdpFrame({ srcMac: HOST.mac, dstMac: GUEST.mac, srcIp: HOST.ip, dstIp: GUEST.ip, srcPort: 1, dstPort: 9, payload: new Uint8Array([1]), pad: true });
    assert.equal(frame.length, 60);
    const d = parseFrame(frame, { requireValidChecksums: true });
    assert.equal(d.error, undefined);
    assert.deepEqual([...d.udp!.payload], [1]);
  });

  it("builds and parses ARP requests and replies", () => {
    const req = buildArpRequest({ srcMac: HOST.mac, srcIp: HOST.ip, targetIp: GUEST.ip });
    assert.equal(req.length, 42);
    const d = parseFrame(req);
    assert.equal(d.ethernet?.dstMac, "ff:ff:ff:ff:ff:ff");
    assert.deepEqual(d.arp, { op: ARP_OP.request, senderMac: HOST.mac, senderIp: HOST.ip, targetMac: "00:00:00:00:00:00", targetIp: GUEST.ip });
    const rep = parseFrame(buildArpReply({ srcMac: GUEST.mac, srcIp: GUEST.ip, dstMac: HOST.mac, dstIp: HOST.ip }));
    assert.equal(rep.arp?.op, ARP_OP.reply);
    assert.equal(rep.ethernet?.dstMac, HOST.mac);
    assert.equal(rep.arp?.senderMac, GUEST.mac);
  });

  it("stops quietly at EtherTypes and protocols it does not decode", () => {
    const ipv6 = buildEthernetFrame({ dstMac: GUEST.mac, srcMac: HOST.mac, etherType: ETHERTYPE.ipv6, payload: new Uint8Array(40) });
    assert.deepEqual(Object.keys(parseFrame(ipv6)), ["ethernet"]);
    const icmp = buildEthernetFrame({
      dstMac: GUEST.mac,
      srcMac: HOST.mac,
      etherType: ETHERTYPE.ipv4,
      payload: buildIpv4Packet({ srcIp: HOST.ip, dstIp: GUEST.ip, protocol: 1, payload: new Uint8Array(8) }),
    });
    const d = parseFrame(icmp);
    assert.equal(d.error, undefined);
    assert.equal(d.ipv4?.protocol, 1);
    assert.equal(d.udp, undefined);
  });
});

describe("malformed input", () => {
  it("reports a runt Ethernet frame as truncated", () => {
    expectError(parseEthernet(new Uint8Array(10)), "truncated", "ethernet");
    expectError(parseFrame(new Uint8Array(0)).error, "truncated", "ethernet");
  });

  it("rejects an 802.3 length field where an EtherType belongs", () => {
    const f = udpFrame(new Uint8Array(4));
    f[12] = 0x00;
    f[13] = 0x2e;
    expectError(parseEthernet(f), "malformed", "ethernet");
  });

  it("reports IPv4 header problems by kind", () => {
    const ip = buildIpv4Packet({ srcIp: HOST.ip, dstIp: GUEST.ip, protocol: 17, payload: new Uint8Array(8) });
    expectError(parseIpv4(ip.subarray(0, 19)), "truncated", "ipv4");
    const v6 = ip.slice();
    v6[0] = 0x65;
    assert.match(expectError(parseIpv4(v6), "malformed", "ipv4").message, /version field is 6/);
    const shortIhl = ip.slice();
    shortIhl[0] = 0x44;
    expectError(parseIpv4(shortIhl), "malformed", "ipv4");
    const longIhl = ip.slice();
    longIhl[0] = 0x4f;
    expectError(parseIpv4(longIhl), "truncated", "ipv4");
    const longTotal = ip.slice();
    longTotal[3] = 200;
    assert.match(expectError(parseIpv4(longTotal), "truncated", "ipv4").message, /total length 200/);
    const shortTotal = ip.slice();
    shortTotal[2] = 0;
    shortTotal[3] = 10;
    expectError(parseIpv4(shortTotal), "malformed", "ipv4");
  });

  it("flags a bad IPv4 header checksum, and errors on it in strict mode", () => {
    const f = udpFrame(new Uint8Array(4));
    f[14 + 8] ^= 0x01; // TTL changes, checksum does not
    const lax = parseFrame(f);
    assert.equal(lax.error, undefined);
    assert.equal(lax.ipv4?.checksumValid, false);
    const strict = parseFrame(f, { requireValidChecksums: true });
    expectError(strict.error, "bad-checksum", "ipv4");
    assert.equal(strict.udp, undefined);
  });

  it("flags a bad UDP checksum and accepts an absent one", () => {
    const f = udpFrame(new Uint8Array([1, 2, 3, 4]));
    f[f.length - 1] ^= 0xff;
    assert.equal(parseFrame(f).udp?.checksumValid, false);
    expectError(parseFrame(f, { requireValidChecksums: true }).error, "bad-checksum", "udp");
    f[14 + 20 + 6] = 0;
    f[14 + 20 + 7] = 0;
    const none = parseFrame(f, { requireValidChecksums: true });
    assert.equal(none.error, undefined);
    assert.equal(none.udp?.checksumPresent, false);
  });

  it("reports UDP length problems", () => {
    const u = buildUdpDatagram({ srcIp: HOST.ip, dstIp: GUEST.ip, srcPort: 1, dstPort: 2, payload: new Uint8Array(10) });
    expectError(parseUdp(u.subarray(0, 7), HOST.ip, GUEST.ip), "truncated", "udp");
    expectError(parseUdp(u.subarray(0, 12), HOST.ip, GUEST.ip), "truncated", "udp");
    const bad = u.slice();
    bad[5] = 4;
    expectError(parseUdp(bad, HOST.ip, GUEST.ip), "malformed", "udp");
  });

  it("reports IPv4 fragments as unsupported rather than decoding UDP from them", () => {
    const f = udpFrame(new Uint8Array(4));
    f[14 + 6] |= 0x20; // MF
    expectError(parseFrame(f).error, "unsupported", "ipv4");
  });

  it("rejects ARP for other hardware or protocols, and truncated ARP", () => {
    const arp = buildArpRequest({ srcMac: HOST.mac, srcIp: HOST.ip, targetIp: GUEST.ip }).subarray(14);
    expectError(parseArp(arp.subarray(0, 27)), "truncated", "arp");
    const tokenRing = arp.slice();
    tokenRing[1] = 6;
    expectError(parseArp(tokenRing), "malformed", "arp");
  });

  it("rejects builder arguments it cannot encode", () => {
    const attempt = (f: () => unknown): unknown => {
      try {
        return f();
      } catch (err) {
        return err;
      }
    };
    expectError(
      attempt(() => buildUdpDatagram({ srcIp: HOST.ip, dstIp: GUEST.ip, srcPort: 70000, dstPort: 7, payload: new Uint8Array() })),
      "invalid-argument",
      "udp",
    );
    expectError(
      attempt(() => buildIpv4Packet({ srcIp: HOST.ip, dstIp: GUEST.ip, protocol: 17, ttl: 300, payload: new Uint8Array() })),
      "invalid-argument",
      "ipv4",
    );
    expectError(
      attempt(() => buildEthernetFrame({ dstMac: GUEST.mac, srcMac: HOST.mac, etherType: 0x05dc, payload: new Uint8Array() })),
      "invalid-argument",
      "ethernet",
    );
  });

  it("never throws on arbitrary bytes", () => {
    let seed = 0x2545f491;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const valid = udpFrame(new Uint8Array(64));
    for (let i = 0; i < 3000; i++) {
      // Half random garbage, half a valid frame with a few corrupted bytes and a random cut.
      const bytes = i % 2 ? Uint8Array.from({ length: rand() % 128 }, () => rand() & 0xff) : valid.slice(0, rand() % (valid.length + 1));
      if (i % 2 === 0) for (let k = 0; k < 3 && bytes.length; k++) bytes[rand() % bytes.length] = rand() & 0xff;
      const d = parseFrame(bytes, { requireValidChecksums: i % 4 === 0 });
      if (d.error) assert.ok(d.error instanceof PacketError);
    }
  });
});
