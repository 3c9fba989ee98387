// The workbench's DOM as the suites see it: asks the probe that run-host.ts serves (see
// test/vscode/host/workbench-probe.ts). Runners without one (the desktop runner) leave
// LVMM_HOST_WORKBENCH_PROBE unset, and the suites that need the DOM skip.
import { get } from "node:http";
import { WORKBENCH_PROBE_ENV, type WorkbenchElement } from "../host/workbench-probe";

export type { WorkbenchElement };

export function workbenchProbeUrl(): string | undefined {
  return process.env[WORKBENCH_PROBE_ENV] || undefined;
}

/** The workbench's elements that match a CSS selector, described by the probe. */
export function workbenchElements(selector: string): Promise<WorkbenchElement[]> {
  const base = workbenchProbeUrl();
  if (!base) return Promise.reject(new Error(`${WORKBENCH_PROBE_ENV} is not set: this runner cannot see the workbench's DOM`));
  const url = `${base}/elements?selector=${encodeURIComponent(selector)}`;
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        try {
          const parsed = JSON.parse(body) as WorkbenchElement[] | { error: string };
          if (res.statusCode !== 200) reject(new Error(`workbench probe: ${res.statusCode} ${(parsed as { error: string }).error}`));
          else resolve(parsed as WorkbenchElement[]);
        } catch (e) {
          reject(e);
        }
      });
    }).on("error", reject);
  });
}
