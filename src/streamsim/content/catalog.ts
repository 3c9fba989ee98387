// The on-demand content directory: <name>.ts (MPEG-TS media) next to <name>.hint (its hint
// index). Looks content up by name, checks the index against the media once, and caches it
// until the index file changes. A cached item is trusted for REVALIDATE_MS before its index is
// looked at again (as a web server's open-file cache does): a stat per DESCRIBE and SETUP was
// the largest single cost of the RTSP front under a churn of clients.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { decodeHintIndex, HintIndexError, type HintIndex } from "./hint-index";

/** Content names double as URL path segments and file names: no separators, no "..". */
export const CONTENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export const mediaPathFor = (dir: string, name: string) => join(dir, `${name}.ts`);
export const indexPathFor = (dir: string, name: string) => join(dir, `${name}.hint`);

export interface ContentItem {
  name: string;
  mediaPath: string;
  index: HintIndex;
  durationSec: number;
  /** bits/s to reserve for one stream of this content (busiest second of the index) */
  reserveBps: number;
}

/** How long a cached item is served before its index file's mtime is checked again. */
const REVALIDATE_MS = 1000;

export class ContentCatalog {
  private readonly cache = new Map<string, { mtimeMs: number; checkedAt: number; item: ContentItem }>();

  constructor(readonly dir: string) {}

  /** undefined when there is no such content; throws HintIndexError when it is there but broken. */
  async lookup(name: string): Promise<ContentItem | undefined> {
    if (!CONTENT_NAME.test(name)) return undefined;
    const indexPath = indexPathFor(this.dir, name);
    const mediaPath = mediaPathFor(this.dir, name);
    const hit = this.cache.get(name);
    if (hit && performance.now() - hit.checkedAt < REVALIDATE_MS) return hit.item;
    let st;
    try {
      st = await stat(indexPath);
    } catch {
      return undefined;
    }
    if (hit && hit.mtimeMs === st.mtimeMs) {
      hit.checkedAt = performance.now();
      return hit.item;
    }
    const index = decodeHintIndex(await readFile(indexPath), indexPath);
    let media: Buffer;
    try {
      media = await readFile(mediaPath);
    } catch {
      throw new HintIndexError(indexPath, `its media ${mediaPath} is missing`);
    }
    if (media.length !== index.header.mediaBytes || crc32(media) !== index.header.mediaCrc32) throw new HintIndexError(indexPath, `${mediaPath} changed since it was ingested (size or CRC-32 differ)`);
    const item: ContentItem = {
      name,
      mediaPath,
      index,
      durationSec: index.header.durationTicks / index.header.clockRate,
      reserveBps: index.header.peakBps,
    };
    this.cache.set(name, { mtimeMs: st.mtimeMs, checkedAt: performance.now(), item });
    return item;
  }
}
