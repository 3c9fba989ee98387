#!/usr/bin/env node
// Finds references to files that are not in the repository: relative links in the Markdown
// (README.md, CHANGELOG.md, docs/), and repository paths such as src/vmm/machine.ts or
// docs/recording.md named in the Markdown and in the comments and strings of the code.
// A path in another project carries its name (v86/src/const.js) and is not checked.
// Exits 1 and lists each one as file:line: target. `node scripts/check-links.mjs`; test/run.mjs runs it.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

function walk(dir, keep) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, keep));
    else if (keep(name)) out.push(p);
  }
  return out;
}

const markdown = [join(root, "README.md"), join(root, "CHANGELOG.md"), ...walk(join(root, "docs"), (n) => n.endsWith(".md"))].filter((p) => existsSync(p));
const code = ["src", "test", "bench", "scripts"].flatMap((d) => walk(join(root, d), (n) => /\.(ts|mjs|js)$/.test(n) && !n.endsWith(".d.ts")));

// [text](target) in Markdown, not web or mail links and not in-page anchors.
const MD_LINK = /\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
// A path from the repository root to a file of the kinds kept here, e.g. src/vmm/machine.ts.
const REPO_PATH = /(?<![\w./-])((?:src|test|bench|docs|scripts|guest|syntaxes|media|bin|tools)\/[\w./-]*\.(?:md|ts|mjs|js|json|c|h|S|asm|sh|py|css|svg|png|ld))(?![\w/-])/g;

const problems = [];
function check(file, lineNo, target, base) {
  const path = target.split("#")[0].split("?")[0];
  if (!path) return;
  const abs = resolve(base, decodeURIComponent(path));
  if (!existsSync(abs)) problems.push(`${relative(root, file)}:${lineNo}: ${target}`);
}

for (const file of markdown) {
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    for (const m of line.matchAll(MD_LINK)) {
      const target = m[1];
      if (/^([a-z][a-z0-9+.-]*:|#)/i.test(target)) continue;
      check(file, i + 1, target, dirname(file));
    }
    for (const m of line.matchAll(REPO_PATH)) {
      // inside a Markdown link's target it was checked above, relative to the file
      if (line[m.index - 1] === "(" || line[m.index - 1] === "/") continue;
      check(file, i + 1, m[1], root);
    }
  });
}

for (const file of code) {
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    for (const m of line.matchAll(REPO_PATH)) check(file, i + 1, m[1], root);
  });
}

if (problems.length) {
  console.error(`links to missing files (${problems.length}):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`links: ${markdown.length} Markdown and ${code.length} code files refer only to files that exist`);
