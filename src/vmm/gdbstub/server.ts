// The GDB stub's TCP server on 127.0.0.1: one gdb at a time (another is refused while one is
// attached). Framing and acknowledgements (rsp.ts) per connection; packets are handled one
// after another by the stub; the interrupt byte reaches a running continue at once. A client
// that vanishes, sends garbage or bad checksums costs its connection at worst: the stub
// detaches (its breakpoints and watchpoints go) and the machine waits, stopped, for the next.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { frame, RspReader, toHex } from "./rsp";
import type { GdbStub } from "./stub";

export interface GdbServerOptions {
  port?: number;
  /** Diagnostics (connections, protocol errors). */
  log?: (line: string) => void;
}

export class GdbServer {
  private client: Socket | undefined;
  private closed = false;
  /** Packets of every connection in order: a new gdb's wait until the last one's detach is done. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly server: Server,
    readonly stub: GdbStub,
    private readonly log: (line: string) => void,
  ) {}

  static listen(stub: GdbStub, opts: GdbServerOptions = {}): Promise<GdbServer> {
    const log = opts.log ?? (() => undefined);
    return new Promise((resolve, reject) => {
      const server = createServer();
      const gs = new GdbServer(server, stub, log);
      server.on("connection", (s) => gs.accept(s));
      server.once("error", reject);
      server.listen(opts.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        server.on("error", (e) => log(`gdbserver: ${e.message}`));
        resolve(gs);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.stub.idle();
  }

  private accept(socket: Socket): void {
    if (this.client || this.closed) {
      this.log("gdbserver: refused a second connection (one gdb at a time)");
      socket.destroy();
      return;
    }
    this.client = socket;
    socket.setNoDelay(true);
    this.log(`gdbserver: gdb connected from ${socket.remoteAddress}:${socket.remotePort}`);
    const reader = new RspReader();
    let noAck = false;
    let lastSent: Buffer | undefined;
    let gone = false;
    const send = (b: Buffer): void => {
      if (!gone && !socket.destroyed) socket.write(b);
    };
    const reply = (payload: string): void => {
      lastSent = frame(payload);
      send(lastSent);
    };
    socket.on("data", (chunk) => {
      for (const ev of reader.feed(chunk)) {
        switch (ev.kind) {
          case "interrupt":
            this.stub.interrupt();
            break;
          case "ack":
            break;
          case "nack":
            if (lastSent) send(lastSent);
            break;
          case "bad-checksum":
            this.log(`gdbserver: a packet with a bad checksum (${ev.data.length} bytes)${noAck ? ", dropped" : ", asked again"}`);
            if (!noAck) send(Buffer.from("-"));
            break;
          case "packet":
            if (!noAck) send(Buffer.from("+"));
            this.queue = this.queue
              .then(async () => {
                if (gone) return;
                const r = await this.stub.handle(ev.data, (text) => reply(`O${toHex(Buffer.from(text, "latin1"))}`));
                for (const text of r.console ?? []) reply(`O${toHex(Buffer.from(text, "latin1"))}`);
                reply(r.packet);
                if (ev.data.toString("latin1") === "QStartNoAckMode") noAck = true;
                if (r.close) socket.end();
              })
              .catch((e: unknown) => this.log(`gdbserver: ${e instanceof Error ? e.message : String(e)}`));
            break;
        }
      }
    });
    const end = (why: string): void => {
      if (gone) return;
      gone = true;
      this.log(`gdbserver: gdb ${why}`);
      if (this.client === socket) this.client = undefined;
      this.stub.interrupt(); // a continue it left running stops
      this.queue = this.queue.then(() => this.stub.detach()).catch((e: unknown) => this.log(`gdbserver: ${e instanceof Error ? e.message : String(e)}`));
    };
    socket.on("error", (e) => end(`connection failed: ${e.message}`));
    socket.on("close", () => end("disconnected"));
  }
}
