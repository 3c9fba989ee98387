// Entry of dist/adapter.js. Run as a process (`node dist/adapter.js`, or with --server=PORT) it
// serves DAP on stdin/stdout; loaded with require() for the extension's inline mode it starts
// nothing and only exports the session class.
import { resolve } from "node:path";
import { LvmmDebugSession } from "./debug-session";

export { LvmmDebugSession };

/**
 * True when this bundle is the program being run. VS Code starts a `node` adapter executable with
 * child_process.fork and `-e "...;require(process.argv[1])"` when its extension host runs as
 * Electron-as-node, so require.main is not this module there: argv[1] naming this file counts too.
 */
function isMainProgram(): boolean {
  if (require.main === module) return true;
  const argv1 = process.argv[1];
  return require.main === undefined && argv1 !== undefined && resolve(argv1) === __filename;
}

if (isMainProgram()) LvmmDebugSession.run(LvmmDebugSession);
