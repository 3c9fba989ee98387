// Runs the stream server by hand until Ctrl-C:
//   npx tsx src/streamsim/serve-cli.ts [--port 8554] [--metrics-port 9998] [--content DIR] [--timeout 60]
// With the default content directory it first makes the 20 s sample clip (once, cached).
import { StreamServerApp } from "./app";

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const contentDir = flag(argv, "--content");
  const port = flag(argv, "--port");
  const metricsPort = flag(argv, "--metrics-port");
  const timeout = flag(argv, "--timeout");
  const app = await StreamServerApp.start({
    arch: "conventional",
    ...(port !== undefined ? { port: Number(port) } : {}),
    ...(metricsPort !== undefined ? { metricsPort: Number(metricsPort) } : {}),
    ...(contentDir ? { contentDir } : {}),
    ...(timeout ? { sessionTimeoutSec: Number(timeout) } : {}),
  });
  const { server } = app;
  console.log(`RTSP on rtsp://${server.host}:${server.port}/  metrics on http://127.0.0.1:${server.metricsPort}/metrics`);
  if (app.sampleClip) console.log(`  ${server.url(app.sampleClip)}`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
