// Lets the extension-host suites look at the real workbench DOM, which only the Playwright side
// can reach: run-host.ts serves this probe on 127.0.0.1 and hands its URL to the extension host
// in LVMM_HOST_WORKBENCH_PROBE; a suite asks `GET /elements?selector=CSS` and gets one
// WorkbenchElement per match (see suite/workbench-dom.ts). The page runs only the fixed
// function below: the caller chooses the selector, never the code.
import { createServer, type Server } from "node:http";
import type { Page } from "./playwright-types";

export const WORKBENCH_PROBE_ENV = "LVMM_HOST_WORKBENCH_PROBE";

/** What the probe reports of one element matching the selector. */
export interface WorkbenchElement {
  tag: string;
  /** The element's class list. */
  classes: string[];
  ariaLabel: string | null;
  ariaDisabled: string | null;
  title: string | null;
  text: string;
  /** Laid out and not hidden by display/visibility (the element and its ancestors). */
  visible: boolean;
  /** Computed background-image and mask-image: where an icon given as a file shows. */
  backgroundImage: string;
  maskImage: string;
  /** The class lists of its ancestors up to the workbench, innermost first (for context). */
  ancestors: string[][];
}

/** Runs in the page. Self-contained: Playwright serialises it. */
function describeElements(selector: string): WorkbenchElement[] {
  return Array.from(document.querySelectorAll(selector)).map((el) => {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const ancestors: string[][] = [];
    let visible = rect.width > 0 && rect.height > 0;
    for (let p: Element | null = el; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.display === "none" || s.visibility === "hidden") visible = false;
      if (p !== el) ancestors.push(Array.from(p.classList));
      if (p.classList.contains("monaco-workbench")) break;
    }
    return {
      tag: el.tagName.toLowerCase(),
      classes: Array.from(el.classList),
      ariaLabel: el.getAttribute("aria-label"),
      ariaDisabled: el.getAttribute("aria-disabled"),
      title: el.getAttribute("title"),
      text: (el.textContent ?? "").trim(),
      visible,
      backgroundImage: style.backgroundImage,
      maskImage: style.maskImage || style.getPropertyValue("-webkit-mask-image"),
      ancestors,
    };
  });
}

export interface WorkbenchProbe {
  /** http://127.0.0.1:PORT, for WORKBENCH_PROBE_ENV. */
  url: string;
  /** The workbench page, once it is open; requests before then get 503. */
  setPage(page: Page | undefined): void;
  close(): Promise<void>;
}

export async function startWorkbenchProbe(): Promise<WorkbenchProbe> {
  let page: Page | undefined;
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const selector = url.searchParams.get("selector");
    if (req.method !== "GET" || url.pathname !== "/elements" || !selector) return reply(404, { error: "GET /elements?selector=CSS" });
    if (!page) return reply(503, { error: "the workbench page is not open yet" });
    page.evaluate(describeElements, selector).then(
      (elements) => reply(200, elements),
      (e: unknown) => reply(500, { error: e instanceof Error ? e.message : String(e) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the workbench probe has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    setPage: (p) => void (page = p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
