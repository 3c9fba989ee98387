// One incarnation of the I/O engine as the delivery backend sees it, wherever its machine
// lives: on the engine's own thread (WorkerEngine, what the server runs) or on this thread,
// run by someone else (AttachedEngine, a debugger's machine). The backend speaks the linkage
// through it and tells it where each stream's media goes; the runtime moves the media itself.
import type { Machine } from "../../vmm/machine";
import type { StopReason } from "../../vmm/stop-reason";
import type { DeliveryTarget, LatenessSummary } from "../delivery/backend";
import type { EngineLoad } from "./engine-messages";

export interface EngineEvents {
  /** a linkage datagram from the engine */
  control(d: Buffer): void;
  /** an RTCP packet a client sent to the server's RTCP port */
  rtcp(msg: Buffer, from: string): void;
  /** a stream's client is gone or not reading */
  streamFailed(num: number, why: string): void;
  console?(line: string): void;
  log(msg: string): void;
  /** the engine's thread reported its cost (owned engines, every ~500 ms) */
  load?(load: EngineLoad): void;
}

export interface EngineRuntime {
  readonly bootId: number;
  /** resolves when the machine stops (halt(), or the guest crashed, hung or halted), with why */
  readonly stopped: Promise<StopReason>;
  readonly isHalting: boolean;
  /** the server's RTP/RTCP ports (SETUP's server_port) */
  readonly ports: [number, number];
  /** the clock (ms) the linkage's retransmissions and the liveness watchdog run on */
  clockMs(): number;
  /** the machine, when it lives on this thread */
  readonly machine: Machine | undefined;
  sendControl(d: Buffer): void;
  /** routes the engine's datagrams for `keys` ([RTP, RTCP]) to the stream; held until release() */
  route(num: number, keys: number[], target: DeliveryTarget): void;
  /** holds the stream's media while a command that moves it is answered */
  hold(num: number): void;
  release(num: number): void;
  unroute(num: number): void;
  /** the engine's measured cost over the last report interval */
  load(): EngineLoad | undefined;
  /** the stream's RTP send lateness as measured where packets leave the host */
  sendLateness(num: number): LatenessSummary | undefined;
  /** stops the machine (an attached one is only let go of) */
  halt(): Promise<void>;
}
