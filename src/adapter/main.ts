// Entry of dist/adapter.js. Run as a process (`node dist/adapter.js`, or with --server=PORT) it
// serves DAP on stdin/stdout; loaded with require() for the extension's inline mode it starts
// nothing and only exports the session class.
import { LvmmDebugSession } from "./debug-session";

export { LvmmDebugSession };

if (require.main === module) LvmmDebugSession.run(LvmmDebugSession);
