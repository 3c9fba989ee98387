// `lvmm demo` (what `npm start` runs): boots the I/O engine paced to wall-clock time, shows its
// console, bridges its UDP echo service to 127.0.0.1, and exercises it with a real UDP client.
import { createSocket } from "node:dgram";
import { Machine } from "../../vmm/machine";
import { UdpBridge } from "../../vmm/udp-bridge";
import { readKernel } from "../kernel-path";
import { parse, positiveInteger, positiveNumber } from "../options";
import { EXIT } from "../errors";
import { describeStop, summary } from "./boot";
import { cyan } from "../terminal";

export const DEMO_HELP = `usage: lvmm demo [--kernel ELF] [--port N] [--seconds N] [--pings N]
  Boots the I/O engine paced to wall-clock time, bridges its UDP echo service (guest port 7)
  to 127.0.0.1:PORT (default 7007), sends PINGS datagrams (default 5) from a real UDP socket
  and prints the echoes, then keeps serving for SECONDS (default 10): try
  "nc -u 127.0.0.1 7007" from another terminal.`;

export async function demo(args: string[]): Promise<number> {
  const { values } = parse(args, {
    kernel: { type: "string" },
    port: { type: "string" },
    seconds: { type: "string" },
    pings: { type: "string" },
  });
  const port = values.port === "0" ? 0 : (positiveInteger("port", values.port) ?? 7007);
  const seconds = positiveNumber("seconds", values.seconds) ?? 10;
  const pings = positiveInteger("pings", values.pings) ?? 5;
  const kernel = readKernel(values.kernel);

  const machine = await Machine.create({ kernel: kernel.bytes, cmdline: "" });
  machine.serial.onByte(({ byte }) => process.stdout.write(String.fromCharCode(byte)));
  const bridge = await UdpBridge.open(machine, { forwards: [{ hostPort: port, guestPort: 7 }] });
  const note = (s: string): void => {
    process.stdout.write(`${cyan(`[lvmm] ${s}`)}\n`);
  };
  note(`guest UDP echo (port 7) is bridged to udp://127.0.0.1:${bridge.boundPorts[0]}`);

  const client = createSocket("udp4");
  await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
  const sentAt = new Map<string, number>();
  let echoed = 0;
  client.on("message", (msg) => {
    const text = msg.toString();
    const t = sentAt.get(text);
    echoed++;
    note(`echo "${text}"${t !== undefined ? ` after ${(performance.now() - t).toFixed(2)} ms` : ""}`);
  });

  let pinger: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    const off = machine.serial.onLine((line) => {
      if (/^ready/.test(line)) {
        off();
        resolve();
      }
    });
  });
  const wall0 = performance.now();
  const run = machine.runAsync({ untilNs: seconds * 1e9 }, { pace: true });
  void ready.then(() => {
    let i = 0;
    pinger = setInterval(() => {
      if (i >= pings) return clearInterval(pinger);
      const text = `ping ${++i} from the host`;
      sentAt.set(text, performance.now());
      client.send(text, bridge.boundPorts[0]!, "127.0.0.1");
    }, 200);
  });
  const stopOnSignal = (): void => machine.pause();
  process.once("SIGINT", stopOnSignal);
  const stop = await run;
  process.off("SIGINT", stopOnSignal);
  if (pinger) clearInterval(pinger);
  client.close();
  bridge.close();
  const wallMs = performance.now() - wall0;
  note(`${echoed}/${pings} echoes received; bridge: ${bridge.stats.toGuest} datagrams in, ${bridge.stats.fromGuest} out`);
  console.log(summary(stop, machine, wallMs));
  machine.destroy();
  const ok = (stop.kind === "limit" || stop.kind === "paused") && echoed >= pings;
  if (!ok && stop.kind !== "limit" && stop.kind !== "paused") console.error(`lvmm: ${describeStop(stop)}`);
  return ok ? EXIT.ok : EXIT.failed;
}
