import { HttpError } from "../http_error.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * How deeply a published JSON body may nest objects and arrays; the body's own object is level 1.
 * Progress snapshots are a few levels deep; 64 (the default of .NET's `System.Text.Json`) leaves
 * room for any real one, while every recursive walk of the value that comes later (each runtime's
 * `JSON.parse` and `JSON.stringify`, the Redis bridge, the dashboard in the server and in every
 * watcher's browser) stays far from its stack limit and from the quadratic cost of indenting
 * thousands of levels.
 */
export const MAX_JSON_DEPTH = 64;

/** Options for {@linkcode readJsonObject}. */
export interface ReadJsonOptions {
  /**
   * Appended to the message of a 400 (malformed body), after a space: an example of the body
   * the route expects. @default none
   */
  hint?: string;
}

/**
 * Reads a request body that must be one JSON object of at most `maxBytes` bytes, whatever its
 * `Content-Type` (`curl -d` says `application/x-www-form-urlencoded`). The limit holds while
 * reading: a `Content-Length` over it is refused before a byte is read, and a body without one
 * (chunked) is cancelled at the first chunk past it, so nothing past `maxBytes` is held.
 *
 * @returns the object, or `null` for an empty body (no bytes, or only whitespace).
 * @throws {HttpError} 413 over `maxBytes`; 400 for a body that breaks off (the client went
 * away), invalid UTF-8, objects and arrays nested deeper than {@linkcode MAX_JSON_DEPTH} (checked
 * on the text, in one pass, before it is parsed), invalid JSON, or JSON that is not an object (an
 * array, a string, `null`…).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonObject } from "./json_body.ts";
 * const post = (body: string) => new Request("http://h/", { method: "POST", body });
 * assert.deepEqual(await readJsonObject(post('{"progress":40}'), 100), { progress: 40 });
 * assert.equal(await readJsonObject(post(""), 100), null);
 * await assert.rejects(readJsonObject(post("[1]"), 100), /must be a JSON object/);
 * await assert.rejects(readJsonObject(post(`{"a":"${"x".repeat(200)}"}`), 100), /over the limit/);
 * await assert.rejects(readJsonObject(post(`{"a":${"[".repeat(64)}${"]".repeat(64)}}`), 200), /deeper than 64/);
 * await assert.rejects(readJsonObject(post("{"), 100, { hint: 'Example: {"a":1}' }), /Body is not valid JSON Example: \{"a":1\}$/);
 * ```
 */
export async function readJsonObject(
  request: Request,
  maxBytes: number,
  options: ReadJsonOptions = {},
): Promise<Record<string, unknown> | null> {
  const suffix = options.hint === undefined ? "" : ` ${options.hint}`;
  const malformed = (message: string) => new HttpError(400, message + suffix);
  const body = request.body;
  const tooLarge = () =>
    new HttpError(413, `Body is over the limit of ${maxBytes} bytes (--max-event-bytes)`);
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > maxBytes) {
    await body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!body) return null;
  const bytes = length === null
    ? await readAtMost(body, maxBytes, tooLarge, malformed)
    // A declared length is what the runtime reads, no more: the body in one native call.
    : await request.bytes().catch(() => {
      throw malformed("Body ended before it was complete (the client went away)");
    });
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw malformed("Body is not valid UTF-8");
  }
  if (text.trim() === "") return null;
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw malformed(`Body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("Body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed("Body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/**
 * The deepest nesting of objects and arrays in JSON `text` (`0` for a number or a string, `1`
 * for `{}`), in one pass and constant space: brackets count outside strings only. For text that
 * is not JSON the count is a bound that `JSON.parse` would then refuse anyway.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nestingDepth } from "./json_body.ts";
 * assert.equal(nestingDepth('{"a":[1,{"b":[]}]}'), 4);
 * assert.equal(nestingDepth('{"a":"[[[\\"{{"}'), 1);
 * assert.equal(nestingDepth("42"), 0);
 * ```
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: the next character is escaped, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/** Reads a body of unknown length, refusing it once it is over `maxBytes`. */
async function readAtMost(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => HttpError,
  malformed: (message: string) => HttpError,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  while (true) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away mid-body: its fault, not the server's (no internal error logged).
      throw malformed("Body ended before it was complete (the client went away)");
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
  return bytes;
}
