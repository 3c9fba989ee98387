// Runs the stream server by hand until Ctrl-C:
//   npx tsx src/streamsim/serveCli.ts [--port 8554] [--metrics-port 9998] [--content DIR] [--timeout 60]
// With the default content directory it first makes the 20 s sample clip (once, cached).
import { makeSampleClip } from "./content/sampleClip";
import { startServer } from "./server/streamServer";

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const contentDir = flag(argv, "--content");
  const names: string[] = [];
  if (!contentDir) names.push((await makeSampleClip()).name);
  const port = Number(flag(argv, "--port") ?? 8554);
  const metricsPort = Number(flag(argv, "--metrics-port") ?? 9998);
  const timeout = flag(argv, "--timeout");
  const server = await startServer({
    port,
    metrics: { port: metricsPort },
    ...(contentDir ? { contentDir } : {}),
    ...(timeout ? { sessionTimeoutSec: Number(timeout) } : {}),
  });
  console.log(`RTSP on rtsp://${server.host}:${server.port}/  metrics on http://127.0.0.1:${server.metricsPort}/metrics`);
  for (const n of names) console.log(`  ${server.url(n)}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
