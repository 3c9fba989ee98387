// The extension as a user installs it: `vsce package --no-dependencies` with the project's pinned
// @vscode/vsce (what `npm run package` runs after the build), and a reader of the .vsix's file
// list (a zip: its central directory). Used by test/vscode/package.test.ts, bench/package.bench.ts
// and the extension-host tests (test/vscode/run-host.ts installs the .vsix into the VS Code server).
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The repository root (also from a bundle in out/bench/, two levels down like this folder). */
export const ROOT = join(__dirname, "..", "..");

export interface VsixEntry {
  /** path inside the zip; the extension's files are under extension/ */
  name: string;
  size: number;
  compressedSize: number;
}

export interface PackagedVsix {
  path: string;
  bytes: number;
  ms: number;
  entries: VsixEntry[];
}

/** Packages the built extension (dist/, guest/build/ must be there) into `out`. Throws with vsce's output on failure. */
export function packageVsix(out: string, root = ROOT): PackagedVsix {
  const started = Date.now();
  const vsce = join(root, "node_modules", "@vscode", "vsce", "vsce");
  const r = spawnSync(process.execPath, [vsce, "package", "--no-dependencies", "-o", out], {
    cwd: root,
    encoding: "utf8",
    // vsce asks on stdin when something is missing (LICENSE, repository): no stdin, no hang
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
  if (r.error) throw new Error(`vsce package: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`vsce package failed (${r.status ?? r.signal}):\n${`${r.stdout}\n${r.stderr}`.trim()}`);
  return { path: out, bytes: statSync(out).size, ms: Date.now() - started, entries: listZip(out) };
}

/** The entries of a zip file, from its central directory (no zip64: a .vsix is small). */
export function listZip(path: string): VsixEntry[] {
  const buf = readFileSync(path);
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: VsixEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${path}: bad central directory entry ${i}`);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString("utf8", p + 46, p + 46 + nameLen), size, compressedSize });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The extension's own files (paths relative to its root), without the .vsix's manifest files. */
export function extensionFiles(entries: readonly VsixEntry[]): string[] {
  return entries.filter((e) => e.name.startsWith("extension/")).map((e) => e.name.slice("extension/".length));
}
