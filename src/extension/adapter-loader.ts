// Finds the adapter bundle on disk and loads it for the inline mode. The require is resolved at
// run time (not bundled), so the extension builds and activates while the adapter is absent.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ADAPTER_BUNDLE, type AdapterModule } from "../protocols/adapter-contract";
import { AdapterUnavailableError } from "./errors";

/** How the descriptor factory reaches the adapter; tests may substitute their own. */
export interface AdapterLoader {
  /** Absolute path of the bundle a separate process runs. Throws AdapterUnavailableError. */
  bundlePath(): string;
  /** The loaded bundle, for the inline mode. Throws AdapterUnavailableError. */
  load(): AdapterModule;
}

export class BundleAdapterLoader implements AdapterLoader {
  constructor(private readonly extensionRoot: string) {}

  bundlePath(): string {
    const path = join(this.extensionRoot, ADAPTER_BUNDLE);
    if (!existsSync(path)) {
      throw new AdapterUnavailableError(`LVMM: the debug adapter is not built (${path} is missing). Run "npm run build" in the extension's folder.`);
    }
    return path;
  }

  load(): AdapterModule {
    const path = this.bundlePath();
    // A plain require() of a computed path: esbuild leaves it to Node at run time.
    const runtimeRequire: (id: string) => unknown = require;
    const mod = runtimeRequire(path) as Partial<AdapterModule> | null;
    if (!mod || typeof mod.LvmmDebugSession !== "function") {
      throw new AdapterUnavailableError(`LVMM: ${path} does not export LvmmDebugSession, so the adapter cannot run inline. Set "lvmm.adapterMode" to "process" or rebuild.`);
    }
    return mod as AdapterModule;
  }
}
