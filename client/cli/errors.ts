/** The CLI's own errors (API errors come from the client: `BraidHttpError`, `LiveClientError`). */

/** A mistake in how the CLI was called (exit 2). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
