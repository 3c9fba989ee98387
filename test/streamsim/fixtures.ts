// Shared fixtures: a 6 s sample clip (made once with ffmpeg, cached in .cache/content) ingested
// under two names into a temporary content directory.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingest } from "../../src/streamsim/content/ingest";
import { makeSampleClip } from "../../src/streamsim/content/sample-clip";
import type { ContentItem } from "../../src/streamsim/content/catalog";
import { ContentCatalog } from "../../src/streamsim/content/catalog";

export const CLIP_SECONDS = 6;

export function hasTool(name: string): boolean {
  try {
    execFileSync(name, ["-version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface TestContent {
  dir: string;
  clip: ContentItem;
  remove(): void;
}

/** Content directory with "clip" and "clip2" (same media). Needs ffmpeg. */
export async function makeTestContent(): Promise<TestContent> {
  const sample = await makeSampleClip({ durationSec: CLIP_SECONDS });
  const dir = mkdtempSync(join(tmpdir(), "streamsim-content-"));
  await ingest(sample.mediaPath, dir, { name: "clip" });
  await ingest(sample.mediaPath, dir, { name: "clip2" });
  const clip = await new ContentCatalog(dir).lookup("clip");
  if (!clip) throw new Error("ingested clip not found");
  return { dir, clip, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A /metrics scrape. Generous timeout: with two engines' threads busy on a loaded 2-core machine one took over 3 s. */
export async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(15_000) });
  return res.text();
}

export function metricValue(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `) || (labels === "" && l.startsWith(`${name}{`) === false && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
