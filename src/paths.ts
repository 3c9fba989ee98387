// Where the package's own files are: its root (found from this code, whether it runs from src/
// or from a bundle in dist/) and the guest kernel the build produced. The CLI, the adapter and
// the stream server all start from here, so none of them imports another for a path.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The package root: the nearest folder above this code with our package.json (dist/ or src/). */
function findRoot(start: string): string {
  for (let d = start; ; d = dirname(d)) {
    const manifest = join(d, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "lvmm") return d;
    if (dirname(d) === d) return join(start, "..");
  }
}
export const PACKAGE_ROOT = findRoot(__dirname);
export const DEFAULT_KERNEL = join(PACKAGE_ROOT, "guest", "build", "ioengine.elf");
