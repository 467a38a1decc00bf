import { type Context, Hono } from "hono";
import type { WSContext, WSEvents } from "hono/ws";
import type { Hub } from "../hub/hub.ts";
import type { HubClient, TokenGrant } from "../hub/hub_client.ts";
import type { Tracker } from "../tracker.ts";
import { bearerToken } from "../access/bearer.ts";
import { errorResponse } from "./respond.ts";

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
}

/** Options for {@linkcode hubRoutes}. */
export interface HubRoutesOptions {
  /** WebSockets on this runtime; without it `/ws` answers `501`. */
  webSocket?: WebSocketSupport | undefined;
  /** This node's name (`--node`): stats say which node answered. */
  node?: string | undefined;
}

/**
 * `GET /ws` (the hub; `?token=` authenticates the connection) and `GET /stats`, mounted at
 * `/api/v1`.
 *
 * `/stats` answers `{"clients","channels","pipes","jobs","processes","spectators"}` and, for a
 * caller with a valid token, `"subscribers":{"CHANNEL":N}` (channel names are secrets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Hub } from "../hub/hub.ts";
 * import { Tracker } from "../tracker.ts";
 * import { hubRoutes } from "./hub_routes.ts";
 * const tracker = new Tracker(defaultConfig());
 * const app = hubRoutes(tracker, new Hub(tracker), {});
 * assert.deepEqual(await (await app.request("/stats")).json(),
 *   { clients: 0, channels: 0, pipes: 0, jobs: 0, processes: 0, spectators: 0 });
 * assert.equal((await app.request("/ws")).status, 501);
 * ```
 */
export function hubRoutes(tracker: Tracker, hub: Hub, options: HubRoutesOptions): Hono {
  const app = new Hono();

  app.get("/ws", async (c) => {
    const webSocket = options.webSocket;
    if (!webSocket) return errorResponse(c.req.raw, 501, "WebSockets are not served here");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(c.req.raw, 426, "Expected a WebSocket upgrade (Upgrade: websocket)");
    }
    const token = c.req.query("token");
    let grant: TokenGrant | null = null;
    if (token !== undefined) {
      const checked = await hub.checkToken(token);
      if (typeof checked === "string") return errorResponse(c.req.raw, 401, checked);
      grant = checked;
    }
    let client: HubClient | undefined;
    return await webSocket.upgrade(c, {
      onOpen: (_event, ws) => {
        client = hub.connect({
          send: (text) => ws.send(text),
          bufferedAmount: () => webSocket.bufferedAmount(ws),
          close: (code, reason) => ws.close(code, reason),
          terminate: () => webSocket.terminate(ws),
        }, grant);
      },
      onMessage: (event) => {
        client?.receive(event.data);
      },
      onClose: () => client?.gone(),
      onError: () => client?.gone(),
    });
  });

  app.get("/stats", async (c) => {
    const topics = tracker.stats();
    const own = hub.stats();
    const token = bearerToken(c.req.raw)?.token;
    const grant = token === undefined ? null : await hub.checkToken(token);
    if (typeof grant === "string") return errorResponse(c.req.raw, 401, grant);
    const subscribers = grant === null ? null : Object.fromEntries(
      Object.entries(own.subscribers).filter(([channel]) => {
        const colon = channel.indexOf(":");
        return grant.allows(channel.slice(0, colon), channel.slice(colon + 1));
      }),
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
  });

  return app;
}
