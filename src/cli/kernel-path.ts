// Where the default guest kernel is: the one the build produced, relative to the package.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "./errors";

/** The package root: the nearest folder above this code with our package.json (dist/ or src/cli/). */
function findRoot(start: string): string {
  for (let d = start; ; d = dirname(d)) {
    const manifest = join(d, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "lvmm") return d;
    if (dirname(d) === d) return join(start, "..");
  }
}
export const PACKAGE_ROOT = findRoot(__dirname);
export const DEFAULT_KERNEL = join(PACKAGE_ROOT, "guest", "build", "ioengine.elf");

export function readKernel(path: string | undefined): { path: string; bytes: Uint8Array } {
  const p = path ?? DEFAULT_KERNEL;
  if (!existsSync(p)) {
    throw new UsageError(
      path ? `kernel ${p} does not exist` : `the default kernel ${p} has not been built; run npm run build`,
    );
  }
  try {
    return { path: p, bytes: new Uint8Array(readFileSync(p)) };
  } catch (e) {
    throw new UsageError(`cannot read kernel ${p}: ${(e as Error).message}`);
  }
}
