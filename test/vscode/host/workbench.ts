// Opens the VS Code workbench in chromium-headless-shell with the extension development path
// (run-host.ts gives an empty folder: the extension is the one installed in the server) and the
// test bundle, and waits for the extension host to report its exit code. The page's
// `codeAutomationLog` / `codeAutomationExit` hooks are what VS Code's web workbench calls in
// smoke-test mode (--enable-smoke-test-driver) with its log lines and the test run's exit code.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { format } from "node:util";
import type { Browser, Page, Playwright } from "./playwright-types";

export interface WorkbenchRun {
  /** Exit code of the extension-host test run (0: all passed). */
  code: number;
  /** The workbench's log lines (the extension host's console included) and the page's errors. */
  lines: string[];
}

export interface WorkbenchOptions {
  playwright: Playwright;
  chromium: string;
  port: number;
  workspace: string;
  /** the extension under development: VS Code runs extensionTestsPath only when there is one */
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  /** Where the workbench's own log files go (handed over with the exit code). */
  logsDir: string;
  timeoutMs: number;
  onLine?: (line: string) => void;
  /** Called with the page once it is created, and with undefined before the browser closes. */
  onPage?: (page: Page | undefined) => void;
}

interface AutomationLogFile {
  relativePath: string;
  contents: string;
}

export function workbenchUrl(o: Pick<WorkbenchOptions, "port" | "workspace" | "extensionDevelopmentPath" | "extensionTestsPath">): string {
  const remote = (path: string) => `vscode-remote://127.0.0.1:${o.port}${path}`;
  const payload = [
    ["extensionDevelopmentPath", remote(o.extensionDevelopmentPath)],
    ["extensionTestsPath", remote(o.extensionTestsPath)],
  ];
  return `http://127.0.0.1:${o.port}/?folder=${encodeURIComponent(remote(o.workspace))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function browserArgs(): string[] {
  const args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio"];
  // Chromium refuses to run as root with its sandbox on.
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return args;
}

export async function runWorkbench(o: WorkbenchOptions): Promise<WorkbenchRun> {
  const lines: string[] = [];
  const emit = (line: string) => {
    lines.push(line);
    o.onLine?.(line);
  };
  let browser: Browser | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    browser = await o.playwright.chromium.launch({ executablePath: o.chromium, headless: true, args: browserArgs(), timeout: o.timeoutMs });
    const page = await browser.newPage();
    o.onPage?.(page);
    let onExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve, reject) => {
      onExit = resolve;
      timer = setTimeout(() => reject(new Error(`the extension-host tests did not finish within ${o.timeoutMs} ms`)), o.timeoutMs);
    });
    await page.exposeFunction("codeAutomationExit", (code: number, logs?: AutomationLogFile[]) => {
      saveLogs(o.logsDir, logs);
      onExit(code);
    });
    await page.exposeFunction("codeAutomationLog", (type: string, args: unknown[]) => {
      emit(`[${type}] ${format(...args)}`);
    });
    page.on("pageerror", (e) => emit(`[page error] ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") emit(`[browser console] ${m.text()}`);
    });
    await page.goto(workbenchUrl(o), { timeout: o.timeoutMs, waitUntil: "domcontentloaded" });
    return { code: await exited, lines };
  } finally {
    clearTimeout(timer);
    o.onPage?.(undefined);
    if (browser) await closeWithin(browser, 5000);
  }
}

async function closeWithin(browser: Browser, ms: number): Promise<void> {
  await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
}

function saveLogs(dir: string, logs: AutomationLogFile[] | undefined): void {
  for (const f of logs ?? []) {
    const path = normalize(join(dir, f.relativePath));
    if (!path.startsWith(normalize(dir))) continue; // never write outside the logs folder
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.contents);
  }
}
