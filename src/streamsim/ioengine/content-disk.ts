// Writes the I/O engine's content disk: every content item of a directory (its hint index and
// its MPEG-TS media, each starting on a sector) behind a small directory the engine reads at
// boot (guest/delivery/content.c). Layout in docs/linkage.md, "Content disk".
import { readdir, readFile } from "node:fs/promises";
import { ContentCatalog, indexPathFor, type ContentItem } from "../content/catalog";

export const SECTOR = 512;
export const DIR_SECTORS = 8;
export const DIR_MAGIC = "LVMMDISK";
export const DIR_VERSION = 1;
const DIR_HEADER = 64;
const DIR_ENTRY = 64;
export const DIR_MAX_ENTRIES = (DIR_SECTORS * SECTOR - DIR_HEADER) / DIR_ENTRY; // 63
const NAME_BYTES = 32;

export interface DiskEntry {
  id: number;
  name: string;
  /** the index the disk was written from, to check a later lookup against */
  mediaCrc32: number;
  hintLba: number;
  mediaLba: number;
}

export interface ContentDisk {
  image: Uint8Array;
  entries: DiskEntry[];
  /** content the directory had no room for, or whose name is too long */
  skipped: string[];
}

const sectors = (bytes: number) => Math.ceil(bytes / SECTOR);

/** Builds the disk from every valid item in contentDir (sorted by name; ids from 1). */
export async function buildContentDisk(contentDir: string, log: (m: string) => void = () => {}): Promise<ContentDisk> {
  const catalog = new ContentCatalog(contentDir);
  let names: string[] = [];
  try {
    names = (await readdir(contentDir))
      .filter((f) => f.endsWith(".hint"))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    log(`content directory ${contentDir} is missing: the engine's disk is empty`);
  }
  const items: { item: ContentItem; hint: Buffer; media: Buffer }[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    let item: ContentItem | undefined;
    try {
      item = await catalog.lookup(name);
    } catch (err) {
      log(`content ${name} left off the engine's disk: ${(err as Error).message}`);
    }
    if (!item) continue;
    if (items.length >= DIR_MAX_ENTRIES || Buffer.byteLength(name) >= NAME_BYTES) {
      skipped.push(name);
      continue;
    }
    items.push({ item, hint: await readFile(indexPathFor(contentDir, name)), media: await readFile(item.mediaPath) });
  }
  if (skipped.length) log(`left off the engine's disk (directory full or name over ${NAME_BYTES - 1} bytes): ${skipped.join(", ")}`);

  let lba = DIR_SECTORS;
  const entries: DiskEntry[] = [];
  for (const [i, x] of items.entries()) {
    const hintLba = lba;
    lba += sectors(x.hint.length);
    entries.push({ id: i + 1, name: x.item.name, mediaCrc32: x.item.index.header.mediaCrc32, hintLba, mediaLba: lba });
    lba += sectors(x.media.length);
  }
  const image = Buffer.alloc(Math.max(lba, DIR_SECTORS + 1) * SECTOR);
  image.write(DIR_MAGIC, 0, "latin1");
  image.writeUInt32LE(DIR_VERSION, 8);
  image.writeUInt32LE(entries.length, 12);
  image.writeUInt32LE(DIR_ENTRY, 16);
  image.writeUInt32LE(image.length / SECTOR, 20);
  for (const [i, e] of entries.entries()) {
    const x = items[i]!;
    const o = DIR_HEADER + i * DIR_ENTRY;
    image.writeUInt32LE(e.id, o);
    image.writeUInt32LE(e.hintLba, o + 4);
    image.writeUInt32LE(sectors(x.hint.length), o + 8);
    image.writeUInt32LE(e.mediaLba, o + 12);
    image.writeUInt32LE(sectors(x.media.length), o + 16);
    image.writeUInt32LE(x.media.length, o + 20);
    image.writeUInt32LE(x.item.index.header.recordCount, o + 24);
    image.writeUInt32LE(x.item.index.header.peakBps, o + 28);
    image.write(e.name, o + 32, NAME_BYTES - 1, "utf8");
    x.hint.copy(image, e.hintLba * SECTOR);
    x.media.copy(image, e.mediaLba * SECTOR);
  }
  return { image: new Uint8Array(image.buffer, image.byteOffset, image.length), entries, skipped };
}
