// The debug session the time-travel views talk to: the active lvmm session, and its
// custom requests (src/protocols/time-travel-protocol.ts) with a bounded wait.
import * as vscode from "vscode";
import { DEBUG_TYPE } from "../../protocols/adapter-contract";

const REQUEST_TIMEOUT_MS = 15_000;

export function activeLvmmSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s && s.type === DEBUG_TYPE ? s : undefined;
}

/**
 * Sends a custom request to the active lvmm session; rejects when there is none or it takes
 * longer than `timeoutMs` (Infinity: long work the adapter reports progress for, cancellable).
 */
export async function lvmmRequest<T = unknown>(command: string, args?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
  const s = activeLvmmSession();
  if (!s) throw new Error("no LVMM debug session is active: start one with F5 first");
  let timer: NodeJS.Timeout | undefined;
  try {
    return (await Promise.race([
      s.customRequest(command, args),
      ...(Number.isFinite(timeoutMs) ? [new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${command} took longer than ${timeoutMs / 1000} s`)), timeoutMs)))] : []),
    ])) as T;
  } finally {
    clearTimeout(timer);
  }
}
