// Runs the extension-host test bundle (dist/test/vscode-suite.js, from test/vscode/suite) inside
// a real VS Code: the VS Code 1.139 server under Node 24 on 127.0.0.1, its workbench in
// chromium-headless-shell, the sample workspace examples/ioengine open. The extension runs as a
// user's does: packaged into a .vsix (vsce, as `npm run package`; or the one --vsix names) and
// installed into the server with --install-extension, then loaded from there (not from the
// repository, which is not an extension under development here). Exit 0 when all passed,
// 1 on failure, 3 when the tools are not installed. Run after `npm run build`:
//   node --import tsx test/vscode/run-host.ts [--timeout-ms N] [--vsix FILE] [--verbose]
// --verbose echoes the workbench's log (the extension host's console included) and keeps the
// scratch folder; it is always kept when a run fails.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { packageVsix } from "../helpers/vsix";
import { formatResults, readResults, verdict } from "./host/results";
import { installExtension, startVscodeServer, type VscodeServer } from "./host/server";
import { findHostTools, serverVersion } from "./host/tools";
import { runWorkbench } from "./host/workbench";
import { startWorkbenchProbe, WORKBENCH_PROBE_ENV, type WorkbenchProbe } from "./host/workbench-probe";

export const EXIT_TOOLS_MISSING = 3;

const root = join(import.meta.dirname, "../..");
const argv = process.argv.slice(2);
const verbose = argv.includes("--verbose");
const timeoutArg = argv.indexOf("--timeout-ms");
// The whole run: ~80 s on two loaded cores, well under half that on a quiet machine.
const timeoutMs = timeoutArg >= 0 ? Number(argv[timeoutArg + 1]) : 150_000;
const vsixArg = argv.indexOf("--vsix");
const prebuiltVsix = vsixArg >= 0 ? resolve(argv[vsixArg + 1] ?? "") : undefined;
/** What the suites read to check they run from the installed copy (test/vscode/suite/extension.test.ts). */
const INSTALLED_EXTENSION_ENV = "LVMM_HOST_TEST_EXTENSION_DIR";

async function main(): Promise<number> {
  const started = Date.now();
  const found = findHostTools(root);
  if (!found.tools) {
    for (const m of found.missing) console.error(`vscode-host: ${m}`);
    return EXIT_TOOLS_MISSING;
  }
  const tools = found.tools;
  const extensionTestsPath = join(root, "dist/test/vscode-suite.js");
  for (const f of [join(root, "dist/extension.js"), extensionTestsPath]) {
    if (!existsSync(f)) {
      console.error(`vscode-host: ${f} is missing; run npm run build first`);
      return 1;
    }
  }

  if (prebuiltVsix && !existsSync(prebuiltVsix)) {
    console.error(`vscode-host: ${prebuiltVsix} is missing; run npm run package first`);
    return 1;
  }

  const dataDir = mkdtempSync(join(tmpdir(), "lvmm-vscode-host-"));
  const resultsPath = join(dataDir, "results.json");
  const consoleLog = join(dataDir, "workbench-console.log");
  let server: VscodeServer | undefined;
  let probe: WorkbenchProbe | undefined;
  const cleanup = async () => {
    await server?.stop();
    server = undefined;
    await probe?.close();
    probe = undefined;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void cleanup().then(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  let ok = false;
  try {
    // The suites look at the workbench's DOM (the debug toolbar's buttons) through this probe.
    probe = await startWorkbenchProbe();
    let vsix = prebuiltVsix;
    if (!vsix) {
      const packaged = packageVsix(join(dataDir, "lvmm.vsix"), root);
      vsix = packaged.path;
      console.log(`vscode-host: packaged ${vsix} (${(packaged.bytes / 1024 / 1024).toFixed(2)} MB, ${packaged.entries.length} files) in ${packaged.ms} ms`);
    }
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { publisher: string; name: string };
    const extensionsDir = join(dataDir, "extensions");
    const installed = await installExtension({
      node24: tools.node24,
      serverMain: tools.serverMain,
      dataDir,
      extensionsDir,
      vsix,
      id: `${manifest.publisher}.${manifest.name}`,
      timeoutMs: 60_000,
    });
    const noExtension = join(dataDir, "no-extension-under-development");
    mkdirSync(noExtension);
    console.log(`vscode-host: installed ${installed} from ${vsix} (${(statSync(vsix).size / 1024 / 1024).toFixed(2)} MB)`);
    server = await startVscodeServer({
      node24: tools.node24,
      serverMain: tools.serverMain,
      dataDir,
      extensionsDir,
      env: { LVMM_HOST_TEST_RESULTS: resultsPath, [WORKBENCH_PROBE_ENV]: probe.url, [INSTALLED_EXTENSION_ENV]: installed },
      timeoutMs: 20_000,
    });
    console.log(`vscode-host: VS Code ${serverVersion(tools.serverMain)} server on 127.0.0.1:${server.port} (${Date.now() - started} ms)`);
    const run = await runWorkbench({
      playwright: tools.playwright,
      chromium: tools.chromium,
      port: server.port,
      workspace: join(root, "examples/ioengine"),
      // VS Code runs extensionTestsPath only in extension development mode; an empty folder turns
      // that mode on with no extension in it, so lvmm is the installed .vsix, not the repository.
      extensionDevelopmentPath: noExtension,
      extensionTestsPath,
      logsDir: join(dataDir, "workbench-logs"),
      timeoutMs,
      onPage: (page) => probe?.setPage(page),
      onLine: (line) => {
        appendFileSync(consoleLog, line + "\n");
        if (verbose || line.startsWith("[page error]")) console.log(line);
      },
    });
    const results = readResults(resultsPath);
    if (results) for (const line of formatResults(results)) console.log(line);
    const v = verdict(run.code, results);
    ok = v.ok;
    console.log(`vscode-host: extension host exited with ${run.code}; ${v.summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.error(`vscode-host: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await cleanup();
    if (ok && !verbose && !process.env.LVMM_KEEP_HOST_DATA) rmSync(dataDir, { recursive: true, force: true });
    else console.log(`vscode-host: kept ${dataDir} (server.log, workbench-console.log, workbench-logs/, server-data/)`);
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
