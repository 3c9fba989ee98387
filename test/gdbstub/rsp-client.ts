// A minimal GDB remote protocol client for the stub's tests: sends framed packets and waits for
// the stub's acknowledgements and replies.
import { connect, type Socket } from "node:net";
import { frame, RspReader, type RspEvent } from "../../src/vmm/gdbstub/rsp";

export class RspClient {
  readonly events: RspEvent[] = [];
  private waiters: (() => void)[] = [];
  private reader = new RspReader();
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      this.events.push(...this.reader.feed(chunk));
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static open(port: number): Promise<RspClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RspClient(s)));
      s.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits for the next event matching `pred` (removing it and everything before it); undefined if the connection closed. */
  async next(pred: (e: RspEvent) => boolean): Promise<RspEvent | undefined> {
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(0, i + 1)[i];
      if (this.closed) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  sendRaw(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }

  send(payload: string): void {
    this.sendRaw(frame(payload));
  }

  /** The next reply packet that is not console output (O...), as text. */
  async reply(): Promise<string | undefined> {
    const e = await this.next((x) => x.kind === "packet" && !(x.data[0] === 0x4f && x.data.length > 1 && /^O[0-9a-f]+$/.test(x.data.toString("latin1"))));
    return e?.kind === "packet" ? e.data.toString("latin1") : undefined;
  }

  async request(payload: string): Promise<string | undefined> {
    this.send(payload);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}
