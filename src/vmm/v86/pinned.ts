// The exact v86 build whose internals the LVMM relies on (wasm byte patterns, static addresses,
// property names, restore bugs). Anything else is refused at start-up with a clear message.
import { createHash } from "node:crypto";

export const PINNED_V86_VERSION = "0.5.462+g5f9a90f";
/** sha256 of build/v86.wasm in that npm release. */
export const PINNED_V86_WASM_SHA256 = "aa0d0e149d6b60063b85de4871e78505637ce92821e14a9f9802c4008ba2336e";

export class V86PinError extends Error {
  constructor(message: string) {
    super(`${message}; the LVMM is pinned to v86 ${PINNED_V86_VERSION} (npm install v86@0.5.462 exactly)`);
    this.name = "V86PinError";
  }
}

export function checkPinnedWasm(bytes: Uint8Array): void {
  const got = createHash("sha256").update(bytes).digest("hex");
  if (got !== PINNED_V86_WASM_SHA256) throw new V86PinError(`v86.wasm has sha256 ${got.slice(0, 16)}…, not the pinned build`);
}

export function checkPinnedVersion(version: string | undefined): void {
  if (version !== PINNED_V86_VERSION) throw new V86PinError(`found v86 ${version ?? "(unknown version)"}`);
}
