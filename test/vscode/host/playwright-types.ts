// The slice of playwright-core's API the runner uses. playwright-core lives in the tools
// package, outside the project's node_modules, so its own types are not visible to tsc here.

export interface Playwright {
  chromium: {
    launch(options: { executablePath: string; headless: boolean; args: string[]; timeout: number }): Promise<Browser>;
  };
}

export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface ConsoleMessage {
  type(): string;
  text(): string;
}

export interface Page {
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  goto(url: string, options: { timeout: number; waitUntil: "load" | "domcontentloaded" }): Promise<unknown>;
  on(event: "console", listener: (m: ConsoleMessage) => void): void;
  on(event: "pageerror", listener: (e: Error) => void): void;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
}
