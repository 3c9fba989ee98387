// The start/stop delivery interface between the general-purpose side (RTSP handling and
// management) and a delivery engine (I/O scheduling, disk read, RTP send). The conventional
// backend implements it inside Node; the I/O-engine backend will implement it against the
// dedicated OS. Everything crossing it is plain data, and every command is async, so it can
// be carried over a link to another machine.
import type { ContentItem } from "../content/catalog";
import type { ReceptionReport } from "./rtcp";

export interface UdpTarget {
  kind: "udp";
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

/** RTP and RTCP carried in the RTSP TCP connection (RFC 2326 §10.12). */
export interface InterleavedTarget {
  kind: "interleaved";
  rtpChannel: number;
  rtcpChannel: number;
  /** writes one complete $-frame; false when the connection is gone */
  write(frame: Buffer): boolean;
  /** bytes queued in the connection but not yet sent (for back-pressure) */
  queuedBytes(): number;
}

export type DeliveryTarget = UdpTarget | InterleavedTarget;

export interface DeliveryStart {
  streamId: string;
  content: ContentItem;
  target: DeliveryTarget;
  ssrc: number;
  /** sequence number of the first RTP packet ever sent on this stream */
  seqBase: number;
  /** RTP timestamp of npt 0 */
  rtpTimeBase: number;
  cname: string;
  fromSec: number;
  untilSec?: number;
}

/** Where delivery (re)starts: what PLAY's RTP-Info and Range report. */
export interface PlayPosition {
  seq: number;
  rtptime: number;
  /** npt of the first packet sent (a random-access point at or before the one asked for) */
  startSec: number;
}

export const LATENESS_BUCKETS_SEC = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1] as const;

export interface LatenessSummary {
  count: number;
  sumSec: number;
  maxSec: number;
  /** cumulative counts per LATENESS_BUCKETS_SEC upper bound */
  buckets: number[];
}

export interface DeliveryStats {
  rtpPackets: number;
  /** RTP bytes sent: header + payload */
  rtpBytes: number;
  rtcpPackets: number;
  positionSec: number;
  /** actual send time minus scheduled send time, per RTP packet, as the host sends it */
  lateness: LatenessSummary;
  /** the I/O engine's own view of its lateness, in its virtual time */
  guestLateness?: LatenessSummary;
}

export type DeliveryEvent =
  | { type: "stats"; streamId: string; stats: DeliveryStats }
  | { type: "receiverReport"; streamId: string; report: ReceptionReport }
  | { type: "ended"; streamId: string }
  | { type: "failed"; streamId: string; reason: string }
  | { type: "availability"; up: boolean };

export interface DeliveryBackend {
  readonly kind: string;
  /** bits/s the backend can deliver in total; admission control reserves against it */
  readonly capacityBps: number;
  isUp(): boolean;
  /** the server's RTP/RTCP UDP ports, for SETUP's Transport server_port */
  udpServerPorts(): [number, number] | undefined;
  start(p: DeliveryStart): Promise<PlayPosition>;
  /** resolves with the npt where delivery stopped */
  pause(streamId: string): Promise<number>;
  resume(streamId: string): Promise<PlayPosition>;
  /** moves the stream; it keeps playing or stays paused */
  seek(streamId: string, toSec: number, untilSec?: number): Promise<PlayPosition>;
  stop(streamId: string): Promise<void>;
  subscribe(listener: (e: DeliveryEvent) => void): () => void;
  /** backend-specific figures for /metrics (Prometheus text lines) */
  metricsLines?(): string[];
  close(): Promise<void>;
}

export function emptyLateness(): LatenessSummary {
  return { count: 0, sumSec: 0, maxSec: 0, buckets: LATENESS_BUCKETS_SEC.map(() => 0) };
}

export function recordLateness(l: LatenessSummary, sec: number): void {
  l.count++;
  l.sumSec += sec;
  if (sec > l.maxSec) l.maxSec = sec;
  for (let i = 0; i < LATENESS_BUCKETS_SEC.length; i++) if (sec <= LATENESS_BUCKETS_SEC[i]!) l.buckets[i]!++;
}
