/** The statuses a refused request gets. */
export type RefusalStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 429 | 503;

/**
 * A request refused: an HTTP status and the one line that explains it. The domain throws it
 * (a pipe, a job, the tracker's limits, a body reader), and every route answers it the same way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "./http_error.ts";
 * const error = new HttpError(409, "Pipe 'a' already has a sender");
 * assert.equal(error.status, 409);
 * assert.equal(error.message, "Pipe 'a' already has a sender");
 * ```
 */
export class HttpError extends Error {
  readonly status: RefusalStatus;
  constructor(status: RefusalStatus, message: string) {
    super(message);
    this.status = status;
  }
}
