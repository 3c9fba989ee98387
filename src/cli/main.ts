// The `lvmm` command line: the LVMM engine headless. Each subcommand lives in commands/.
import { boot, BOOT_HELP } from "./commands/boot";
import { demo, DEMO_HELP } from "./commands/demo";
import { serve, SERVE_HELP } from "./commands/serve";
import { EXIT, UsageError } from "./errors";

const HELP = `usage: lvmm <command> [options]
commands:
  boot     boot the I/O engine and stream its console
  demo     boot it paced to real time with its UDP echo bridged to 127.0.0.1
  serve    the stream server: RTSP here, delivery on the I/O engine (--arch) (npm start)
  help     this text
Run "lvmm <command> --help" for a command's options.`;

const commands: Record<string, { run: (args: string[]) => Promise<number>; help: string }> = {
  boot: { run: boot, help: BOOT_HELP },
  demo: { run: demo, help: DEMO_HELP },
  serve: { run: serve, help: SERVE_HELP },
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    // Errors the user caused carry a name of ours (UsageError, ElfError, ...): one line each.
    const known = err instanceof UsageError || /Error$/.test(err?.name ?? "") && err.name !== "Error" && err.name !== "TypeError";
    console.error(`lvmm: ${err?.message ?? String(e)}`);
    if (!known && process.env.LVMM_DEBUG) console.error(err?.stack);
    process.exit(err instanceof UsageError || err?.name === "ElfError" || err instanceof RangeError ? EXIT.usage : EXIT.failed);
  },
);
