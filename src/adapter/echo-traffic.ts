// The "echoLoad" launch option: UDP echo requests for the guest's echo service (port 7), put on
// the machine's wire at a steady rate on the virtual clock while the session runs, so a live
// session has network traffic for every view (Timeline RX/TX lanes, NIC DMA inspector) without
// a peer outside. The frames are `lvmm record --echo-load`'s (src/vmm/recording/echo-load.ts),
// queued ahead of the machine's virtual time with their own arrival times: where they reach the
// guest depends only on the virtual clock, and they are journaled like any input, so reverse
// execution re-executes them exactly.
import type { Machine } from "../vmm/machine";
import { echoLoadFeeder } from "../vmm/recording/echo-load";

/** Arrivals are queued this far (virtual ns) beyond the end of the run slice about to start. */
const LEAD_NS = 100e6;
/** The first request arrives this long after power-on (the guest has brought its NIC up). */
const START_NS = 150e6;

export class EchoTraffic {
  private readonly feeder: (untilNs: number) => number;
  /** Requests queued on the wire so far. */
  queued = 0;

  constructor(machine: Machine, rate: number, guest: { mac: string; ip: string }) {
    this.feeder = echoLoadFeeder(machine, { rate, jitterNs: 0, startNs: START_NS, endNs: Infinity, guest });
  }

  /** Queues every arrival before `untilNs` (plus a lead) not queued yet; call before each run of the machine. */
  feed(untilNs: number): void {
    this.queued += this.feeder(untilNs + LEAD_NS);
  }
}
