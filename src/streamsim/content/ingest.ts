// Ingest: turns an MPEG-TS file into on-demand content, i.e. the media file plus its hint
// index (see hint-index.ts) in a content directory. Send times come from the stream's own PCR,
// interpolated linearly between PCRs by byte position (ISO/IEC 13818-1 §2.4.2.2), so pacing
// follows the encoder's clock.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { allocRecords, encodeHintIndex, HintFlag, RTP_CLOCK_HZ, RTP_HEADER_BYTES, RTP_PT_MP2T, TS_PACKETS_PER_RTP, type HintHeader, type HintRecords } from "./hint-index";
import { PCR_WRAP, readTsPacket, SYSTEM_CLOCK_HZ, TS_PACKET_SIZE } from "./mpegts";
import { CONTENT_NAME, indexPathFor, mediaPathFor } from "./catalog";

export class IngestError extends Error {
  constructor(file: string, why: string) {
    super(`cannot ingest ${file}: ${why}`);
    this.name = "IngestError";
  }
}

/** A PCR jump larger than this (or backwards) is a timeline discontinuity, not elapsed time. */
const MAX_PCR_GAP = 5 * SYSTEM_CLOCK_HZ;

interface PcrPoint {
  offset: number;
  /** continuous 27 MHz time, discontinuities removed */
  t: number;
}

/** PCR samples of one PID (the first PID seen carrying a PCR), unwrapped and made continuous. */
function collectPcr(media: Buffer, file: string): { points: PcrPoint[]; pid: number } {
  const points: PcrPoint[] = [];
  let pid = -1;
  let lastRaw = 0;
  let shift = 0;
  for (let off = 0; off < media.length; off += TS_PACKET_SIZE) {
    const p = readTsPacket(media, off);
    if (!p) throw new IngestError(file, `lost MPEG-TS sync at byte ${off} (expected 0x47 every 188 bytes)`);
    if (p.pcr === undefined) continue;
    if (pid < 0) pid = p.pid;
    if (p.pid !== pid) continue;
    let t = p.pcr + shift;
    if (points.length > 0) {
      let delta = p.pcr - lastRaw;
      if (delta < -PCR_WRAP / 2) delta += PCR_WRAP; // 33-bit wrap
      const prev = points[points.length - 1]!;
      if (delta < 0 || delta > MAX_PCR_GAP || p.discontinuity) {
        // continue the timeline at the previous segment's byte rate
        const rate = points.length >= 2 ? (prev.t - points[points.length - 2]!.t) / (prev.offset - points[points.length - 2]!.offset) : 0;
        const want = prev.t + rate * (off - prev.offset);
        shift += want - t;
        t = want;
      } else {
        t = prev.t + delta;
      }
    }
    lastRaw = p.pcr;
    points.push({ offset: off, t });
  }
  if (points.length < 2) throw new IngestError(file, "fewer than two PCRs; cannot derive send times");
  return { points, pid };
}

/** Maps a byte offset to 27 MHz time by piecewise-linear interpolation over the PCR points. */
function timeAt(points: PcrPoint[], offset: number, hint: { seg: number }): number {
  while (hint.seg < points.length - 2 && offset >= points[hint.seg + 1]!.offset) hint.seg++;
  const a = points[hint.seg]!;
  const b = points[hint.seg + 1]!;
  return a.t + ((offset - a.offset) * (b.t - a.t)) / (b.offset - a.offset);
}

export interface HintBuild {
  header: Omit<HintHeader, "version" | "recordsCrc32" | "recordCount">;
  records: HintRecords;
}

/** Builds the hint records for a whole MPEG-TS file held in memory. */
export function buildHints(media: Buffer, file: string, mediaName: string): HintBuild {
  if (media.length === 0 || media.length % TS_PACKET_SIZE !== 0) throw new IngestError(file, `size ${media.length} is not a positive multiple of ${TS_PACKET_SIZE}`);
  const { points, pid } = collectPcr(media, file);
  const packets = media.length / TS_PACKET_SIZE;
  const n = Math.ceil(packets / TS_PACKETS_PER_RTP);
  const records = allocRecords(n);
  const hint = { seg: 0 };
  const t0 = timeAt(points, 0, hint);
  const toTicks = (t27: number) => Math.max(0, Math.round(((t27 - t0) * RTP_CLOCK_HZ) / SYSTEM_CLOCK_HZ));
  for (let i = 0; i < n; i++) {
    const first = i * TS_PACKETS_PER_RTP;
    const count = Math.min(TS_PACKETS_PER_RTP, packets - first);
    const off = first * TS_PACKET_SIZE;
    let flags = 0;
    for (let k = 0; k < count; k++) {
      const p = readTsPacket(media, off + k * TS_PACKET_SIZE)!;
      if (p.randomAccess && p.pid !== 0) flags |= HintFlag.RandomAccess;
      if (p.discontinuity) flags |= HintFlag.Discontinuity;
    }
    records.offset[i] = off;
    records.length[i] = count * TS_PACKET_SIZE;
    records.flags[i] = flags;
    // monotonic even where the PCR interpolation wobbles
    records.ticks[i] = Math.max(toTicks(timeAt(points, off, hint)), i > 0 ? records.ticks[i - 1]! : 0);
  }
  records.flags[0] = records.flags[0]! | HintFlag.RandomAccess;
  const durationTicks = Math.max(toTicks(timeAt(points, media.length, hint)), records.ticks[n - 1]! + 1);

  // Bit rates for admission control: RTP payload + RTP header, mean and busiest 1 s window.
  const bits = (i: number) => (records.length[i]! + RTP_HEADER_BYTES) * 8;
  let total = 0;
  for (let i = 0; i < n; i++) total += bits(i);
  let peak = 0;
  let window = 0;
  for (let lo = 0, hi = 0; lo < n; lo++) {
    while (hi < n && records.ticks[hi]! < records.ticks[lo]! + RTP_CLOCK_HZ) window += bits(hi++);
    peak = Math.max(peak, window);
    window -= bits(lo);
  }
  const durationSec = durationTicks / RTP_CLOCK_HZ;
  return {
    header: {
      clockRate: RTP_CLOCK_HZ,
      payloadType: RTP_PT_MP2T,
      tsPacketsPerRtp: TS_PACKETS_PER_RTP,
      tsPacketSize: TS_PACKET_SIZE,
      mediaBytes: media.length,
      durationTicks,
      meanBps: Math.round(total / durationSec),
      peakBps: Math.round(durationSec < 1 ? total / durationSec : peak),
      mediaCrc32: crc32(media),
      pcrPid: pid,
      mediaName,
    },
    records,
  };
}

export interface IngestOptions {
  /** content name (URL path); default: the file name without extension */
  name?: string;
}

export interface IngestResult {
  name: string;
  mediaPath: string;
  indexPath: string;
  header: HintBuild["header"] & { recordCount: number };
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Ingests one MPEG-TS file into `contentDir`: copies the media (unless it is already there) and writes its index. */
export async function ingest(mediaFile: string, contentDir: string, opts: IngestOptions = {}): Promise<IngestResult> {
  const name = opts.name ?? basename(mediaFile, extname(mediaFile));
  if (!CONTENT_NAME.test(name)) throw new IngestError(mediaFile, `content name ${JSON.stringify(name)} must match ${CONTENT_NAME}`);
  await mkdir(contentDir, { recursive: true });
  const media = await readFile(mediaFile);
  const mediaPath = mediaPathFor(contentDir, name);
  const indexPath = indexPathFor(contentDir, name);
  const build = buildHints(media, mediaFile, basename(mediaPath));
  // write the very bytes that were indexed, not a second read of the source
  if (resolve(mediaFile) !== resolve(mediaPath)) await writeAtomically(mediaPath, media);
  await writeAtomically(indexPath, encodeHintIndex(build.header, build.records));
  return { name, mediaPath, indexPath, header: { ...build.header, recordCount: build.records.ticks.length } };
}
