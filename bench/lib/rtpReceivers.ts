// Light in-process RTP receivers for load tests: one UDP socket pair per stream, recording each
// packet's sequence number, RTP timestamp and arrival time inside a measurement window.
import { bindUdpPortPair, closeUdpPortPair, type UdpPortPair } from "../../src/streamsim/delivery/udpPortPair";

export class RtpReceiver {
  private recording = false;
  seqs: number[] = [];
  /** arrival (ms) minus RTP time (ms): its spread is the packets' lateness */
  offsets: number[] = [];
  total = 0;

  private constructor(readonly pair: UdpPortPair) {
    pair.rtp.on("message", (m) => {
      this.total++;
      if (!this.recording || m.length < 12) return;
      this.seqs.push(m.readUInt16BE(2));
      this.offsets.push(performance.now() - m.readUInt32BE(4) / 90);
    });
    pair.rtcp.on("message", () => {});
  }

  static async open(): Promise<RtpReceiver> {
    return new RtpReceiver(await bindUdpPortPair("127.0.0.1"));
  }

  get ports(): [number, number] {
    return this.pair.ports;
  }

  record(on: boolean): void {
    this.recording = on;
    if (on) {
      this.seqs = [];
      this.offsets = [];
    }
  }

  /** packets missing between the first and last sequence number seen in the window */
  lost(): number {
    if (this.seqs.length < 2) return 0;
    const first = this.seqs[0]!;
    const unwrapped = this.seqs.map((s) => (s - first + 65536) % 65536);
    const span = Math.max(...unwrapped) + 1;
    return span - new Set(unwrapped).size;
  }

  /** per packet lateness (ms) relative to the stream's earliest-arriving packet */
  lateness(): number[] {
    if (!this.offsets.length) return [];
    const best = Math.min(...this.offsets);
    return this.offsets.map((o) => o - best);
  }

  close(): void {
    closeUdpPortPair(this.pair);
  }
}
