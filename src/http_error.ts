/** The statuses a refused request gets. */
export type RefusalStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 408
  | 409
  | 413
  | 426
  | 429
  | 500
  | 501
  | 503;

/**
 * A request refused: an HTTP status and the one line that explains it, with the headers that
 * go with it (`WWW-Authenticate`, `Allow`). The domain and the guard throw it (a pipe, a job, the
 * tracker's limits, a body reader, a token check), and the app answers it once, in `onError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "./http_error.ts";
 * const error = new HttpError(409, "Pipe 'a' already has a sender");
 * assert.equal(error.status, 409);
 * assert.equal(error.message, "Pipe 'a' already has a sender");
 * const refused = new HttpError(401, "Missing token", { headers: { "www-authenticate": "Bearer" } });
 * assert.equal(refused.headers["www-authenticate"], "Bearer");
 * ```
 */
export class HttpError extends Error {
  readonly status: RefusalStatus;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: RefusalStatus,
    message: string,
    options: { headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.headers = options.headers ?? {};
  }
}
