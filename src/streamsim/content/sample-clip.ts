// Makes the sample content with ffmpeg (an H.264 test pattern in MPEG-TS) and ingests it,
// cached under .cache/content so each variant is made once.
import { execFile } from "node:child_process";
import { access, link, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ingest } from "./ingest";
import { indexPathFor, mediaPathFor } from "./catalog";
import { STREAM_SERVER_DEFAULTS } from "../defaults";

const run = promisify(execFile);

export interface SampleClipOptions {
  durationSec?: number;
  /** content directory; default <repo>/.cache/content */
  contentDir?: string;
  ffmpeg?: string;
}

export interface SampleClip {
  name: string;
  contentDir: string;
  mediaPath: string;
}

export async function makeSampleClip(opts: SampleClipOptions = {}): Promise<SampleClip> {
  const durationSec = opts.durationSec ?? STREAM_SERVER_DEFAULTS.sampleClipSec;
  const contentDir = opts.contentDir ?? STREAM_SERVER_DEFAULTS.contentDir;
  const name = `testsrc-640x360-${durationSec}s`;
  const mediaPath = mediaPathFor(contentDir, name);
  try {
    await access(mediaPath);
    await access(indexPathFor(contentDir, name));
    return { name, contentDir, mediaPath };
  } catch {
    // not cached yet
  }
  await mkdir(contentDir, { recursive: true });
  const tmp = join(contentDir, `.${name}.${process.pid}.tmp.ts`);
  try {
    await run(
      opts.ffmpeg ?? "ffmpeg",
      [
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=640x360:rate=25",
        "-t",
        String(durationSec),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "25",
        "-b:v",
        "800k",
        "-maxrate",
        "1M",
        "-bufsize",
        "1M",
        "-f",
        "mpegts",
        tmp,
      ],
      { timeout: 120_000 },
    );
    // link() publishes atomically and fails if another process got there first: then its
    // media is the one, and indexing the final file below keeps media and index consistent
    try {
      await link(tmp, mediaPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  } finally {
    await rm(tmp, { force: true });
  }
  await ingest(mediaPath, contentDir, { name });
  return { name, contentDir, mediaPath };
}
