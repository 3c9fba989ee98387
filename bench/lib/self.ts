// How a benchmark starts a fresh copy of itself in a child process: bundled (bench/run.mjs)
// the bundle runs as it is; from source it needs tsx.
export function selfArgs(file: string, ...args: string[]): string[] {
  return file.endsWith(".ts") ? ["--import", "tsx", file, ...args] : [file, ...args];
}
