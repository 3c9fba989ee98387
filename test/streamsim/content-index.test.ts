// Ingest and the hint index on a real ffmpeg-made MPEG-TS clip.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { ContentCatalog } from "../../src/streamsim/content/catalog";
import { decodeHintIndex, HINT_HEADER_BYTES, HINT_RECORD_BYTES, HintFlag, seekRecord } from "../../src/streamsim/content/hint-index";
import { CLIP_SECONDS, hasTool, makeTestContent, type TestContent } from "./fixtures";

const haveFfmpeg = hasTool("ffmpeg") && hasTool("ffprobe");

describe("hint index of an ingested clip", { skip: haveFfmpeg ? false : "ffmpeg/ffprobe not installed (apt-get install ffmpeg)" }, () => {
  let content: TestContent;
  before(async () => {
    content = await makeTestContent();
  });
  after(() => content?.remove());

  it("covers the whole file with 7-packet RTP payloads in send-time order", () => {
    const { header, records } = content.clip.index;
    assert.equal(header.payloadType, 33);
    assert.equal(header.clockRate, 90_000);
    let expectOffset = 0;
    for (let i = 0; i < records.ticks.length; i++) {
      assert.equal(records.offset[i], expectOffset, `record ${i} is contiguous`);
      assert.ok(records.length[i]! <= 7 * 188 && records.length[i]! % 188 === 0);
      if (i > 0) assert.ok(records.ticks[i]! >= records.ticks[i - 1]!, "send times never go back");
      expectOffset += records.length[i]!;
    }
    assert.equal(expectOffset, header.mediaBytes);
  });

  it("takes its duration from the PCR clock, matching ffprobe", () => {
    const probed = Number(execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", content.clip.mediaPath], { timeout: 10_000 }).toString().trim());
    assert.ok(Math.abs(content.clip.durationSec - probed) < 0.1, `${content.clip.durationSec} vs ffprobe ${probed}`);
    assert.ok(Math.abs(content.clip.durationSec - CLIP_SECONDS) < 0.1);
  });

  it("marks one random-access point per GOP (-g 25 at 25 fps) and seeks to the one before", () => {
    const idx = content.clip.index;
    const raps: number[] = [];
    for (let i = 0; i < idx.records.flags.length; i++) if (idx.records.flags[i]! & HintFlag.RandomAccess) raps.push(i);
    assert.ok(raps.length >= CLIP_SECONDS - 1 && raps.length <= CLIP_SECONDS + 2, `${raps.length} random-access points`);
    const at = seekRecord(idx, 3.5 * 90_000);
    assert.ok(idx.records.flags[at]! & HintFlag.RandomAccess);
    assert.ok(idx.records.ticks[at]! <= 3.5 * 90_000 && idx.records.ticks[at]! > 2.4 * 90_000);
    assert.equal(seekRecord(idx, 0), 0);
  });

  it("is fixed-size little-endian and detects corruption", async () => {
    const path = `${content.dir}/clip.hint`;
    const raw = readFileSync(path);
    assert.equal(raw.length, HINT_HEADER_BYTES + content.clip.index.header.recordCount * HINT_RECORD_BYTES);
    assert.equal(raw.readUInt32LE(HINT_HEADER_BYTES + 8), content.clip.index.records.ticks[0]);
    const flipped = Buffer.from(raw);
    flipped[HINT_HEADER_BYTES + 20] = flipped[HINT_HEADER_BYTES + 20]! ^ 0xff;
    assert.throws(() => decodeHintIndex(flipped, "x"), /records checksum/);
    const badVersion = Buffer.from(raw);
    badVersion.writeUInt32LE(99, 8);
    assert.throws(() => decodeHintIndex(badVersion, "x"), /format version 99|header checksum/);
    // media changed after ingest: the catalog refuses it
    const media = readFileSync(`${content.dir}/clip2.ts`);
    media[1000] = media[1000]! ^ 0xff;
    writeFileSync(`${content.dir}/clip2.ts`, media);
    await assert.rejects(new ContentCatalog(content.dir).lookup("clip2"), /changed since it was ingested/);
    assert.equal(await new ContentCatalog(content.dir).lookup("../etc/passwd"), undefined);
  });
});
