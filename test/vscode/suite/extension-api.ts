// Finds and activates the extension under test, for the suites.
import * as vscode from "vscode";
import type { LvmmExtensionApi } from "../../../src/extension/extension";

export const EXTENSION_ID = "lvmm.lvmm";

export async function activateLvmm(): Promise<{ ext: vscode.Extension<LvmmExtensionApi>; api: LvmmExtensionApi }> {
  const ext = vscode.extensions.getExtension<LvmmExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  const api = await ext.activate();
  return { ext, api };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
