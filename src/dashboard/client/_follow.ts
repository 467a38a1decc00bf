/**
 * Following an SSE stream from a page, for the job and process dashboards.
 *
 * @module
 */

/** Options for {@linkcode follow}. */
export interface FollowOptions {
  url: string;
  /**
   * Named events and what to do with their data. A handler that returns `true` ends the
   * stream: the source is closed, or the browser would reconnect to a finished topic.
   */
  on: Record<string, (data: string) => boolean | void>;
  /** The link came up, or broke and is being retried. */
  onConnection(connection: "live" | "reconnecting"): void;
  /** How long to wait before a new EventSource after the browser gave up on one. @default 2000 */
  reopenAfterMs?: number;
}

/** A followed stream. */
export interface Following {
  /** Closes the stream; safe to call twice. */
  stop(): void;
  /** Closes the stream and opens a new one at once (after a `timeout` event). */
  reopen(): void;
}

/**
 * Opens an EventSource on `url` and keeps one open until `stop()` or a handler ends it. The
 * browser reconnects by itself after a dropped connection, sending `Last-Event-ID`; when it
 * gives up (an HTTP error such as a 429 or 503), a new source is opened after a pause.
 *
 * A server's `error` event and a broken connection share the name `error`: only the former
 * is a `MessageEvent` with data, and only it reaches `on.error`.
 */
export function follow(options: FollowOptions): Following {
  const pause = options.reopenAfterMs ?? 2000;
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  function stop() {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  }
  function open() {
    if (stopped) return;
    const current = new EventSource(options.url);
    source = current;
    current.addEventListener("open", () => options.onConnection("live"));
    for (const [name, handler] of Object.entries(options.on)) {
      if (name === "error") continue;
      current.addEventListener(name, (event) => {
        if (current !== source) return;
        if (handler((event as MessageEvent).data as string) === true) stop();
      });
    }
    current.addEventListener("error", (event) => {
      if (current !== source || stopped) return;
      if (event instanceof MessageEvent && typeof event.data === "string") {
        if (options.on.error?.(event.data) === true) stop();
        return;
      }
      options.onConnection("reconnecting");
      if (current.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        timer = setTimeout(open, pause);
      }
    });
  }
  open();
  return {
    stop,
    reopen() {
      if (stopped) return;
      clearTimeout(timer);
      source?.close();
      open();
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
 * Fetches a JSON snapshot now and then (the watcher count is not on the SSE stream). Skips a
 * round while the tab is hidden; a failed fetch is tried again on the next round.
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
      const response = await fetch(url, { headers: { accept: "application/json" } });
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
  const timer = setInterval(once, everyMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
