// `lvmm serve` (what `npm start` runs): the stream server. RTSP and management run here; with
// --arch ioengine (the default) delivery runs on the I/O engine booted on the LVMM, with
// --arch conventional Node delivers itself (the single-OS baseline).
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { StreamServerApp } from "../../streamsim/app";
import { defaultEngineCount, STREAM_SERVER_DEFAULTS as DEFAULTS } from "../../streamsim/defaults";
import { readKernel } from "../kernel-path";
import { parse, positiveInteger, positiveNumber } from "../options";
import { EXIT, UsageError } from "../errors";
import { cyan } from "../terminal";

export const SERVE_HELP = `usage: lvmm serve [--arch ioengine|conventional] [--port N] [--metrics-port N]
                  [--content DIR] [--kernel ELF] [--capacity MBPS] [--seconds N] [--console]
                  [--engines N] [--record-dir DIR] [--record-window SEC] [--no-record] [--bench-hooks]
  Serves RTSP on 127.0.0.1:PORT (default ${DEFAULTS.port}), metrics on http://127.0.0.1:METRICS/metrics
  (default ${DEFAULTS.metricsPort}). --arch ioengine (default): delivery runs on the I/O engine on the LVMM;
  conventional: Node delivers itself. Without --content it makes the ${DEFAULTS.sampleClipSec} s sample clip once
  (ffmpeg) in .cache/content and serves that directory. Runs until Ctrl-C (or SECONDS).
  --console shows the engine's serial console. Each engine runs on its own thread; --engines N
  runs N of them (default: one per spare core, cores - 1, at least 1), and each new stream goes
  to the engine with the most room under its admission limit (measured on this machine).
  The I/O engine runs recorded (a flight recorder): each incarnation keeps at least its last
  --record-window virtual seconds (default ${DEFAULTS.recordWindowSec}) and writes them, with the kernel and the
  content disk, to DIR/engine-<boot id>.lvmmrec (default DIR: ./${DEFAULTS.recordDir}) when it stops;
  \`lvmm replay FILE --verify\` replays it exactly, and the debugger opens it. --no-record: off.
  --bench-hooks (benchmarks only): GET /bench/stall?ms=N on the metrics port busy-waits the
  main thread N ms, as a heavy management request would (bench/streams.bench.ts).`;

export async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    arch: { type: "string" },
    port: { type: "string" },
    "metrics-port": { type: "string" },
    content: { type: "string" },
    kernel: { type: "string" },
    capacity: { type: "string" },
    seconds: { type: "string" },
    console: { type: "boolean" },
    "record-dir": { type: "string" },
    "record-window": { type: "string" },
    "no-record": { type: "boolean" },
    "bench-hooks": { type: "boolean" },
    engines: { type: "string" },
  });
  const arch = values.arch ?? "ioengine";
  if (arch !== "ioengine" && arch !== "conventional") throw new UsageError(`--arch must be ioengine or conventional, got "${arch}"`);
  const port = values.port === "0" ? 0 : (positiveInteger("port", values.port) ?? DEFAULTS.port);
  const metricsPort = values["metrics-port"] === "0" ? 0 : (positiveInteger("metrics-port", values["metrics-port"]) ?? DEFAULTS.metricsPort);
  const capacity = positiveNumber("capacity", values.capacity);
  const seconds = positiveNumber("seconds", values.seconds);
  const engines = positiveInteger("engines", values.engines) ?? defaultEngineCount();
  if (arch === "conventional" && values.engines !== undefined) throw new UsageError("--arch conventional has no I/O engines: drop --engines");
  const recordWindowSec = positiveNumber("record-window", values["record-window"]) ?? DEFAULTS.recordWindowSec;
  const record = !values["no-record"];
  if (!record && (values["record-dir"] !== undefined || values["record-window"] !== undefined)) throw new UsageError("--no-record turns recording off: drop --record-dir and --record-window");
  if (arch === "conventional" && (values["record-dir"] !== undefined || values["record-window"] !== undefined))
    throw new UsageError("--arch conventional has no I/O engine to record: drop --record-dir and --record-window");
  const note = (s: string): void => console.log(cyan(`[lvmm] ${s}`));
  const log = (s: string): void => console.log(`[streamsim] ${s}`);

  const kernel = arch === "ioengine" ? readKernel(values.kernel).bytes : undefined;
  const recordDir = resolve(values["record-dir"] ?? DEFAULTS.recordDir);
  if (arch === "ioengine" && record) {
    try {
      mkdirSync(recordDir, { recursive: true });
    } catch (e) {
      throw new UsageError(`--record-dir: cannot create ${recordDir}: ${(e as Error).message}`);
    }
  }
  const app = await StreamServerApp.start({
    arch,
    port,
    metricsPort,
    ...(values.content !== undefined ? { contentDir: values.content } : {}),
    ...(kernel ? { kernel, engines } : {}),
    ...(arch === "ioengine" && record ? { record: { dir: recordDir, windowSec: recordWindowSec } } : {}),
    ...(capacity !== undefined ? { capacityMbps: capacity } : {}),
    ...(values["bench-hooks"] ? { benchHooks: true } : {}),
    log,
    ...(values.console ? { console: (line: string) => console.log(`[engine] ${line}`) } : {}),
    announce: (step) => {
      if (step.kind === "sample-clip") note("making the sample clip (once; cached in .cache/content)");
      else
        note(
          `booting ${step.count === 1 ? "the I/O engine" : `${step.count} I/O engines`} on the LVMM, each on its own thread (delivery runs there)${step.record ? `, recorded: the last ${step.record.windowSec} s go to ${step.record.dir}/engine-<boot id>.lvmmrec when it stops` : ""}`,
        );
    },
  });
  const { server } = app;
  note(`${arch} delivery; RTSP on rtsp://${server.host}:${server.port}/, metrics on http://127.0.0.1:${server.metricsPort}/metrics`);
  // the sample clip when it was made, else all an engine's disk holds
  const names = app.sampleClip ? [app.sampleClip] : arch === "ioengine" ? app.contents : [];
  for (const n of names) note(`open it with: ffplay ${server.url(n)}`);
  note("Ctrl-C stops the server");

  await new Promise<void>((resolve) => {
    const timer = seconds !== undefined ? setTimeout(resolve, seconds * 1000) : undefined;
    process.once("SIGINT", () => {
      clearTimeout(timer);
      resolve();
    });
    process.once("SIGTERM", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await app.close();
  note("stopped");
  return EXIT.ok;
}
