// Errors a user of the CLI can cause: one clear line on stderr and a non-zero exit, never a
// stack trace.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit codes: 0 ok, 1 the run failed or the guest stopped abnormally, 2 bad invocation or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
