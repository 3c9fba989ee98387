// The packaged extension: runs `vsce package --no-dependencies` (as `npm run package` does after
// the build) and prints the .vsix's size, file count, packaging time and its largest files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extensionFiles, packageVsix } from "../test/helpers/vsix";

const dir = mkdtempSync(join(tmpdir(), "lvmm-bench-vsix-"));
try {
  const v = packageVsix(join(dir, "lvmm.vsix"));
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  const unpacked = v.entries.reduce((s, e) => s + e.size, 0);
  console.log(
    `vsix: ${mb(v.bytes)} (${v.bytes} bytes), ${v.entries.length} files (${extensionFiles(v.entries).length} of the extension), ${mb(unpacked)} unpacked; vsce package took ${(v.ms / 1000).toFixed(1)} s`,
  );
  console.log("largest files (unpacked -> compressed):");
  for (const e of [...v.entries].sort((a, b) => b.size - a.size).slice(0, 8)) {
    console.log(`  ${e.name.padEnd(44)} ${(e.size / 1024).toFixed(0).padStart(6)} KiB -> ${(e.compressedSize / 1024).toFixed(0).padStart(5)} KiB`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
