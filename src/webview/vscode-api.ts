// The webview side's handle on VS Code (acquireVsCodeApi may be called once per page) and a
// typed element lookup, shared by our webviews.

export interface VsCodeApi<ToHost> {
  postMessage(m: ToHost): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi<never>;

export function vscodeApi<ToHost>(): VsCodeApi<ToHost> {
  return acquireVsCodeApi() as unknown as VsCodeApi<ToHost>;
}

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
