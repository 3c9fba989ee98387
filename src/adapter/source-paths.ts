// The "sourceMap" launch option: the kernel's DWARF names the files where it was built; the user
// may have the sources elsewhere. Every path the adapter reports goes through toLocal, every path
// the client sends through toBuild. Prefixes match whole path components; the longest wins (as
// CodeLLDB's and cppdbg's sourceMap do).

/** One rule: a build-time path prefix and the local prefix it stands for. */
export type SourceMapRule = readonly [build: string, local: string];

export class SourcePathMap {
  private readonly rules: { build: string; local: string }[];

  constructor(rules: readonly SourceMapRule[] = []) {
    this.rules = rules.map(([build, local]) => ({ build: trimSlash(build), local: trimSlash(local) }));
  }

  /** The local path of a file the debug info names. */
  toLocal(buildPath: string): string {
    return this.rewrite(buildPath, "build", "local");
  }

  /** The build-time path of a file the client names. */
  toBuild(localPath: string): string {
    return this.rewrite(localPath, "local", "build");
  }

  private rewrite(path: string, from: "build" | "local", to: "build" | "local"): string {
    let best: { build: string; local: string } | undefined;
    for (const r of this.rules) {
      if (underPrefix(path, r[from]) && (!best || r[from].length > best[from].length)) best = r;
    }
    if (!best) return path;
    let rest = path.slice(best[from].length);
    if (rest && !/^[\\/]/.test(rest)) rest = "/" + rest; // the prefix was a root ("/")
    return best[to].replace(/[\\/]$/, "") + rest || "/";
  }
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/[\\/]+$/, "") : p;
}

/** Whether `prefix` is `path` or a directory above it (not "/src" for "/srcx/a.c"). */
function underPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length || prefix.endsWith("/") || prefix.endsWith("\\")) return true;
  const next = path[prefix.length];
  return next === "/" || next === "\\";
}
