// Following a topic's event stream the way `EventSource` does: reconnecting with `Last-Event-ID`
// after the server's `retry:` delay until a final event.

import { answerError, RingsideError, unreachable } from "./ringside_error.ts";
import { SseParser } from "./sse_parser.ts";
import { isFinalEvent, type RingsideEvent } from "./urls.ts";

/** How {@linkcode subscribe} reaches the server. */
export interface SubscribeConnection {
  fetch: typeof fetch;
  /** Sent as `Authorization: Bearer TOKEN`. */
  token?: string | undefined;
}

/** Options for {@linkcode RingsideClient.subscribe}. */
export interface SubscribeOptions {
  /** Ends the iteration (quietly) and the connection. */
  signal?: AbortSignal;
  /** Resume after this event id (`Last-Event-ID` on the first request too). */
  lastEventId?: string;
  /**
   * Connection attempts in a row that may fail (network error, 429, 5xx) before the iterator
   * throws; a stream that opens resets the count. The first connection is never retried.
   * @default 10
   */
  reconnects?: number;
  /** Called each time a stream opens: `attempt` 0 is the first connection. */
  onOpen?: (info: { attempt: number; lastEventId: string | null }) => void;
}

/**
 * The loop behind {@linkcode RingsideClient.subscribe}: the events at `url` (a spectator URL),
 * reconnecting until a final event, `204 No Content`, `signal`, or too many failures in a row.
 */
export async function* subscribe(
  url: string,
  options: SubscribeOptions & SubscribeConnection,
): AsyncGenerator<RingsideEvent, void, undefined> {
  const { signal } = options;
  const reconnects = options.reconnects ?? 10;
  let lastEventId: string | null = options.lastEventId ?? null;
  let retry = 2000;
  let failures = 0;
  for (let attempt = 0;; attempt++) {
    if (signal?.aborted) return;
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (lastEventId !== null) headers["last-event-id"] = lastEventId;
    let response: Response;
    try {
      response = await options.fetch(url, { headers, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) return;
      if (attempt === 0 || ++failures > reconnects) throw unreachable(url, error);
      await delay(retry, signal);
      continue;
    }
    if (response.status === 204) {
      await response.body?.cancel();
      return;
    }
    if (response.status !== 200) {
      const error = await answerError(response);
      const transient = response.status === 429 || response.status >= 500;
      if (attempt === 0 || !transient || ++failures > reconnects) throw error;
      await delay(retry, signal);
      continue;
    }
    const type = response.headers.get("content-type") ?? "";
    if (!type.startsWith("text/event-stream")) {
      await response.body?.cancel();
      throw new RingsideError(
        response.status,
        `Not an event stream: ${url} answered ${type || "no content type"}`,
      );
    }
    failures = 0;
    options.onOpen?.({ attempt, lastEventId });
    const parser = new SseParser();
    if (lastEventId !== null) parser.lastEventId = lastEventId;
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    let ended = false;
    try {
      while (!ended) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch {
          break; // the connection broke: reconnect below
        }
        if (chunk.done) break;
        for (const sse of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          const event: RingsideEvent = {
            type: sse.type,
            data: parseData(sse.data),
            id: sse.id === "" ? null : sse.id,
          };
          yield event;
          if (isFinalEvent(event)) {
            ended = true;
            break;
          }
        }
        if (parser.retry !== null) retry = parser.retry;
        if (parser.lastEventId !== "") lastEventId = parser.lastEventId;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (ended || signal?.aborted) return;
    await delay(retry, signal);
  }
}

/** The `data` of an event: JSON when it parses, else the text. */
export function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
