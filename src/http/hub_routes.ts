import type { Context } from "hono";
import type { WSContext, WSEvents } from "hono/ws";
import type { Hub } from "../hub/hub.ts";
import type { HubClient, TokenGrant } from "../hub/hub_client.ts";
import type { Tracker } from "../tracker.ts";
import type { Grant } from "../access/access.ts";
import { scopeAllows } from "../access/scope.ts";
import { HttpError } from "../http_error.ts";
import type { RouteHandler } from "./router.ts";

/**
 * WebSocket upgrades on the runtime that serves: Hono's helper (`hono/bun` or `hono/deno`)
 * with the hub's limits (inbound frames of at most 64 KiB where the runtime can refuse them
 * itself; the runtime's own ping, and a close once the client has answered nothing for
 * `--hub-idle`), and what the Web API leaves out: how much a socket has buffered, and dropping it
 * at once.
 */
export interface WebSocketSupport {
  /** Answers the upgrade request; `events` run on the connection. */
  upgrade(c: Context, events: WSEvents): Promise<Response>;
  /** Bytes sent and not yet written to the network. */
  bufferedAmount(ws: WSContext): number;
  /** Drops the connection without a close handshake. */
  terminate(ws: WSContext): void;
  /** Runs `send` with the socket's writes batched into one (Bun's `cork`), where there is one. */
  cork?(ws: WSContext, send: () => void): void;
}

/** Options for {@linkcode hubHandlers}. */
export interface HubRoutesOptions {
  /** WebSockets on this runtime; without it `/ws` answers `501`. */
  webSocket?: WebSocketSupport | undefined;
  /** This node's name (`--node`): stats say which node answered. */
  node?: string | undefined;
}

/**
 * What a verified token lets a hub connection do: the channels in its scope, until it expires.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hubGrant } from "./hub_routes.ts";
 * const grant = hubGrant({ scope: ["job:ci"], expiresAt: null, readOnly: false });
 * assert.equal(grant.allows("job", "ci/7"), true);
 * assert.equal(grant.allows("pipe", "ci"), false);
 * ```
 */
export function hubGrant(grant: Grant): TokenGrant {
  return {
    allows: (kind, name) => scopeAllows(grant.scope, `${kind}:${name}`),
    expiresAt: grant.expiresAt,
  };
}

/**
 * The handlers of `GET /api/v1/ws` (the hub; the route's guard has verified the token it
 * presented, `?token=` or `Authorization: Bearer`) and `GET /api/v1/stats`.
 *
 * `/stats` answers `{"clients","channels","pipes","jobs","processes","spectators"}` and, for a
 * caller with a valid token, `"subscribers":{"CHANNEL":N}` of the channels its scope covers
 * (channel names are secrets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { defaultConfig } from "../config.ts";
 * import { Hub } from "../hub/hub.ts";
 * import { Tracker } from "../tracker.ts";
 * import { hubHandlers } from "./hub_routes.ts";
 * const tracker = new Tracker(defaultConfig());
 * const { stats } = hubHandlers(tracker, new Hub(tracker), {});
 * const app = new Hono().get("/stats", (c) => stats(c as never, null as never));
 * assert.deepEqual(await (await app.request("/stats")).json(),
 *   { clients: 0, channels: 0, pipes: 0, jobs: 0, processes: 0, spectators: 0 });
 * ```
 */
export function hubHandlers(
  tracker: Tracker,
  hub: Hub,
  options: HubRoutesOptions,
): { hub: RouteHandler; stats: RouteHandler } {
  const connect: RouteHandler = async (c) => {
    const webSocket = options.webSocket;
    if (!webSocket) throw new HttpError(501, "WebSockets are not served here");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(426, "Expected a WebSocket upgrade (Upgrade: websocket)");
    }
    const verified = c.get("grant") ?? null;
    const grant = verified === null ? null : hubGrant(verified);
    let client: HubClient | undefined;
    return await webSocket.upgrade(c, {
      onOpen: (_event, ws) => {
        client = hub.connect({
          send: (text) => ws.send(text),
          bufferedAmount: () => webSocket.bufferedAmount(ws),
          close: (code, reason) => ws.close(code, reason),
          terminate: () => webSocket.terminate(ws),
          cork: webSocket.cork && ((send) => webSocket.cork!(ws, send)),
        }, grant);
      },
      onMessage: (event) => {
        client?.receive(event.data);
      },
      onClose: () => client?.gone(),
      onError: () => client?.gone(),
    });
  };

  const stats: RouteHandler = (c) => {
    const topics = tracker.stats();
    const own = hub.stats();
    const verified = c.get("grant") ?? null;
    const subscribers = verified === null ? null : Object.fromEntries(
      Object.entries(own.subscribers).filter(([channel]) => scopeAllows(verified.scope, channel)),
    );
    return c.json(
      {
        ...(options.node ? { node: options.node } : {}),
        clients: own.clients,
        channels: Object.keys(own.subscribers).length,
        pipes: topics.topics.pipe,
        jobs: topics.topics.job,
        processes: topics.topics.process,
        spectators: topics.spectators,
        ...(subscribers ? { subscribers } : {}),
      },
      200,
      { "cache-control": "no-store" },
    );
  };

  return { hub: connect, stats };
}
