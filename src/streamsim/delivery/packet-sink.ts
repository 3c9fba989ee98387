// Where a stream's packets go: UDP to the client's ports from the server's socket pair, or
// $-frames in the RTSP connection.
import type { Socket } from "node:dgram";
import { interleavedFrame } from "../rtsp/response";
import type { DeliveryTarget, InterleavedTarget, UdpTarget } from "./backend";

export interface PacketSink {
  /** false: the destination is gone or cannot keep up; `why` says which */
  sendRtp(header: Buffer, payload: Buffer): boolean;
  sendRtcp(packet: Buffer): boolean;
  /**
   * A whole RTP (or, `rtcp`, RTCP) packet: `length` bytes at `offset` in `bytes`, which the
   * sink does not keep (the engine's media, sent from the frame it came in).
   */
  sendPacket(rtcp: boolean, bytes: Uint8Array, offset: number, length: number): boolean;
  readonly why: string;
}

export function makePacketSink(target: DeliveryTarget, rtp: Socket, rtcp: Socket, maxQueuedBytes: number): PacketSink {
  return target.kind === "udp" ? udpSink(target, rtp, rtcp) : interleavedSink(target, maxQueuedBytes);
}

/**
 * Losses on UDP are the client's to report (RTCP RR); send errors are not fatal (the sockets'
 * owner listens for "error"). No completion callback: without one Node sends at once
 * (uv_udp_try_send) instead of queueing a request and calling back on the next loop turn.
 */
export function udpSink(target: UdpTarget, rtp: Socket, rtcp: Socket): PacketSink {
  return {
    why: "",
    sendRtp(header, payload) {
      rtp.send([header, payload], target.rtpPort, target.address);
      return true;
    },
    sendRtcp(packet) {
      rtcp.send(packet, target.rtcpPort, target.address);
      return true;
    },
    sendPacket(isRtcp, bytes, offset, length) {
      // With offset and length, dgram makes one Buffer view: no list of parts to check and copy.
      if (isRtcp) rtcp.send(bytes, offset, length, target.rtcpPort, target.address);
      else rtp.send(bytes, offset, length, target.rtpPort, target.address);
      return true;
    },
  };
}

export function interleavedSink(target: InterleavedTarget, maxQueuedBytes: number): PacketSink {
  const sink = {
    why: "",
    write(channel: number, data: Buffer): boolean {
      if (target.queuedBytes() > maxQueuedBytes) {
        sink.why = `client is not reading: more than ${maxQueuedBytes} bytes queued on its RTSP connection`;
        return false;
      }
      if (!target.write(interleavedFrame(channel, data))) {
        sink.why = "RTSP connection closed";
        return false;
      }
      return true;
    },
    sendRtp(header: Buffer, payload: Buffer) {
      return sink.write(target.rtpChannel, Buffer.concat([header, payload]));
    },
    sendRtcp(packet: Buffer) {
      return sink.write(target.rtcpChannel, packet);
    },
    sendPacket(rtcp: boolean, bytes: Uint8Array, offset: number, length: number) {
      return sink.write(rtcp ? target.rtcpChannel : target.rtpChannel, Buffer.from(bytes.buffer, bytes.byteOffset + offset, length));
    },
  };
  return sink;
}
