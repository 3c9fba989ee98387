// `lvmm serve` (what `npm start` runs): the stream server. RTSP and management run here; with
// --arch ioengine (the default) delivery runs on the I/O engine booted on the LVMM, with
// --arch conventional Node delivers itself (the single-OS baseline).
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeSampleClip } from "../../streamsim/content/sampleClip";
import type { DeliveryBackend } from "../../streamsim/delivery/backend";
import { ConventionalDelivery } from "../../streamsim/delivery/conventional";
import { defaultEngineCount, IoEnginePool } from "../../streamsim/delivery/ioEnginePool";
import { DEFAULT_RECORD_WINDOW_NS } from "../../streamsim/ioengine/engineHost";
import { enableBenchHooks } from "../../streamsim/management/metricsServer";
import { startServer } from "../../streamsim/server/streamServer";
import { PACKAGE_ROOT, readKernel } from "../kernel-path";
import { parse, positiveInteger, positiveNumber } from "../options";
import { EXIT, UsageError } from "../errors";
import { cyan } from "../terminal";

const DEFAULT_RECORD_WINDOW_SEC = DEFAULT_RECORD_WINDOW_NS / 1e9;

export const SERVE_HELP = `usage: lvmm serve [--arch ioengine|conventional] [--port N] [--metrics-port N]
                  [--content DIR] [--kernel ELF] [--capacity MBPS] [--seconds N] [--console]
                  [--engines N] [--record-dir DIR] [--record-window SEC] [--no-record] [--bench-hooks]
  Serves RTSP on 127.0.0.1:PORT (default 8554), metrics on http://127.0.0.1:METRICS/metrics
  (default 9998). --arch ioengine (default): delivery runs on the I/O engine on the LVMM;
  conventional: Node delivers itself. Without --content it makes the 20 s sample clip once
  (ffmpeg) in .cache/content and serves that directory. Runs until Ctrl-C (or SECONDS).
  --console shows the engine's serial console. Each engine runs on its own thread; --engines N
  runs N of them (default: one per spare core, cores - 1, at least 1), and each new stream goes
  to the engine with the most room under its admission limit (measured on this machine).
  The I/O engine runs recorded (a flight recorder): each incarnation keeps at least its last
  --record-window virtual seconds (default ${DEFAULT_RECORD_WINDOW_SEC}) and writes them, with the kernel and the
  content disk, to DIR/engine-<boot id>.lvmmrec (default DIR: ./recordings) when it stops;
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
  const port = values.port === "0" ? 0 : (positiveInteger("port", values.port) ?? 8554);
  const metricsPort = values["metrics-port"] === "0" ? 0 : (positiveInteger("metrics-port", values["metrics-port"]) ?? 9998);
  const capacity = positiveNumber("capacity", values.capacity);
  const seconds = positiveNumber("seconds", values.seconds);
  const engines = positiveInteger("engines", values.engines) ?? defaultEngineCount();
  if (arch === "conventional" && values.engines !== undefined) throw new UsageError("--arch conventional has no I/O engines: drop --engines");
  const recordWindowSec = positiveNumber("record-window", values["record-window"]) ?? DEFAULT_RECORD_WINDOW_SEC;
  const record = !values["no-record"];
  if (!record && (values["record-dir"] !== undefined || values["record-window"] !== undefined)) throw new UsageError("--no-record turns recording off: drop --record-dir and --record-window");
  if (arch === "conventional" && (values["record-dir"] !== undefined || values["record-window"] !== undefined)) throw new UsageError("--arch conventional has no I/O engine to record: drop --record-dir and --record-window");
  const note = (s: string): void => console.log(cyan(`[lvmm] ${s}`));
  const log = (s: string): void => console.log(`[streamsim] ${s}`);

  let contentDir = values.content;
  const names: string[] = [];
  if (!contentDir) {
    contentDir = join(PACKAGE_ROOT, ".cache", "content");
    note("making the sample clip (once; cached in .cache/content)");
    names.push((await makeSampleClip({ contentDir })).name);
  }

  let backend: DeliveryBackend;
  if (arch === "ioengine") {
    const kernel = readKernel(values.kernel);
    const recordDir = resolve(values["record-dir"] ?? "recordings");
    if (record) {
      try {
        mkdirSync(recordDir, { recursive: true });
      } catch (e) {
        throw new UsageError(`--record-dir: cannot create ${recordDir}: ${(e as Error).message}`);
      }
    }
    note(`booting ${engines === 1 ? "the I/O engine" : `${engines} I/O engines`} on the LVMM, each on its own thread (delivery runs there)${record ? `, recorded: the last ${recordWindowSec} s go to ${recordDir}/engine-<boot id>.lvmmrec when it stops` : ""}`);
    backend = await IoEnginePool.open({
      engines,
      kernel: kernel.bytes,
      contentDir,
      ...(capacity !== undefined ? { capacityMbps: capacity } : {}),
      log,
      ...(values.console ? { console: (line: string) => console.log(`[engine] ${line}`) } : {}),
      ...(record ? { record: { dir: recordDir, windowNs: recordWindowSec * 1e9 } } : {}),
    });
    if (!names.length) names.push(...(backend as IoEnginePool).diskContent);
  } else {
    backend = await ConventionalDelivery.open({ ...(capacity !== undefined ? { capacityBps: capacity * 1e6 } : {}) });
  }
  if (values["bench-hooks"]) enableBenchHooks();
  const server = await startServer({ port, metrics: { port: metricsPort }, contentDir, backend, log });
  note(`${arch} delivery; RTSP on rtsp://${server.host}:${server.port}/, metrics on http://127.0.0.1:${server.metricsPort}/metrics`);
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
  await server.close();
  await backend.close();
  note("stopped");
  return EXIT.ok;
}
