// The guest kernel a command runs: the one named, or the one the build produced (src/paths.ts).
import { existsSync, readFileSync } from "node:fs";
import { DEFAULT_KERNEL } from "../paths";
import { UsageError } from "./errors";

export function readKernel(path: string | undefined): { path: string; bytes: Uint8Array } {
  const p = path ?? DEFAULT_KERNEL;
  if (!existsSync(p)) {
    throw new UsageError(path ? `kernel ${p} does not exist` : `the default kernel ${p} has not been built; run npm run build`);
  }
  try {
    return { path: p, bytes: new Uint8Array(readFileSync(p)) };
  } catch (e) {
    throw new UsageError(`cannot read kernel ${p}: ${(e as Error).message}`);
  }
}
