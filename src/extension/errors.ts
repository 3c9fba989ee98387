// Errors a user can cause from the extension side; each says what was wrong and what to do.

/** The adapter bundle is missing or does not export what the contract requires. */
export class AdapterUnavailableError extends Error {
  override readonly name = "AdapterUnavailableError";
}
