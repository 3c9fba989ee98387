// pcapng (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface Description Block
// for Ethernet (LINKTYPE_ETHERNET 1) with nanosecond timestamps (if_tsresol 9), and an
// Enhanced Packet Block per frame with its direction in epb_flags. Writer and reader.

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const LINKTYPE_ETHERNET = 1;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;
/** epb_flags bits 0-1 (pcapng 4.3.1). */
export const DIRECTION = { inbound: 1, outbound: 2 } as const;

export interface PcapPacket {
  /** ns since the Unix epoch. */
  timestampNs: bigint;
  data: Uint8Array;
  direction: "inbound" | "outbound";
  comment?: string;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pad4(value.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  v.setUint32(total - 4, total, true);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function writePcapng(packets: readonly PcapPacket[], app = "lvmm pcap"): Uint8Array {
  const enc = new TextEncoder();
  const endOpt = new Uint8Array(4);
  const shbFixed = new Uint8Array(16);
  const sv = new DataView(shbFixed.buffer);
  sv.setUint32(0, BYTE_ORDER_MAGIC, true);
  sv.setUint16(4, 1, true);
  sv.setUint16(6, 0, true);
  sv.setBigInt64(8, -1n, true); // section length unknown
  const parts = [block(SHB, concat([shbFixed, option(4 /* shb_userappl */, enc.encode(app)), endOpt]))];
  const idbFixed = new Uint8Array(8);
  const iv = new DataView(idbFixed.buffer);
  iv.setUint16(0, LINKTYPE_ETHERNET, true);
  iv.setUint32(4, 65535, true); // snaplen
  parts.push(block(IDB, concat([idbFixed, option(2 /* if_name */, enc.encode("lvmm-e1000")), option(IF_TSRESOL, Uint8Array.of(9)), endOpt])));
  for (const p of packets) {
    const fixed = new Uint8Array(20);
    const v = new DataView(fixed.buffer);
    v.setUint32(0, 0, true); // interface 0
    v.setUint32(4, Number(p.timestampNs >> 32n), true);
    v.setUint32(8, Number(p.timestampNs & 0xffffffffn), true);
    v.setUint32(12, p.data.length, true);
    v.setUint32(16, p.data.length, true);
    const data = new Uint8Array(pad4(p.data.length));
    data.set(p.data);
    const flags = new Uint8Array(4);
    new DataView(flags.buffer).setUint32(0, DIRECTION[p.direction], true);
    const opts = [option(EPB_FLAGS, flags)];
    if (p.comment) opts.push(option(OPT_COMMENT, enc.encode(p.comment)));
    parts.push(block(EPB, concat([fixed, data, ...opts, endOpt])));
  }
  return concat(parts);
}

export interface PcapngFile {
  linkTypes: number[];
  tsresol: number[];
  packets: PcapPacket[];
}

/** Reads what writePcapng writes (and any little-endian pcapng with SHB/IDB/EPB); throws Error on malformed input. */
export function readPcapng(bytes: Uint8Array): PcapngFile {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PcapngFile = { linkTypes: [], tsresol: [], packets: [] };
  let pos = 0;
  let sawShb = false;
  while (pos < bytes.length) {
    if (bytes.length - pos < 12) throw new Error(`pcapng: truncated block at ${pos}`);
    const type = v.getUint32(pos, true);
    const total = v.getUint32(pos + 4, true);
    if (total < 12 || total % 4 || pos + total > bytes.length) throw new Error(`pcapng: bad block length ${total} at ${pos}`);
    if (v.getUint32(pos + total - 4, true) !== total) throw new Error(`pcapng: trailing length mismatch at ${pos}`);
    const body = pos + 8;
    const bodyEnd = pos + total - 4;
    const options = (from: number): Map<number, Uint8Array> => {
      const m = new Map<number, Uint8Array>();
      for (let o = from; o + 4 <= bodyEnd;) {
        const code = v.getUint16(o, true);
        const len = v.getUint16(o + 2, true);
        if (code === OPT_ENDOFOPT) break;
        if (o + 4 + len > bodyEnd) throw new Error(`pcapng: option past its block at ${o}`);
        m.set(code, bytes.subarray(o + 4, o + 4 + len));
        o += 4 + pad4(len);
      }
      return m;
    };
    if (type === SHB) {
      if (v.getUint32(body, true) !== BYTE_ORDER_MAGIC) throw new Error("pcapng: not little-endian or bad byte-order magic");
      if (v.getUint16(body + 4, true) !== 1) throw new Error("pcapng: major version is not 1");
      sawShb = true;
    } else if (!sawShb) {
      throw new Error("pcapng: the first block is not a section header");
    } else if (type === IDB) {
      out.linkTypes.push(v.getUint16(body, true));
      const res = options(body + 8).get(IF_TSRESOL);
      out.tsresol.push(res ? res[0]! : 6);
    } else if (type === EPB) {
      const iface = v.getUint32(body, true);
      if (iface >= out.linkTypes.length) throw new Error(`pcapng: packet on undeclared interface ${iface}`);
      const ts = (BigInt(v.getUint32(body + 4, true)) << 32n) | BigInt(v.getUint32(body + 8, true));
      const caplen = v.getUint32(body + 12, true);
      if (body + 20 + caplen > bodyEnd) throw new Error(`pcapng: packet data past its block at ${pos}`);
      const data = bytes.slice(body + 20, body + 20 + caplen);
      const opts = options(body + 20 + pad4(caplen));
      const flags = opts.get(EPB_FLAGS);
      const dir = flags && flags.length >= 4 ? new DataView(flags.buffer, flags.byteOffset).getUint32(0, true) & 3 : 0;
      const res = out.tsresol[iface]!;
      const ns = res === 9 ? ts : ts * 10n ** BigInt(Math.max(0, 9 - res));
      const comment = opts.get(OPT_COMMENT);
      out.packets.push({ timestampNs: ns, data, direction: dir === DIRECTION.outbound ? "outbound" : "inbound", ...(comment ? { comment: new TextDecoder().decode(comment) } : {}) });
    }
    pos += total;
  }
  if (!sawShb) throw new Error("pcapng: empty file");
  return out;
}
