// The `lvmm` command line: the LVMM engine headless. Each subcommand lives in commands/.
import { boot, BOOT_HELP } from "./commands/boot";
import { demo, DEMO_HELP } from "./commands/demo";
import { serve, SERVE_HELP } from "./commands/serve";
import { record, RECORD_HELP } from "./commands/record";
import { replay, REPLAY_HELP } from "./commands/replay";
import { events, EVENTS_HELP } from "./commands/events";
import { dma, DMA_HELP } from "./commands/dma";
import { pcap, PCAP_HELP } from "./commands/pcap";
import { diff, DIFF_HELP } from "./commands/diff";
import { history, HISTORY_HELP } from "./commands/history";
import { evaluate, EVAL_HELP } from "./commands/eval";
import { gdbserver, GDBSERVER_HELP } from "./commands/gdbserver";
import { EXIT, UsageError } from "./errors";

const HELP = `usage: lvmm <command> [options]
commands:
  boot     boot the I/O engine and stream its console
  demo     boot it paced to real time with its UDP echo bridged to 127.0.0.1
  serve    the stream server: RTSP here, delivery on the I/O engine (--arch) (npm start)
  record   run a scenario and record it to a .lvmmrec file
  replay   re-execute a recording (--verify: check every checkpoint's state hash)
  events   a recording's event log, one line per event
  dma      a recording's NIC DMA log per receive interrupt, packets decoded
  pcap     a recording's NIC traffic as pcapng
  diff     where two recordings of one kernel part, with the source line each was at
  history  every change to a variable or memory range over a recording, and who wrote it
  gdbserver  a GDB remote stub on the LVMM (--kernel ELF | --recording FILE), with reverse execution
  eval     the thesis's evaluation from a checkout: npm run eval (--quick, --out DIR)
  help     this text
Run "lvmm <command> --help" for a command's options.`;

const commands: Record<string, { run: (args: string[]) => Promise<number>; help: string }> = {
  boot: { run: boot, help: BOOT_HELP },
  demo: { run: demo, help: DEMO_HELP },
  record: { run: record, help: RECORD_HELP },
  replay: { run: replay, help: REPLAY_HELP },
  events: { run: events, help: EVENTS_HELP },
  dma: { run: dma, help: DMA_HELP },
  pcap: { run: pcap, help: PCAP_HELP },
  diff: { run: diff, help: DIFF_HELP },
  history: { run: history, help: HISTORY_HELP },
  serve: { run: serve, help: SERVE_HELP },
  eval: { run: evaluate, help: EVAL_HELP },
  gdbserver: { run: gdbserver, help: GDBSERVER_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = commands[name];
  if (!cmd) throw new UsageError(`unknown command "${name}" (try lvmm help)`);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.help);
    return EXIT.ok;
  }
  return cmd.run(rest);
}

// process.exit drops writes still queued on a pipe (stdout is asynchronous there): let the
// console output and the summary reach a slow reader first.
function exit(code: number): void {
  let left = 2;
  const done = () => --left === 0 && process.exit(code);
  process.stdout.write("", done);
  process.stderr.write("", done);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (e: unknown) => {
    const err = e as Error;
    // Errors the user caused carry a name of ours (UsageError, ElfError, ...): one line each.
    const known = err instanceof UsageError || (/Error$/.test(err?.name ?? "") && err.name !== "Error" && err.name !== "TypeError");
    console.error(`lvmm: ${err?.message ?? String(e)}`);
    if (!known && process.env.LVMM_DEBUG) console.error(err?.stack);
    exit(err instanceof UsageError || err?.name === "ElfError" || err instanceof RangeError ? EXIT.usage : EXIT.failed);
  },
);
