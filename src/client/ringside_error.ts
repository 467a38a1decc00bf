// What a failed request to ringside throws: the HTTP status and the server's one line.

/**
 * An answer other than 2xx: `message` is the server's one-line reason, `status` the HTTP status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RingsideError } from "./ringside_error.ts";
 * const error = new RingsideError(404, "Task not found");
 * assert.equal(error.message, "Task not found");
 * assert.equal(error.status, 404);
 * assert.ok(error instanceof Error);
 * ```
 */
export class RingsideError extends Error {
  /** The HTTP status, or 0 when the server could not be reached. */
  readonly status: number;

  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RingsideError";
    this.status = status;
  }
}

/**
 * A `RingsideError` from a non-2xx answer: `{"error": …}` or the first line of text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerError } from "./ringside_error.ts";
 * const error = await answerError(Response.json({ error: "Missing token" }, { status: 401 }));
 * assert.equal(`${error.status} ${error.message}`, "401 Missing token");
 * ```
 */
export async function answerError(response: Response): Promise<RingsideError> {
  const text = await response.text().catch(() => "");
  let message = text.trim().split(/\r?\n/)[0] ?? "";
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === "string") message = body.error;
  } catch {
    // not JSON: the text's first line
  }
  return new RingsideError(
    response.status,
    message || `${response.status} ${response.statusText}`.trim(),
  );
}

/** A `RingsideError` (status 0) for a server that `fetch` could not reach. */
export function unreachable(url: string, error: unknown): RingsideError {
  const reason = error instanceof Error ? error.message : String(error);
  return new RingsideError(0, `Cannot reach ${new URL(url).origin}: ${reason}`, { cause: error });
}
