// `lvmm gdbserver`: a GDB remote stub on the LVMM (src/vmm/gdbstub), over a fresh boot of a
// kernel or over a recording re-executed from its recorded inputs. gdb attaches with
// `target remote`, and reverse-stepi / reverse-continue go back through the machine's timeline.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../../vmm/machine";
import { echoLoadFeeder } from "../../vmm/recording/echo-load";
import { GdbStub } from "../../vmm/gdbstub/stub";
import { GdbServer } from "../../vmm/gdbstub/server";
import { readKernel } from "../kernel-path";
import { parse, positiveInteger, positiveNumber } from "../options";
import { EXIT, UsageError } from "../errors";
import { loadRecording, openReplay, readImage, replayImages, withRecordingErrors } from "../recording-file";

export const GDBSERVER_HELP = `usage: lvmm gdbserver [--port N] [--kernel ELF | --recording FILE] [--echo-load RATE]
                      [--cmdline S] [--memory MB] [--mips N] [--no-jit] [--quiet]
  Serves the GDB remote protocol on 127.0.0.1:N (default 1234; 0 picks a free port) for the
  kernel (default: the built guest), stopped before its first instruction, or for a recording
  (its recorded inputs re-executed; past its end the machine runs live). Prints the gdb
  command line to attach with. Reverse execution (reverse-stepi, reverse-continue, and gdb's
  reverse-step/next/finish on top) reaches back to where the stub started; "monitor help"
  lists the LVMM's own commands (icount, goto, dma, timeline, checkpoint).
  --echo-load RATE  queue UDP echo requests for the guest at RATE per virtual second
  --cmdline S       the guest's command line (README: ip=, hz=, fault=, race=, ...)
  --quiet           do not print the guest's serial console`;

export async function gdbserver(args: string[]): Promise<number> {
  const { values } = parse(args, {
    port: { type: "string" },
    kernel: { type: "string" },
    cmdline: { type: "string" },
    recording: { type: "string" },
    disk: { type: "string" },
    "echo-load": { type: "string" },
    memory: { type: "string" },
    mips: { type: "string" },
    "no-jit": { type: "boolean" },
    quiet: { type: "boolean" },
  });
  const port = values.port === undefined ? 1234 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const echoRate = positiveNumber("echo-load", values["echo-load"]);
  return withRecordingErrors(async () => {
    let machine: Machine;
    let elfPath: string;
    if (values.recording !== undefined) {
      const rec = loadRecording(values.recording);
      const images = replayImages(values);
      const { replayer: r, inputs, end: endAt } = await openReplay(rec, images);
      machine = r.machine;
      if (images.kernel) elfPath = images.kernel.path;
      else {
        // gdb reads the symbols from a file: the recording's embedded kernel.
        elfPath = join(mkdtempSync(join(tmpdir(), "lvmm-gdb-")), rec.header.kernel.name.replace(/[^\w.-]/g, "_") || "kernel.elf");
        writeFileSync(elfPath, rec.kernel!);
      }
      console.log(`lvmm: ${values.recording}: ${inputs} recorded inputs up to instruction ${endAt.icount}; the machine goes live after that`);
    } else {
      const kernel = readKernel(values.kernel);
      elfPath = kernel.path;
      machine = await Machine.create({
        kernel: kernel.bytes,
        cmdline: values.cmdline ?? "",
        memoryMB: positiveInteger("memory", values.memory) ?? 32,
        mips: positiveNumber("mips", values.mips) ?? 500,
        jit: !values["no-jit"],
        ...(values.disk ? { disk: readImage(values.disk, "disk image") } : {}),
      });
    }
    if (!values.quiet) machine.serial.onByte(({ byte }) => process.stdout.write(String.fromCharCode(byte)));
    const feed = echoRate ? echoLoadFeeder(machine, { rate: echoRate, jitterNs: 0, endNs: Infinity }) : undefined;
    let killed: () => void = () => undefined;
    const done = new Promise<void>((r) => (killed = r));
    const stub = new GdbStub(machine, { ...(feed ? { beforeRun: (ns: number) => void feed(ns + 100e6) } : {}), onKill: () => killed() });
    const server = await GdbServer.listen(stub, { port, log: (l) => console.error(`lvmm: ${l}`) });
    console.log(`lvmm: gdbserver listening on 127.0.0.1:${server.port}`);
    console.log(`gdb -ex 'target remote 127.0.0.1:${server.port}' ${elfPath}`);
    const stop = (): void => killed();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    await done;
    // Let the kill's reply leave before the socket goes.
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    machine.destroy();
    return EXIT.ok;
  });
}
