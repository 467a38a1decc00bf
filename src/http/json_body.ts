import { HttpError } from "../http_error.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a request body that must be one JSON object of at most `maxBytes` bytes, whatever its
 * `Content-Type` (`curl -d` says `application/x-www-form-urlencoded`). The limit holds while
 * reading: a `Content-Length` over it is refused before a byte is read, and a body without one
 * (chunked) is cancelled at the first chunk past it, so nothing past `maxBytes` is held.
 *
 * @returns the object, or `null` for an empty body (no bytes, or only whitespace).
 * @throws {HttpError} 413 over `maxBytes`; 400 for a body that breaks off (the client went
 * away), invalid UTF-8, invalid JSON, or JSON that is not an object (an array, a string, `null`…).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonObject } from "./json_body.ts";
 * const post = (body: string) => new Request("http://h/", { method: "POST", body });
 * assert.deepEqual(await readJsonObject(post('{"progress":40}'), 100), { progress: 40 });
 * assert.equal(await readJsonObject(post(""), 100), null);
 * await assert.rejects(readJsonObject(post("[1]"), 100), /must be a JSON object/);
 * await assert.rejects(readJsonObject(post(`{"a":"${"x".repeat(200)}"}`), 100), /over the limit/);
 * ```
 */
export async function readJsonObject(
  request: Request,
  maxBytes: number,
): Promise<Record<string, unknown> | null> {
  const body = request.body;
  const tooLarge = () =>
    new HttpError(413, `Body is over the limit of ${maxBytes} bytes (--max-event-bytes)`);
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > maxBytes) {
    await body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!body) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  while (true) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away mid-body: its fault, not the server's (no internal error logged).
      throw new HttpError(400, "Body ended before it was complete (the client went away)");
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new HttpError(400, "Body is not valid UTF-8");
  }
  if (text.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "Body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
