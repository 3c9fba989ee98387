// Runs the same extension-host suites (dist/test/vscode-suite.js) in a desktop VS Code through
// @vscode/test-electron, for machines that have one. It never downloads VS Code: give the
// executable with LVMM_VSCODE_EXECUTABLE or --vscode PATH. CI has no desktop VS Code; there
// `npm test` runs these suites in the VS Code server instead (run-host.ts).
//   npm run test:desktop -- --vscode /usr/share/code/code
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "@vscode/test-electron";

const root = join(import.meta.dirname, "../..");
const argv = process.argv.slice(2);
const flag = argv.indexOf("--vscode");
const executable = flag >= 0 ? argv[flag + 1] : process.env.LVMM_VSCODE_EXECUTABLE;

async function main(): Promise<number> {
  if (!executable) {
    console.error(
      "test:desktop needs a desktop VS Code and will not download one: set LVMM_VSCODE_EXECUTABLE=/path/to/code " +
        "(or pass --vscode PATH). Without one, `npm test` runs the same suites in the VS Code server (test/vscode/run-host.ts).",
    );
    return 2;
  }
  if (!existsSync(executable)) {
    console.error(`test:desktop: no VS Code executable at ${executable}`);
    return 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), "lvmm-vscode-desktop-"));
  const resultsPath = join(scratch, "results.json");
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, "dist/test/vscode-suite.js"),
      extensionTestsEnv: { LVMM_HOST_TEST_RESULTS: resultsPath },
      launchArgs: [
        join(root, "examples/ioengine"),
        "--disable-extensions",
        "--disable-workspace-trust",
        "--user-data-dir",
        join(scratch, "user-data"),
        "--extensions-dir",
        join(scratch, "extensions"),
      ],
    });
    console.log(`test:desktop: passed (results in ${resultsPath})`);
    return 0;
  } catch (e) {
    console.error(`test:desktop: failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
