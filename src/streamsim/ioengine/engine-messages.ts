// What crosses between the main thread (RTSP, management, the linkage client) and the engine's
// worker thread (the LVMM machine, its NIC's wire, the media sockets): one typed union each
// way. Everything is plain data (structured clone); byte arrays are copied, never shared.
import type { StopReason } from "../../vmm/stop-reason";
import type { LatenessSummary } from "../delivery/backend";
import type { EngineHostOptions } from "./engine-host";

/** What the worker needs to boot one incarnation of the engine: the host's options that are plain data, and the thread's own. */
export interface EngineWorkerInit extends Pick<EngineHostOptions, "kernel" | "disk" | "bootId" | "capacityMbps" | "testControl" | "hz" | "mips" | "memoryMB"> {
  /** forward the guest's console lines */
  console: boolean;
  /** the media sockets: RTP on rtpPort (0: any free even port), RTCP on the next */
  host: string;
  rtpPort: number;
  record?: { path: string; windowNs: number; checkpointIntervalNs?: number };
  linkLoss?: { toEngine: number; fromEngine: number; seed?: number };
  /** Int32Array over it: [0] is the wake flag the main thread sets after each post */
  wake: SharedArrayBuffer;
}

/** Where a stream's packets go from the worker: straight to the client, or to the main thread (RTSP-interleaved). */
export type MediaTarget = { kind: "udp"; address: string; rtpPort: number; rtcpPort: number } | { kind: "main" };

export type ToEngine =
  /** a linkage datagram for the engine's control port */
  | { t: "control"; bytes: Uint8Array }
  /** routes the engine's datagrams for these keys to a stream; media is held until "release" */
  | { t: "route"; num: number; keys: number[]; target: MediaTarget }
  /** the command that (re)started the stream has been answered: send what was held, and on */
  | { t: "release"; num: number }
  /** hold the stream's media again (a RESUME or SEEK is being answered) */
  | { t: "hold"; num: number }
  | { t: "unroute"; num: number }
  | { t: "halt" };

/** Per-stream send lateness measured where a packet leaves the host (its UDP send against its wall-clock due time). */
export interface SendLateness {
  num: number;
  lateness: LatenessSummary;
}

/** The engine's cost, measured on its own thread over the last report interval. */
export interface EngineLoad {
  /** the report's interval, wall ms */
  intervalMs: number;
  /** guest instructions run outside HLT over those the virtual CPU could have run */
  busyRatio: number;
  /** RTP/RTCP datagrams the engine sent in the interval, and their bytes */
  packets: number;
  bytes: number;
  /** RTP packets in the interval that left the host more than 5 ms after their due time */
  lateOver5ms: number;
  /** guest instructions per packet sent */
  instructionsPerPacket: number;
  /** host CPU µs per packet sent: the engine thread's CPU time (running the machine, sending, spinning) per packet */
  hostUsPerPacket: number;
  /** the engine thread's CPU time over the interval's wall time */
  threadBusyRatio: number;
  /**
   * Where a packet's host time goes (wall µs per packet while awake): running the guest and
   * its devices (the e1000 model, the gateway), the UDP send, garbage collection, and the
   * rest of each pacing step (messages, the event loop turn).
   */
  breakdownUs: { guest: number; send: number; gc: number; step: number };
  /** how late the pacer woke, µs (p50, p99, max over the interval) */
  wakeJitterUs: { p50: number; p99: number; max: number };
  /** totals since boot */
  totalPackets: number;
  totalInstructions: number;
}

export type FromEngine =
  /** the machine is up (not yet the engine: that is HELLO) and the media sockets are bound */
  | { t: "ready"; ports: [number, number]; nice: number }
  | { t: "control"; bytes: Uint8Array }
  /** datagrams for streams routed to the main thread, batched per pacing step */
  | { t: "media"; items: { num: number; rtcp: boolean; bytes: Uint8Array }[] }
  /** an RTCP packet a client sent to the server's RTCP port */
  | { t: "rtcp"; from: string; bytes: Uint8Array }
  /** a stream's sink refused a packet */
  | { t: "failed"; num: number; why: string }
  | { t: "load"; load: EngineLoad; lateness: SendLateness[] }
  | { t: "console"; line: string }
  | { t: "log"; msg: string }
  /** the machine stopped (by halt, or the guest crashed, hung or halted); the worker exits after */
  | { t: "stopped"; stop: StopReason };
