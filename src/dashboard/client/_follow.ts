/**
 * Following an SSE stream and polling a JSON snapshot from a page, for the job and process
 * dashboards.
 *
 * @module
 */

import { withPageToken } from "./_html.ts";
import { SseParser } from "../../client/sse_parser.ts";

/** Options for {@linkcode follow}. */
export interface FollowOptions {
  url: string;
  /**
   * Named events and what to do with their data. A handler that returns `true` ends the
   * stream: the request is aborted and not made again.
   */
  on: Record<string, (data: string) => boolean | void>;
  /** The stream came up, or broke and is being retried. */
  onConnection(connection: "live" | "reconnecting"): void;
  /**
   * The pause before reconnecting when the server sent no `retry:`; it doubles after each
   * failed attempt, up to 30 s. @default 2000
   */
  retryMs?: number;
  /**
   * Read one stream and stop, whatever happens: for a page that already knows the end and
   * only wants the history the stream starts with. @default false
   */
  once?: boolean;
}

/** A followed stream. */
export interface Following {
  /** Ends the stream for good; safe to call twice. */
  stop(): void;
  /** Drops the stream and opens a new one at once (after a job's `timeout` event). */
  reopen(): void;
}

const maxRetryMs = 30_000;

/**
 * Reads an SSE stream with `fetch` and {@linkcode SseParser} (far cheaper per event than
 * `EventSource` in Chromium, which matters at thousands of lines a second), and keeps reading
 * until `stop()` or a handler ends it. Whenever the stream breaks, ends, or is refused (a
 * `429`, a `503`, the server restarting), a new request follows after the server's `retry:`
 * (or `retryMs`), backing off while attempts fail, and carries `Last-Event-ID` so a process
 * stream resumes after the last line it delivered.
 */
export function follow(options: FollowOptions): Following {
  const parser = new SseParser();
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let failures = 0;
  let generation = 0;

  function stop() {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  }
  function retryLater(current: number) {
    if (stopped || current !== generation) return;
    if (options.once) {
      stop();
      return;
    }
    options.onConnection("reconnecting");
    const base = parser.retry ?? options.retryMs ?? 2000;
    const delay = Math.min(maxRetryMs, base * 2 ** Math.min(failures, 4));
    failures++;
    clearTimeout(timer);
    timer = setTimeout(() => void open(), delay);
  }
  async function open() {
    if (stopped) return;
    const current = ++generation;
    controller?.abort();
    const abort = new AbortController();
    controller = abort;
    parser.reset();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (parser.lastEventId !== "") headers["last-event-id"] = parser.lastEventId;
    try {
      const response = await fetch(withPageToken(options.url), {
        headers,
        signal: abort.signal,
        cache: "no-store",
      });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        retryLater(current);
        return;
      }
      options.onConnection("live");
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stopped || current !== generation) break;
        for (const event of parser.push(value)) {
          if (options.on[event.type]?.(event.data) === true) {
            stop();
            return;
          }
          if (stopped || current !== generation) break;
        }
      }
      await reader.cancel().catch(() => {});
    } catch {
      // aborted, refused, or cut off: retried below unless stopped or replaced
    }
    retryLater(current);
  }
  void open();
  return {
    stop,
    reopen() {
      if (stopped) return;
      clearTimeout(timer);
      failures = 0;
      void open();
    },
  };
}

/** Parses an event's JSON data; `undefined` when it is not JSON. */
export function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** Whether a value is a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Fetches a JSON snapshot after a second and then every `everyMs` (the watcher count is not on
 * the SSE stream). Skips a round while the tab is hidden; a failed fetch is tried again on the
 * next round.
 */
export function poll(
  url: string,
  everyMs: number,
  onSnapshot: (value: unknown) => void,
): () => void {
  let stopped = false;
  let busy = false;
  async function once() {
    if (busy || stopped || document.visibilityState === "hidden") return;
    busy = true;
    try {
      const response = await fetch(withPageToken(url), {
        headers: { accept: "application/json" },
      });
      if (response.ok) {
        const value: unknown = await response.json();
        if (!stopped) onSnapshot(value);
      } else {
        await response.body?.cancel();
      }
    } catch {
      // offline or the server is gone: the SSE link says so; try again next round
    } finally {
      busy = false;
    }
  }
  // A first look soon after the page's own stream connected, so the count includes it.
  const first = setTimeout(once, Math.min(everyMs, 1000));
  const timer = setInterval(once, everyMs);
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
