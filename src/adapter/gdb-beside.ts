// The "gdbPort" launch option: the GDB stub (src/vmm/gdbstub) on the debug session's own
// machine, so gdb and VS Code look at one machine. gdb's moves (continue, step, reverse,
// monitor goto) run as the session's runs (Target.travel): VS Code shows the guest running
// meanwhile and stopped after, and a move is refused while VS Code's session runs the guest.
// Each debugger's breakpoints and watchpoints are on the machine only during its own runs.
import { GdbServer } from "../vmm/gdbstub/server";
import { GdbStub } from "../vmm/gdbstub/stub";
import type { Target } from "./target";

export class GdbBeside {
  private constructor(readonly server: GdbServer) {}

  static async start(t: Target, port: number, elf: string, toConsole: (text: string) => void): Promise<GdbBeside> {
    const stub = new GdbStub(t.machine, { exclusive: (move) => asSessionRun(t, move), beforeRun: (untilNs) => t.feedTraffic(untilNs) });
    const server = await GdbServer.listen(stub, { port, log: (line) => toConsole(`lvmm: ${line}\n`) });
    toConsole(`lvmm: GDB stub on 127.0.0.1:${server.port}; attach with: gdb -ex 'target remote 127.0.0.1:${server.port}' ${elf}\n`);
    return new GdbBeside(server);
  }

  get port(): number {
    return this.server.port;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

async function asSessionRun<T>(t: Target, move: () => Promise<T>): Promise<T> {
  if (t.isRunning) throw new Error("the VS Code session is running the guest: pause it there first");
  let out: { value: T } | { error: unknown } | undefined;
  t.travel(async () => {
    try {
      out = { value: await move() };
    } catch (e) {
      out = { error: e };
    }
    return { reason: "pause", description: "Paused by gdb" };
  });
  await t.idle();
  if (!out) throw new Error("the VS Code session could not hand the guest to gdb");
  if ("error" in out) throw out.error;
  return out.value;
}
