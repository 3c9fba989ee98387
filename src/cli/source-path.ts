// A source file as the CLI prints it: relative to the working directory when it is under it
// (guest/drivers/e1000.c), else as the debug info names it.
import { relative } from "node:path";

export function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}
