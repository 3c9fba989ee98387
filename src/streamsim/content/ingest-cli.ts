// CLI: `npx tsx src/streamsim/content/ingest-cli.ts <content-dir> <file.ts>...` ingests files;
// `... --sample [seconds]` makes and ingests the sample clip into .cache/content.
import { ingest } from "./ingest";
import { makeSampleClip } from "./sample-clip";

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--sample") {
    const clip = await makeSampleClip(argv[1] ? { durationSec: Number(argv[1]) } : {});
    console.log(`${clip.name}: ${clip.mediaPath}`);
    return 0;
  }
  const [dir, ...files] = argv;
  if (!dir || files.length === 0) {
    console.error("usage: ingestCli <content-dir> <file.ts>...   |   ingestCli --sample [seconds]");
    return 2;
  }
  for (const f of files) {
    const r = await ingest(f, dir);
    const h = r.header;
    console.log(
      `${r.name}: ${h.recordCount} RTP packets, ${(h.durationTicks / h.clockRate).toFixed(3)} s, ` +
        `mean ${(h.meanBps / 1e6).toFixed(3)} Mbit/s, peak ${(h.peakBps / 1e6).toFixed(3)} Mbit/s -> ${r.indexPath}`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
