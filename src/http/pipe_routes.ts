import type { Config } from "../config.ts";
import type { PipeSnapshot } from "../progress/snapshot.ts";
import { nameError } from "../names.ts";
import { PipeTopic } from "../pipe/pipe_topic.ts";
import { findPipe, obtainPipe, spectatePipe } from "../pipe/pipes.ts";
import type { TopicKind, Tracker } from "../tracker.ts";
import { RelaySource } from "../pipe/relay_source.ts";
import { expectsContinue } from "./expect_continue.ts";
import { publicOrigin } from "./origin.ts";
import { isProxied } from "./proxied_sender.ts";
import type { RouteContext, RouteHandler } from "./router.ts";
import { spectateResponse, type SpectateUrls } from "./spectate.ts";
import { HttpError } from "../http_error.ts";

/**
 * The content types relayed as the sender gave them: inert ones, that no browser runs. Any
 * other `text/…` is relayed as `text/plain`, anything else as `application/octet-stream`.
 */
const INERT_TYPES: ReadonlySet<string> = new Set([
  "application/octet-stream",
  "application/gzip",
  "application/x-gzip",
  "application/x-tar",
  "application/x-gtar",
  "application/x-bzip2",
  "application/x-xz",
  "application/zstd",
  "application/zip",
  "application/x-7z-compressed",
  "application/json",
  "application/pdf",
  "text/plain",
  "text/csv",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "video/mp4",
  "video/webm",
]);

/**
 * The `Content-Type` a receiver gets for the one a sender gave: an inert type as it is (with
 * its parameters), another `text/…` (`text/html`, `text/xsl`…) as `text/plain`, anything else
 * as `application/octet-stream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relayedType } from "./pipe_routes.ts";
 * assert.equal(relayedType("application/gzip"), "application/gzip");
 * assert.equal(relayedType("text/plain; charset=latin1"), "text/plain; charset=latin1");
 * assert.equal(relayedType("text/xsl"), "text/plain; charset=utf-8");
 * assert.equal(relayedType("image/svg+xml"), "application/octet-stream");
 * assert.equal(relayedType(null), "application/octet-stream");
 * ```
 */
export function relayedType(type: string | null): string {
  if (type === null) return "application/octet-stream";
  const essence = type.split(";")[0]!.trim().toLowerCase();
  if (INERT_TYPES.has(essence) && !/[\r\n]/.test(type)) return type;
  return essence.startsWith("text/") ? "text/plain; charset=utf-8" : "application/octet-stream";
}

/**
 * The headers a receiver gets from the sender's request: `Content-Type` (see
 * {@linkcode relayedType}), `Content-Length`, `Content-Disposition`, `X-Pipe-*`; always
 * `nosniff` and `Content-Security-Policy: sandbox`, so a relayed body never runs script on this
 * origin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { receiverHeaders } from "./pipe_routes.ts";
 * const headers = receiverHeaders(new Headers({ "content-type": "text/html", "x-pipe-id": "7" }));
 * assert.equal(headers.get("content-type"), "text/plain; charset=utf-8");
 * assert.equal(headers.get("content-security-policy"), "sandbox");
 * assert.equal(headers.get("x-pipe-id"), "7");
 * ```
 */
export function receiverHeaders(sent: Headers): Headers {
  const headers = new Headers({
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox",
    "content-type": relayedType(sent.get("content-type")),
  });
  for (const [key, value] of sent) {
    if (key === "content-length" || key === "content-disposition" || key.startsWith("x-pipe-")) {
      headers.set(key, value);
    }
  }
  return headers;
}

/** A query parameter as a whole number, `null` when absent; throws a 400 `HttpError`. */
function wholeNumber(c: RouteContext, key: string, min: number, max: number): number | null {
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

/** Options for {@linkcode pipeHandlers}. */
export interface PipeRoutesOptions {
  config: Config;
  /** The HTML dashboard; without it, browsers get the SSE stream. */
  dashboard?: DashboardRenderer;
  /** A topic's watch link, for the sender's log; without it, the log has none. */
  watchUrl?: WatchUrl | undefined;
}

/** The watch link (`ORIGIN/w/ID`) of topic `kind:name` on the server at `origin`. */
export type WatchUrl = (kind: TopicKind, name: string, origin: string) => Promise<string>;

/**
 * The handlers of a pipe's routes (`/api/v1/pipe/{name}` and the short form `/{name}`; the
 * route table gives them the decoded name): `send` (`PUT`/`POST`: the body is relayed, the
 * answer is the sender's log) and `get` (`GET`: receive, or spectate with `?progress`). Errors
 * are thrown as `HttpError`.
 */
export function pipeHandlers(
  tracker: Tracker,
  options: PipeRoutesOptions,
): { send: RouteHandler; get: RouteHandler } {
  const { config } = options;

  const send: RouteHandler = async (c, { name }) => {
    const invalid = nameError(name);
    if (invalid) throw new HttpError(400, invalid);
    // Read ahead (Expect: 100-continue) and wait for the upload's end (behind a proxy) on the
    // relay's own reader: see RelaySource.
    let source: RelaySource | null = null;
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
      const pipe = obtainPipe(tracker, name, true);
      const ahead = body !== null && expectsContinue(c.req.raw);
      const proxied = isProxied(c.req.raw);
      // Refuse before saying 100 Continue.
      if (ahead) pipe.checkSend(n);
      if (ahead || proxied) source = new RelaySource(body);
      const started = ahead ? source!.readAhead() : null;
      const log = pipe.send({
        body: source ?? body,
        n,
        total: length === undefined ? size : Number(length),
        headers: receiverHeaders(c.req.raw.headers),
        signal: c.req.raw.signal,
        watch,
      });
      await started;
      if (proxied) await source!.ended;
      return new Response(log, {
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "x-content-type-options": "nosniff",
        },
      });
    } catch (error) {
      source?.cancel(error).catch(() => {});
      throw error;
    }
  };

  const get: RouteHandler = async (c, { name, action }) => {
    const invalid = nameError(name);
    if (invalid) throw new HttpError(400, invalid);
    if (action === "spectate") return spectate(c, name);
    const n = wholeNumber(c, "n", 1, config.maxReceivers);
    if (c.req.method === "HEAD") return peek(name, n);
    const { body, headers } = await obtainPipe(tracker, name, true).receive({
      n,
      signal: c.req.raw.signal,
    });
    return new Response(body, { headers });
  };

  /**
   * `HEAD`: what a receiver would learn now, answered at once; never a receiver (it would take
   * a slot and wedge the pipe, since nobody reads a HEAD's body).
   */
  function peek(name: string, n: number | null): Response {
    const pipe = findPipe(tracker, name);
    pipe?.checkReceive(n);
    const headers = pipe?.senderHeaders;
    if (!headers) throw new HttpError(404, `No sender is waiting on pipe '${name}'`);
    return new Response(null, { headers });
  }

  function spectate(c: RouteContext, name: string): Response {
    return spectateResponse(c, {
      snapshot: () => (findPipe(tracker, name)?.topic ?? new PipeTopic(name)).snapshot(),
      attach: (signal, extra) => spectatePipe(tracker, name, signal, extra),
      endSeenBy: (lastEventId) => findPipe(tracker, name)?.topic.endSeenBy(lastEventId) ?? false,
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

  return { send, get };
}
