// A small tmpfs for tests of a full disk. Mounting needs root (as in CI); elsewhere the test is
// skipped with the reason. The mount is undone and its directory removed afterwards.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

/** Runs `body` with a fresh tmpfs of `size` (mount's syntax, e.g. "2m"); undefined when it cannot be mounted (the test is skipped). */
export async function withSmallDisk<T>(t: { skip(why: string): void }, size: string, body: (dir: string) => Promise<T> | T): Promise<T | undefined> {
  const parent = mkdtempSync(join(tmpdir(), "lvmm-small-disk-"));
  const dir = join(parent, "small");
  mkdirSync(dir);
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { encoding: "utf8" });
  if (m.status !== 0) {
    rmSync(parent, { recursive: true, force: true });
    t.skip(`cannot mount a small tmpfs here: ${(m.stderr || String(m.error)).trim()}`);
    return undefined;
  }
  try {
    return await body(dir);
  } finally {
    spawnSync("umount", [dir]);
    rmSync(parent, { recursive: true, force: true });
  }
}
