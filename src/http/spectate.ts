import type { Context } from "hono";
import { HttpError } from "../http_error.ts";
import type { Spectator, SpectatorOptions } from "../sse/spectator.ts";
import { spectateFormat, SSE_HEADERS } from "./respond.ts";
import type { RingsideEnv } from "./router.ts";
import { badgeResponse } from "../badge/badge_response.ts";
import { framingHeaders } from "../dashboard/framing.ts";

/** Where a topic's page finds its event stream and snapshot, and this server's origin. */
export interface SpectateUrls {
  /** The SSE stream, relative (`/api/v1/jobs/ID?format=sse`). */
  eventsUrl: string;
  /** The JSON snapshot, relative (`/api/v1/jobs/ID?format=json`). */
  jsonUrl: string;
  /** This server as the request reached it, for absolute curl lines in a no-script fallback. */
  origin: string;
  /** `?embed`: the live card alone, for another site's `<iframe>`. */
  embed?: boolean;
}

/** Renders a topic's HTML page from its snapshot. */
export type PageRenderer<S> = (snapshot: S, urls: SpectateUrls) => string;

/** Options for {@linkcode spectateResponse}: how one topic is watched. */
export interface SpectateOptions<S> {
  /** The topic's current snapshot, for JSON and the page's first paint. */
  snapshot(): S;
  /**
   * Attaches an SSE spectator that closes when `signal` aborts (the tracker's limits apply; it
   * may throw an `HttpError`), with `extra` options on top of its own (the deadline of the
   * token that opened the stream).
   */
  attach(signal: AbortSignal, extra: SpectatorOptions): Spectator;
  /**
   * Whether a reconnect with this `Last-Event-ID` already got the topic's terminal event: it
   * is answered `204 No Content`, which makes EventSource stop reconnecting.
   */
  endSeenBy?: (lastEventId: string | null) => boolean;
  /** The topic's HTML page; without it, browsers get the SSE stream. */
  page?: PageRenderer<S> | undefined;
  /**
   * The spectator URL without `format` (`/api/v1/pipe/NAME?progress`, `/api/v1/jobs/ID`),
   * from which the page's events and JSON URLs are made. @default the request's path
   */
  base?: string;
  /** This server's public origin (see `publicOrigin`). @default the request's origin */
  origin?: string;
}

/**
 * Answers a spectator of any topic kind by content negotiation (see `spectateFormat`): one
 * JSON snapshot (`no-store`), the HTML page with the snapshot embedded, or an SSE stream that
 * closes its spectator when the client goes away (or when the token that opened it expires).
 * An unknown `?format=` is a `400`. A page never carries the token it was opened with: its
 * script adds the `?token=` of its own address to its requests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { PipeTopic } from "../pipe/pipe_topic.ts";
 * import { Spectator } from "../sse/spectator.ts";
 * import { spectateResponse } from "./spectate.ts";
 * const topic = new PipeTopic("p");
 * const app = new Hono().get("/p", (c) =>
 *   spectateResponse(c, { snapshot: () => topic.snapshot(), attach: () => new Spectator(topic) })
 * );
 * const res = await app.request("/p", { headers: { accept: "application/json" } });
 * assert.equal((await res.json()).state, "idle");
 * ```
 */
export function spectateResponse<S>(
  c: Context<RingsideEnv> | Context,
  options: SpectateOptions<S>,
): Response {
  // The badge: a snapshot drawn, never a spectator (see badgeResponse).
  if (c.req.query("format") === "svg") return badgeResponse(c.req.raw, options.snapshot());
  const embed = c.req.query("embed") !== undefined;
  const format = embed && c.req.query("format") === undefined ? "html" : spectateFormat(c.req.raw);
  if (format === null) {
    throw new HttpError(400, `Invalid format '${c.req.query("format")}' (html, json, sse or svg)`);
  }
  if (format === "json") {
    return c.json(options.snapshot() as object, 200, { "cache-control": "no-store" });
  }
  if (format === "html" && options.page) {
    const url = new URL(c.req.url);
    const base = options.base ?? url.pathname;
    const join = base.includes("?") ? "&" : "?";
    return c.html(
      options.page(options.snapshot(), {
        eventsUrl: `${base}${join}format=sse`,
        jsonUrl: `${base}${join}format=json`,
        origin: options.origin ?? url.origin,
        ...(embed ? { embed } : {}),
      }),
      200,
      framingHeaders(embed),
    );
  }
  // The EventSource that got the end already reconnects with its id: 204 makes it stop.
  if (options.endSeenBy?.(c.req.header("last-event-id") ?? null)) return c.body(null, 204);
  // A HEAD's body is never read: attaching a spectator would leak it.
  if (c.req.method === "HEAD") return new Response(null, { headers: SSE_HEADERS });
  const deadline = (c as Context<RingsideEnv>).get("grant")?.expiresAt ?? null;
  const spectator = options.attach(c.req.raw.signal, deadline === null ? {} : { deadline });
  return new Response(spectator.stream, { headers: SSE_HEADERS });
}
