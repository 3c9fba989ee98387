// The stream server's defaults, in one table: `lvmm serve`, the debugger's "serve" launch, the
// I/O Engine panel's server and serve-cli.ts all start from these (through StreamServerApp), and
// the lower layers (startServer, makeSampleClip, the engine's recording) fall back to them.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../paths";

export const STREAM_SERVER_DEFAULTS = {
  /** RTSP, /metrics and the media sockets listen here */
  host: "127.0.0.1",
  /** RTSP port */
  port: 8554,
  /** Prometheus /metrics port */
  metricsPort: 9998,
  /** where content (and the sample clip) is kept: .cache/content under the package root, never committed */
  contentDir: join(PACKAGE_ROOT, ".cache", "content"),
  /** length of the sample clip, testsrc-640x360-<N>s */
  sampleClipSec: 20,
  /** a session without a request or receiver report for this long is torn down */
  sessionTimeoutSec: 60,
  /** where an engine's flight recordings go (relative to the working directory) */
  recordDir: "recordings",
  /** how much of each engine incarnation a recording keeps, in virtual seconds */
  recordWindowSec: 60,
} as const;

/** How many I/O engines `lvmm serve` runs: one per core the main thread does not need (cores − 1, at least 1). */
export function defaultEngineCount(): number {
  return Math.max(1, availableParallelism() - 1);
}
