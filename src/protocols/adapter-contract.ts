// The contract between the extension and the debug adapter (src/adapter, written separately).
// The adapter ships as one bundle, dist/adapter.js, built from src/adapter/main.ts:
//  - run as a process (`node dist/adapter.js`), it serves DAP on stdin/stdout;
//  - loaded with require(), it starts nothing and exports `LvmmDebugSession`
//    (a LoggingDebugSession subclass from src/adapter/debug-session.ts).
// The extension never imports src/adapter at build time, so it builds before the adapter exists.

/** The debug type in package.json's `contributes.debuggers` and in launch.json. */
export const DEBUG_TYPE = "lvmm";

/** The adapter bundle, relative to the extension's root. */
export const ADAPTER_BUNDLE = "dist/adapter.js";

/**
 * Environment variable naming the folder where the adapter's "serve" option makes and keeps the
 * sample clip when launch.json gives no content (default: .cache/content under the package root).
 */
export const CONTENT_DIR_ENV = "LVMM_CONTENT_DIR";

/** Custom DAP event the adapter sends whenever the machine's run state or clock changes. */
export const STATUS_EVENT = "lvmm/status";

/**
 * What dist/adapter.js must export for the inline mode. `LvmmDebugSession` extends
 * LoggingDebugSession, which already has this shape (handleMessage, onDidSendMessage, dispose).
 */
export interface AdapterModule {
  LvmmDebugSession: new () => InlineDebugAdapter;
}

/** The structural part of vscode.DebugAdapter that a DebugSession provides. */
export interface InlineDebugAdapter {
  handleMessage(message: unknown): void;
  onDidSendMessage: (listener: (message: unknown) => void) => { dispose(): unknown };
  dispose(): unknown;
}
