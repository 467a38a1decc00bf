import { type Context, Hono } from "hono";
import type { Config } from "../config.ts";
import type { PipeSnapshot } from "../progress/snapshot.ts";
import { nameError } from "../names.ts";
import { PipeTopic } from "../pipe/pipe_topic.ts";
import type { TopicKind, Tracker } from "../tracker.ts";
import { expectsContinue, type ReadAhead, readAhead } from "./expect_continue.ts";
import { publicOrigin } from "./origin.ts";
import { isProxied, type WatchedBody, watchEnd } from "./proxied_sender.ts";
import { errorResponse } from "./respond.ts";
import { spectateResponse, type SpectateUrls } from "./spectate.ts";
import { HttpError } from "../http_error.ts";

/**
 * The first path segments a short-form pipe name (`/{name}`) may not take.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESERVED } from "./pipe_routes.ts";
 * assert.equal(RESERVED.has("metrics"), true);
 * assert.equal(RESERVED.has("backup"), false);
 * ```
 */
export const RESERVED: ReadonlySet<string> = new Set([
  "",
  "help",
  "version",
  "healthz",
  "metrics",
  "api",
  "w",
  "static",
  "favicon.ico",
  "robots.txt",
]);

/** Content types a browser would run or render: relayed as `text/plain`. */
const ACTIVE_TYPE = /html|xml|javascript|ecmascript/i;

/**
 * The headers a receiver gets from the sender's request: `Content-Type` (active types as
 * `text/plain`), `Content-Length`, `Content-Disposition`, `X-Pipe-*`; always `nosniff`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { receiverHeaders } from "./pipe_routes.ts";
 * const headers = receiverHeaders(new Headers({ "content-type": "text/html", "x-pipe-id": "7" }));
 * assert.equal(headers.get("content-type"), "text/plain; charset=utf-8");
 * assert.equal(headers.get("x-pipe-id"), "7");
 * ```
 */
export function receiverHeaders(sent: Headers): Headers {
  const headers = new Headers({ "x-content-type-options": "nosniff" });
  const type = sent.get("content-type");
  headers.set(
    "content-type",
    type === null
      ? "application/octet-stream"
      : ACTIVE_TYPE.test(type)
      ? "text/plain; charset=utf-8"
      : type,
  );
  for (const [key, value] of sent) {
    if (key === "content-length" || key === "content-disposition" || key.startsWith("x-pipe-")) {
      headers.set(key, value);
    }
  }
  return headers;
}

/** A query parameter as a whole number, `null` when absent; throws a 400 `HttpError`. */
function wholeNumber(c: Context, key: string, min: number, max: number): number | null {
  const text = c.req.query(key);
  if (text === undefined) return null;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new HttpError(400, `Invalid ${key}=${text} (a whole number from ${min} to ${max})`);
  }
  return value;
}

/** Renders the dashboard page of a pipe. */
export type DashboardRenderer = (options: {
  snapshot: PipeSnapshot;
  eventsUrl: string;
  jsonUrl: string;
  origin: string;
}) => string;

/** Options for {@linkcode pipeRoutes}. */
export interface PipeRoutesOptions {
  config: Config;
  /** Mounted at `/`: names whose first segment is reserved are not pipes there. */
  shortForm?: boolean;
  /** The HTML dashboard; without it, browsers get the SSE stream. */
  dashboard?: DashboardRenderer;
  /** A topic's watch link, for the sender's log; without it, the log has none. */
  watchUrl?: WatchUrl | undefined;
}

/** The watch link (`ORIGIN/w/ID`) of topic `kind:name` on the server at `origin`. */
export type WatchUrl = (kind: TopicKind, name: string, origin: string) => Promise<string>;

/**
 * Pipe routes relative to where they are mounted: `PUT|POST /{name}` sends, `GET /{name}`
 * receives, `GET /{name}?progress` spectates. Mounted at `/api/v1/pipe` and, with
 * `shortForm`, at `/` for names whose first segment is not reserved.
 */
export function pipeRoutes(
  tracker: Tracker,
  options: PipeRoutesOptions,
): Hono {
  const { config } = options;
  const app = new Hono();

  function pipeName(c: Context): string | null {
    const path = new URL(c.req.url).pathname;
    const name = path.slice(path.indexOf("/", options.shortForm ? 0 : "/api/v1/pipe".length) + 1);
    if (options.shortForm && RESERVED.has(name.split("/")[0]!)) return null;
    return name;
  }

  function fail(c: Context, error: unknown): Response {
    if (error instanceof HttpError) {
      return errorResponse(c.req.raw, error.status, error.message);
    }
    throw error;
  }

  app.on(["PUT", "POST"], "/:name{.+}", async (c) => {
    const name = pipeName(c);
    if (name === null) return c.notFound();
    const invalid = nameError(name);
    if (invalid) return errorResponse(c.req.raw, 400, invalid);
    let ahead: ReadAhead | null = null;
    let watched: WatchedBody | null = null;
    const watch = await options.watchUrl?.(
      "pipe",
      name,
      publicOrigin(c.req.raw, config.trustProxy),
    );
    try {
      const n = wholeNumber(c, "n", 1, config.maxReceivers);
      const size = wholeNumber(c, "size", 0, Number.MAX_SAFE_INTEGER);
      const length = c.req.header("content-length");
      const body = c.req.raw.body;
      // Made (or refused: draining, --max-topics) before the body is asked for.
      const pipe = tracker.pipe(name, true);
      if (body && expectsContinue(c.req.raw)) {
        // Refuse before saying 100 Continue, then read ahead: see readAhead.
        pipe.checkSend(n);
        ahead = readAhead(body);
      }
      // Behind a proxy, answer only once the upload is over: see watchEnd.
      watched = isProxied(c.req.raw) ? watchEnd(ahead?.body ?? body ?? new Blob().stream()) : null;
      const log = pipe.send({
        body: watched?.body ?? ahead?.body ?? body,
        n,
        total: length === undefined ? size : Number(length),
        headers: receiverHeaders(c.req.raw.headers),
        signal: c.req.raw.signal,
        watch,
      });
      await ahead?.started;
      await watched?.ended;
      return new Response(log, {
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "x-content-type-options": "nosniff",
        },
      });
    } catch (error) {
      (watched?.body ?? ahead?.body)?.cancel(error).catch(() => {});
      return fail(c, error);
    }
  });

  app.get("/:name{.+}", async (c) => {
    const name = pipeName(c);
    if (name === null) return c.notFound();
    const invalid = nameError(name);
    if (invalid) return errorResponse(c.req.raw, 400, invalid);
    try {
      if (c.req.query("progress") !== undefined) return spectate(c, name);
      const n = wholeNumber(c, "n", 1, config.maxReceivers);
      if (c.req.method === "HEAD") return peek(name, n);
      const { body, headers } = await tracker.pipe(name, true).receive({
        n,
        signal: c.req.raw.signal,
      });
      return new Response(body, { headers });
    } catch (error) {
      return fail(c, error);
    }
  });

  /**
   * `HEAD`: what a receiver would learn now, answered at once; never a receiver (it would take
   * a slot and wedge the pipe, since nobody reads a HEAD's body).
   */
  function peek(name: string, n: number | null): Response {
    const pipe = tracker.findPipe(name);
    pipe?.checkReceive(n);
    const headers = pipe?.senderHeaders;
    if (!headers) throw new HttpError(404, `No sender is waiting on pipe '${name}'`);
    return new Response(null, { headers });
  }

  function spectate(c: Context, name: string): Response {
    return spectateResponse(c, {
      snapshot: () => (tracker.findPipe(name)?.topic ?? new PipeTopic(name)).snapshot(),
      attach: (signal, extra) => tracker.spectatePipe(name, signal, extra),
      endSeenBy: (lastEventId) => tracker.findPipe(name)?.topic.endSeenBy(lastEventId) ?? false,
      base: `${new URL(c.req.url).pathname}?progress`,
      origin: publicOrigin(c.req.raw, config.trustProxy),
      ...(options.dashboard
        ? {
          page: (snapshot: PipeSnapshot, urls: SpectateUrls) =>
            options.dashboard!({ snapshot, ...urls }),
        }
        : {}),
    });
  }

  return app;
}
