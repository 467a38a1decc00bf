import assert from "node:assert/strict";

/**
 * Decodes a UTF-8 byte stream to text. (With both the `dom` and `deno.window` libs loaded,
 * `TextDecoderStream`'s writable side is typed as `BufferSource`; this is the one cast.)
 */
export function decodeText(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
  return stream.pipeThrough(
    new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
  );
}

/** One dispatched SSE event, as a browser's EventSource would hand it to a listener. */
export interface SseEvent {
  type: string;
  data: string;
  /** The last event ID when it was dispatched (what EventSource sends as `Last-Event-ID`). */
  id: string;
}

/** Everything an SSE stream carried, parsed the way EventSource parses it. */
export interface SseRecord {
  events: SseEvent[];
  /** Comment lines (`: keepalive`), without the colon. */
  comments: string[];
  /** The last `retry:` value, or `null`. */
  retry: number | null;
}

/**
 * Parses an SSE byte stream per the HTML standard's event-stream interpretation: lines end in
 * CRLF, LF or CR; `data` lines join with LF; an event is dispatched at a blank line with type
 * `message` unless `event:` said otherwise; an event with no data is not dispatched; a field
 * with no colon has an empty value; one leading space after the colon is dropped; `id:` sets the
 * last event ID, which stays until another `id:` changes it.
 * `onEvent` returning `true` stops reading (the stream is cancelled).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: SseEvent, record: SseRecord) => boolean | void = () => {},
): Promise<SseRecord> {
  const record: SseRecord = { events: [], comments: [], retry: null };
  let buffer = "";
  let type = "";
  let data: string[] = [];
  let id = "";
  const reader = decodeText(body).getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return record;
      buffer += value;
      let match: RegExpExecArray | null;
      while ((match = /\r\n|\n|\r(?!$)/.exec(buffer))) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (data.length > 0) {
            const event = { type: type || "message", data: data.join("\n"), id };
            record.events.push(event);
            if (onEvent(event, record) === true) return record;
          }
          type = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) {
          record.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? "" : line.slice(colon + 1);
        if (fieldValue.startsWith(" ")) fieldValue = fieldValue.slice(1);
        if (field === "event") type = fieldValue;
        else if (field === "data") data.push(fieldValue);
        else if (field === "id" && !fieldValue.includes("\0")) id = fieldValue;
        else if (field === "retry" && /^\d+$/.test(fieldValue)) record.retry = Number(fieldValue);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Opens `url` as an SSE stream; fails unless the response is `200 text/event-stream`. */
export async function openSse(url: string, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(url, {
    headers: { accept: "text/event-stream" },
    ...(signal ? { signal } : {}),
  });
  if (response.status !== 200 || response.headers.get("content-type") !== "text/event-stream") {
    const text = await response.text();
    throw new Error(`Not an SSE stream: ${response.status} ${text}`);
  }
  return response;
}

/**
 * Watches a pipe over SSE until `predicate` holds for a snapshot, then stops. Resolves with
 * that snapshot; rejects when the stream ends first.
 */
export async function waitForPipe(
  origin: string,
  name: string,
  predicate: (snapshot: Record<string, unknown>) => boolean,
  options: { token?: string } = {},
): Promise<Record<string, unknown>> {
  const auth: Record<string, string> = options.token
    ? { authorization: `Bearer ${options.token}` }
    : {};
  const response = await fetch(`${origin}/api/v1/pipe/${name}?progress`, {
    headers: { accept: "text/event-stream", ...auth },
    signal: AbortSignal.timeout(20_000),
  });
  if (response.status !== 200) {
    throw new Error(`Cannot watch '${name}': ${response.status} ${await response.text()}`);
  }
  let found: Record<string, unknown> | undefined;
  await readSse(response.body!, (event) => {
    const snapshot = JSON.parse(event.data);
    if (predicate(snapshot)) {
      found = snapshot;
      return true;
    }
  });
  if (!found) throw new Error(`Pipe '${name}' ended before the awaited state`);
  return found;
}

/** Asserts that a pipe's last snapshot says it completed with all `size` bytes (100 %). */
export function assertCompleted(done: Record<string, unknown>, size: number): void {
  assert.deepEqual([done.state, done.bytes, done.total, done.percent], [
    "complete",
    size,
    size,
    100,
  ]);
}
