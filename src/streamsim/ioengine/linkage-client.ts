// The general-purpose side's end of the linkage: numbers each command, retransmits it until
// the engine acknowledges it (the engine carries a sequence number out once and answers
// repeats from its reply cache), acknowledges the engine's notices (HELLO, ENDED, FAILED)
// and suppresses their repeats, and hands STATS reports on. Transport-agnostic: datagrams in
// through receive(), out through send().
import { decodeHello, decodeMessage, decodeNack, decodeStats, encodeMessage, linkErrorText, LinkageDecodeError, LinkType, type EngineStats, type Hello } from "./linkage-codec";

export class LinkageCommandError extends Error {
  constructor(
    readonly code: number,
    command: string,
  ) {
    super(`I/O engine refused ${command}: ${linkErrorText(code)}`);
    this.name = "LinkageCommandError";
  }
}

export class LinkageTimeoutError extends Error {
  constructor(command: string, tries: number) {
    super(`I/O engine did not acknowledge ${command} after ${tries} transmissions`);
    this.name = "LinkageTimeoutError";
  }
}

export interface LinkageClientOptions {
  /** the engine incarnation this client talks to (the engine's link= boot option) */
  boot: number;
  send(datagram: Buffer): void;
  /** retransmission timeout, ms; default 150 */
  rtoMs?: number;
  /** transmissions before a command fails; default 20 */
  maxTries?: number;
  /**
   * How far (in sequence numbers) a new command may run ahead of the oldest unacknowledged one;
   * later commands wait their turn. The engine remembers the last 64 sequence numbers
   * (guest/delivery/linkage.c, DEDUP_WINDOW): a retransmission older than that cannot be told
   * from a repeat and goes unanswered, so under a burst (a hundred RTSP clients at once) a lost
   * command must never fall that far behind. Default 32.
   */
  maxInFlight?: number;
  /** returns the HELLO acknowledgement's payload */
  onHello(h: Hello): Buffer;
  onNotice(type: number, payload: Buffer): void;
  onStats(s: EngineStats): void;
  /** a command went unacknowledged: the engine is presumed dead */
  onUnresponsive(why: string): void;
  /**
   * The clock (ms) retransmission and lastHeardMs run on; default performance.now(). A machine
   * driven by someone else (a debugger) passes its virtual clock: while the machine stands still
   * at a breakpoint no retransmission is sent or counted, so nothing times out.
   */
  clock?: () => number;
}

export interface LinkageClientStats {
  commands: number;
  retransmits: number;
  acks: number;
  nacks: number;
  timeouts: number;
  notices: number;
  duplicateNotices: number;
  statsReports: number;
  staleBoot: number;
  malformed: number;
}

interface Pending {
  name: string;
  frame: Buffer;
  tries: number;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve(payload: Buffer): void;
  reject(err: Error): void;
}

const NAMES: Record<number, string> = {
  [LinkType.START]: "START",
  [LinkType.STOP]: "STOP",
  [LinkType.PAUSE]: "PAUSE",
  [LinkType.RESUME]: "RESUME",
  [LinkType.SEEK]: "SEEK",
  [LinkType.FAULT]: "FAULT",
};
const NOTICE_MEMORY = 256;

export class LinkageClient {
  readonly stats: LinkageClientStats = {
    commands: 0,
    retransmits: 0,
    acks: 0,
    nacks: 0,
    timeouts: 0,
    notices: 0,
    duplicateNotices: 0,
    statsReports: 0,
    staleBoot: 0,
    malformed: 0,
  };
  /** when anything last arrived from the engine (on the client's clock, see LinkageClientOptions.clock) */
  lastHeardMs: number;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** commands waiting for a place in the window */
  private readonly queued: { type: number; payload: Buffer; resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  /** engine notice seq -> our acknowledgement, for repeats */
  private readonly noticeAcks = new Map<number, Buffer>();
  private closed = false;

  private readonly now: () => number;

  constructor(private readonly o: LinkageClientOptions) {
    this.now = o.clock ?? (() => performance.now());
    this.lastHeardMs = this.now();
  }

  get boot(): number {
    return this.o.boot;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  /** Sends a command (once the window has room); resolves with the ACK payload, rejects on NACK or timeout. */
  command(type: number, payload: Buffer): Promise<Buffer> {
    const name = NAMES[type] ?? `type ${type}`;
    if (this.closed) return Promise.reject(new Error(`linkage closed: ${name} not sent`));
    return new Promise((resolve, reject) => {
      this.queued.push({ type, payload, resolve, reject });
      this.pump();
    });
  }

  /**
   * Sends queued commands while the next sequence number is within maxInFlight of the oldest
   * unacknowledged one: a sliding window, not a count, since one lost command must not let
   * newer ones push it out of the engine's memory.
   */
  private pump(): void {
    const window = this.o.maxInFlight ?? 32;
    while (!this.closed && this.queued.length) {
      const oldest = this.pending.keys().next().value; // sequence numbers only grow: the first is the oldest
      if (oldest !== undefined && this.seq + 1 - oldest >= window) return;
      const q = this.queued.shift()!;
      this.transmit(q.type, q.payload).then(q.resolve, q.reject);
    }
  }

  private transmit(type: number, payload: Buffer): Promise<Buffer> {
    const name = NAMES[type] ?? `type ${type}`;
    const seq = ++this.seq;
    const frame = encodeMessage(type, seq, this.o.boot, payload);
    this.stats.commands++;
    return new Promise((resolve, reject) => {
      const rto = this.o.rtoMs ?? 150;
      const p: Pending = { name, frame, tries: 1, sentAt: this.now(), timer: undefined as unknown as NodeJS.Timeout, resolve, reject };
      const arm = (delay = rto): void => {
        p.timer = setTimeout(() => {
          const elapsed = this.now() - p.sentAt;
          if (elapsed < rto) {
            arm(Math.max(1, rto - elapsed)); // the clock has not moved on by a timeout yet (e.g. the machine is stopped)
            return;
          }
          if (p.tries >= (this.o.maxTries ?? 20)) {
            this.pending.delete(seq);
            this.stats.timeouts++;
            const err = new LinkageTimeoutError(name, p.tries);
            reject(err);
            this.o.onUnresponsive(err.message);
            this.pump();
            return;
          }
          p.tries++;
          p.sentAt = this.now();
          this.stats.retransmits++;
          this.o.send(frame);
          arm();
        }, delay);
      };
      this.pending.set(seq, p);
      arm();
      this.o.send(frame);
    });
  }

  receive(datagram: Buffer): void {
    const m = decodeMessage(datagram);
    if (m instanceof LinkageDecodeError) {
      this.stats.malformed++;
      return;
    }
    if (m.boot !== this.o.boot) {
      this.stats.staleBoot++;
      return;
    }
    this.lastHeardMs = this.now();
    switch (m.type) {
      case LinkType.ACK:
      case LinkType.NACK: {
        const p = this.pending.get(m.seq);
        if (!p) return; // a repeat answer to a retransmission: the first one settled it
        this.pending.delete(m.seq);
        clearTimeout(p.timer);
        if (m.type === LinkType.ACK) {
          this.stats.acks++;
          p.resolve(m.payload);
        } else {
          this.stats.nacks++;
          p.reject(new LinkageCommandError(decodeNack(m.payload).code, p.name));
        }
        this.pump();
        return;
      }
      case LinkType.STATS: {
        const s = decodeStats(m.payload);
        if (s instanceof LinkageDecodeError) {
          this.stats.malformed++;
          return;
        }
        this.stats.statsReports++;
        this.o.onStats(s);
        return;
      }
      case LinkType.HELLO:
      case LinkType.ENDED:
      case LinkType.FAILED: {
        const cached = this.noticeAcks.get(m.seq);
        if (cached) {
          this.stats.duplicateNotices++;
          this.o.send(cached);
          return;
        }
        let ackPayload: Buffer = Buffer.alloc(0);
        if (m.type === LinkType.HELLO) {
          const h = decodeHello(m.payload);
          if (h instanceof LinkageDecodeError) {
            this.stats.malformed++;
            return;
          }
          ackPayload = this.o.onHello(h);
        } else {
          this.o.onNotice(m.type, m.payload);
        }
        this.stats.notices++;
        const ack = encodeMessage(LinkType.ACK, m.seq, this.o.boot, ackPayload);
        this.noticeAcks.set(m.seq, ack);
        if (this.noticeAcks.size > NOTICE_MEMORY) this.noticeAcks.delete(this.noticeAcks.keys().next().value!);
        this.o.send(ack);
        return;
      }
      default:
        this.stats.malformed++;
    }
  }

  /** Fails every outstanding command; later commands are refused. */
  close(why = "linkage closed"): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${why}: ${p.name} not acknowledged`));
    }
    this.pending.clear();
    for (const q of this.queued.splice(0)) q.reject(new Error(`${why}: ${NAMES[q.type] ?? `type ${q.type}`} not sent`));
  }
}
