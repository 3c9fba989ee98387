// What a receiver keeps about one RTP source (RFC 3550 Appendix A.1, A.3, A.8) and the RTCP
// receiver report it sends about it (§6.4.2), for the load generator's clients.
import { RtcpType } from "../streamsim/delivery/rtcp";

const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000; // RFC 3550 A.1
const MAX_MISORDER = 100;

export class ReceptionStats {
  packets = 0;
  /** RTP header + payload */
  bytes = 0;
  ssrc: number | undefined;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  /** lost in earlier runs of the sequence (before a resynchronisation) */
  private lostBefore = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | undefined;
  /** interarrival jitter, RTP timestamp units (A.8) */
  jitter = 0;
  /** middle 32 bits of the latest SR's NTP time, and when it came (ms) */
  private lsr = 0;
  private lsrAtMs = 0;

  /** Counts one RTP packet; false if it is not RTP version 2. */
  onRtp(pkt: Buffer, arrivalMs: number, clockHz: number): boolean {
    if (pkt.length < 12 || pkt[0]! >> 6 !== 2) return false;
    const seq = pkt.readUInt16BE(2);
    const ts = pkt.readUInt32BE(4);
    const ssrc = pkt.readUInt32BE(8);
    this.packets++;
    this.bytes += pkt.length;
    if (this.ssrc !== ssrc || this.received === 0) {
      if (this.ssrc !== undefined && this.ssrc !== ssrc) this.resync();
      this.ssrc = ssrc;
      this.start(seq);
    } else {
      const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
        this.maxSeq = seq;
      } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        // a jump: the sender restarted its sequence; count from here
        this.resync();
        this.start(seq);
      } // else a duplicate or reordered packet: counted as received only
    }
    this.received++;
    const arrival = Math.round((arrivalMs * clockHz) / 1000);
    const transit = (arrival - ts) | 0;
    if (this.transit !== undefined) {
      const d = Math.abs((transit - this.transit) | 0);
      this.jitter += (d - this.jitter) / 16;
    }
    this.transit = transit;
    return true;
  }

  private start(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }

  private resync(): void {
    this.lostBefore += Math.max(0, this.expected() - this.received);
  }

  private expected(): number {
    return this.received === 0 ? 0 : this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Packets never received, over every run of the sequence (A.3). */
  get lost(): number {
    return this.lostBefore + Math.max(0, this.expected() - this.received);
  }

  get extendedHighestSeq(): number {
    return (this.cycles + this.maxSeq) >>> 0;
  }

  /** Notes a sender report (for LSR/DLSR). */
  onSenderReport(ntpSec: number, ntpFrac: number, nowMs: number): void {
    this.lsr = (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
    this.lsrAtMs = nowMs;
  }

  /** An RTCP RR with one report block about the source (RFC 3550 §6.4.2); moves the interval. */
  receiverReport(reporterSsrc: number, nowMs: number): Buffer | undefined {
    if (this.ssrc === undefined) return undefined;
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const b = Buffer.alloc(32);
    b[0] = 0x81; // V=2, P=0, RC=1
    b[1] = RtcpType.RR;
    b.writeUInt16BE(32 / 4 - 1, 2);
    b.writeUInt32BE(reporterSsrc >>> 0, 4);
    b.writeUInt32BE(this.ssrc, 8);
    b[12] = fraction;
    b.writeIntBE(Math.min(0x7fffff, this.lost), 13, 3);
    b.writeUInt32BE(this.extendedHighestSeq, 16);
    b.writeUInt32BE(Math.min(0xffffffff, Math.round(this.jitter)), 20);
    b.writeUInt32BE(this.lsr, 24);
    b.writeUInt32BE(this.lsr === 0 ? 0 : Math.min(0xffffffff, Math.round(((nowMs - this.lsrAtMs) / 1000) * 65536)), 28);
    return b;
  }
}

/** What a (compound) RTCP packet from the sender says: its SR's NTP time and whether it said BYE. */
export function readSenderRtcp(buf: Buffer): { sr?: { ntpSec: number; ntpFrac: number }; bye: boolean } {
  const out: { sr?: { ntpSec: number; ntpFrac: number }; bye: boolean } = { bye: false };
  let off = 0;
  while (off + 4 <= buf.length) {
    if (buf[off]! >> 6 !== 2) break;
    const type = buf[off + 1]!;
    const len = (buf.readUInt16BE(off + 2) + 1) * 4;
    if (off + len > buf.length) break;
    if (type === RtcpType.SR && len >= 28) out.sr = { ntpSec: buf.readUInt32BE(off + 8), ntpFrac: buf.readUInt32BE(off + 12) };
    if (type === RtcpType.BYE) out.bye = true;
    off += len;
  }
  return out;
}
